import Testing

@testable import PodlabModel

@Suite("which node announces a Service IP")
struct ServiceIPAnnouncementTests {
    static let nodes = ["podlab-control-plane", "podlab-worker"]

    static func lb(_ name: String, ip: String, policy: String? = nil, externalIPs: [String] = []) -> JSONValue {
        var spec: [String: JSONValue] = ["type": "LoadBalancer", "externalIPs": .array(externalIPs.map { .string($0) })]
        if let policy { spec["externalTrafficPolicy"] = .string(policy) }
        return [
            "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec),
            "status": ["loadBalancer": ["ingress": [["ip": .string(ip)]]]],
        ]
    }

    static func slice(_ service: String, _ endpoints: [(node: String, ready: Bool)]) -> JSONValue {
        [
            "metadata": ["name": .string(service + "-x"), "namespace": "default",
                         "labels": ["kubernetes.io/service-name": .string(service)]],
            "endpoints": .array(endpoints.map { ["nodeName": .string($0.node), "conditions": ["ready": .bool($0.ready)]] }),
        ]
    }

    @Test("Cluster policy: the first node announces LoadBalancer IPs and wire-subnet external IPs only")
    func clusterPolicy() {
        let a = ServiceIPAnnouncement.assign(
            services: [Self.lb("a", ip: "172.18.255.200", externalIPs: ["172.18.0.77", "192.0.2.9"])],
            endpointSlices: [Self.slice("a", [("podlab-worker", true)])], nodes: Self.nodes)
        #expect(a["podlab-control-plane"] == [IPv4Address("172.18.255.200")!, IPv4Address("172.18.0.77")!])
        #expect(a["podlab-worker"] == [])
    }

    @Test("Local policy: a node with a ready endpoint announces; none ready anywhere, nobody does")
    func localPolicy() {
        let services = [Self.lb("a", ip: "172.18.255.201", policy: "Local"), Self.lb("b", ip: "172.18.255.202", policy: "Local")]
        let a = ServiceIPAnnouncement.assign(
            services: services,
            endpointSlices: [
                Self.slice("a", [("podlab-control-plane", false), ("podlab-worker", true)]),
                Self.slice("b", [("podlab-worker", false)]),
            ], nodes: Self.nodes)
        #expect(a["podlab-worker"] == [IPv4Address("172.18.255.201")!])
        #expect(a["podlab-control-plane"] == [])
    }
}
