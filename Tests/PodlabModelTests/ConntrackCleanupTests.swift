import Testing

@testable import PodlabModel

/// The stale-flow decision of kube-proxy's conntrack reconciler, over Services and EndpointSlices built with
/// `ProxyFixtures` (node `podlab-worker`, node IP 172.18.0.3).
@Suite("conntrack cleanup")
struct ConntrackCleanupTests {
    typealias F = ProxyFixtures

    // MARK: - Helpers

    static func ip(_ text: String) -> IPv4Address {
        guard let a = IPv4Address(text) else { preconditionFailure("bad address \(text)") }
        return a
    }

    /// A flow from `client` to `frontend`, answered by `answeredBy` (the frontend itself when nil: not DNATed).
    /// `masqueradeTo` is where the reply goes, when the flow was SNATed too.
    static func flow(
        _ proto: UInt8 = ConntrackFlow.udp, client: String = "10.244.1.7:40000", to frontend: String,
        answeredBy: String? = nil, masqueradeTo: String? = nil
    ) -> ConntrackFlow {
        func split(_ s: String) -> (IPv4Address, UInt16) {
            let parts = s.split(separator: ":")
            return (ip(String(parts[0])), UInt16(parts[1]) ?? 0)
        }
        let (cIP, cPort) = split(client)
        let (fIP, fPort) = split(frontend)
        let (rIP, rPort) = split(answeredBy ?? frontend)
        let (mIP, mPort) = split(masqueradeTo ?? client)
        return ConntrackFlow(
            protocolNumber: proto,
            original: ConntrackTuple(source: cIP, destination: fIP, sourcePort: cPort, destinationPort: fPort),
            reply: ConntrackTuple(source: rIP, destination: mIP, sourcePort: rPort, destinationPort: mPort))
    }

    /// kube-dns: ClusterIP 10.96.0.10, `dns` 53/UDP and `dns-tcp` 53/TCP, both to target port 53.
    static func kubeDNS(_ endpoints: [F.EP]) -> (Service, EndpointSlice) {
        let svc = F.service(
            "kube-system", "kube-dns", clusterIP: "10.96.0.10",
            ports: [F.port("dns", 53, "UDP"), F.port("dns-tcp", 53, "TCP")])
        let slice = F.slice(
            "kube-system", service: "kube-dns", ports: [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
            endpoints: endpoints)
        return (svc, slice)
    }

    static func cleanup(_ services: [Service], _ slices: [EndpointSlice], config: KubeProxyConfig = F.config())
        -> ConntrackCleanup
    {
        ConntrackCleanup(services: services, endpointSlices: slices, node: config)
    }

    // MARK: - ClusterIP

    @Test("a flow DNATed to a removed endpoint is stale, one DNATed to a serving endpoint is kept")
    func removedEndpoint() {
        let (svc, slice) = Self.kubeDNS([.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        let toGone = Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.9:53")
        let toServing = Self.flow(client: "10.244.1.7:40001", to: "10.96.0.10:53", answeredBy: "10.244.2.5:53")
        #expect(c.isStale(toGone))
        #expect(!c.isStale(toServing))
        #expect(c.staleFlows([toServing, toGone]) == [toGone])
    }

    @Test("a flow that was never DNATed is stale once the Service port has endpoints")
    func notDNATedWithEndpoints() {
        let (svc, slice) = Self.kubeDNS([.init(ip: "10.244.2.5")])
        let blackHole = Self.flow(to: "10.96.0.10:53")
        #expect(!blackHole.isDNATed)
        #expect(Self.cleanup([svc], [slice]).isStale(blackHole))
    }

    @Test("with no serving endpoint left, every flow to the frontend is stale (upstream since #139629)")
    func noEndpoints() {
        let (svc, _) = Self.kubeDNS([])
        let emptySlice = F.slice(
            "kube-system", service: "kube-dns", ports: [("dns", 53, "UDP")],
            endpoints: [.init(ip: "10.244.2.5", serving: false)])
        for slices in [[], [emptySlice]] {
            let c = Self.cleanup([svc], slices)
            #expect(c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.5:53")))
            #expect(c.isStale(Self.flow(to: "10.96.0.10:53")))
        }
    }

    @Test("the endpoint's port counts: the same pod answering on an old target port is stale")
    func endpointPortChanged() {
        let svc = F.service("default", "syslog", clusterIP: "10.96.5.5", ports: [F.port("log", 514, "UDP")])
        let slice = F.slice(service: "syslog", ports: [("log", 5514, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        #expect(c.isStale(Self.flow(to: "10.96.5.5:514", answeredBy: "10.244.2.5:514")))
        #expect(!c.isStale(Self.flow(to: "10.96.5.5:514", answeredBy: "10.244.2.5:5514")))
    }

    @Test("serving decides, not ready: a terminating endpoint that still serves keeps its flows")
    func servingNotReady() {
        let (svc, slice) = Self.kubeDNS([
            .init(ip: "10.244.2.5", ready: false, serving: true, terminating: true),
            .init(ip: "10.244.2.6", ready: false, serving: false, terminating: true),
            .init(ip: "10.244.2.7", ready: true),
        ])
        let c = Self.cleanup([svc], [slice])
        #expect(!c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.5:53")))
        #expect(c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.6:53")))
        #expect(!c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.7:53")))
    }

    @Test("each Service port has its own endpoints: a flow to one port answered from another's target is stale")
    func multiPort() {
        let svc = F.service(
            "default", "game", clusterIP: "10.96.7.7",
            ports: [F.port("a", 7000, "UDP"), F.port("b", 7001, "UDP")])
        let slice = F.slice(
            service: "game", ports: [("a", 17000, "UDP"), ("b", 17001, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        #expect(!c.isStale(Self.flow(to: "10.96.7.7:7000", answeredBy: "10.244.2.5:17000")))
        #expect(!c.isStale(Self.flow(to: "10.96.7.7:7001", answeredBy: "10.244.2.5:17001")))
        #expect(c.isStale(Self.flow(to: "10.96.7.7:7000", answeredBy: "10.244.2.5:17001")))
    }

    @Test("masquerading does not matter: only the reply source is compared")
    func masqueraded() {
        let (svc, slice) = Self.kubeDNS([.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        let kept = Self.flow(
            client: "172.18.0.3:40000", to: "10.96.0.10:53", answeredBy: "10.244.2.5:53",
            masqueradeTo: "10.244.1.1:61000")
        #expect(!c.isStale(kept))
        #expect(
            c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.9:53", masqueradeTo: "10.244.1.1:61000")))
    }

    // MARK: - Left alone

    @Test("TCP flows, other ports of a Service IP and unrelated UDP traffic are left alone")
    func untouched() {
        let (svc, slice) = Self.kubeDNS([.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        // TCP to the dns-tcp port, DNATed to a pod that is gone: TCP flows end with their connection.
        #expect(!c.isStale(Self.flow(ConntrackFlow.tcp, to: "10.96.0.10:53", answeredBy: "10.244.2.9:53")))
        // A port the Service does not have (cluster-ips-check rejects it; nothing to clean).
        #expect(!c.isStale(Self.flow(to: "10.96.0.10:54")))
        // A pod talking to a DNS server outside the cluster.
        #expect(!c.isStale(Self.flow(to: "8.8.8.8:53")))
        // A pod talking to another pod directly on the endpoint's address.
        #expect(!c.isStale(Self.flow(to: "10.244.2.9:53")))
    }

    @Test("TCP-only Service ports are not frontends for UDP flows")
    func tcpServicePort() {
        let svc = F.service("default", "web", clusterIP: "10.96.1.1", ports: [F.port("http", 80)])
        let slice = F.slice(service: "web", ports: [("http", 80, "TCP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        #expect(c.frontendCount == 0)
        #expect(!c.isStale(Self.flow(to: "10.96.1.1:80")))
    }

    @Test("headless and ExternalName Services have no frontends")
    func headless() {
        let headless = F.service("default", "db", clusterIP: "None", ports: [F.port("x", 9000, "UDP")])
        var external = F.service(
            "default", "ext", type: "ExternalName", clusterIP: nil, ports: [F.port("x", 53, "UDP")])
        external.spec?.externalName = "dns.example.com"
        let slice = F.slice(service: "db", ports: [("x", 9000, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([headless, external], [slice])
        #expect(c.frontendCount == 0)
        #expect(!c.isStale(Self.flow(to: "10.244.2.5:9000")))
    }

    // MARK: - External IPs, LoadBalancer IPs, NodePorts

    @Test("external IPs and LoadBalancer IPs are frontends with the Service port")
    func externalAndLoadBalancer() {
        let svc = F.service(
            "default", "dns", type: "LoadBalancer", clusterIP: "10.96.0.53",
            ports: [F.port("dns", 53, "UDP", nodePort: 30053)],
            externalIPs: ["203.0.113.10"], lbIPs: ["172.18.255.1"])
        let slice = F.slice(service: "dns", ports: [("dns", 5353, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        for frontend in ["10.96.0.53:53", "203.0.113.10:53", "172.18.255.1:53"] {
            #expect(c.isStale(Self.flow(to: frontend, answeredBy: "10.244.2.9:5353")), "\(frontend)")
            #expect(c.isStale(Self.flow(to: frontend)), "\(frontend)")
            #expect(!c.isStale(Self.flow(to: frontend, answeredBy: "10.244.2.5:5353")), "\(frontend)")
        }
        // The LB IP on another port is not this Service's frontend.
        #expect(!c.isStale(Self.flow(to: "172.18.255.1:54")))
    }

    @Test("a LoadBalancer ingress in Proxy mode is not a frontend (the load balancer proxies it)")
    func proxyModeIngress() {
        var svc = F.service(
            "default", "dns", type: "LoadBalancer", clusterIP: "10.96.0.53", ports: [F.port("dns", 53, "UDP")])
        var ingress = LoadBalancerIngress(ip: "172.18.255.2")
        ingress.ipMode = "Proxy"
        svc.status = ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [ingress]))
        let slice = F.slice(service: "dns", ports: [("dns", 53, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        #expect(!Self.cleanup([svc], [slice]).isStale(Self.flow(to: "172.18.255.2:53")))
    }

    @Test("a NodePort on this node's address is a frontend; another node's NodePort passing through is not")
    func nodePort() {
        let svc = F.service(
            "default", "dns", type: "NodePort", clusterIP: "10.96.0.53",
            ports: [F.port("dns", 53, "UDP", nodePort: 30053)])
        let slice = F.slice(service: "dns", ports: [("dns", 53, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice])
        #expect(c.isStale(Self.flow(client: "172.18.0.100:40000", to: "172.18.0.3:30053", answeredBy: "10.244.2.9:53")))
        #expect(c.isStale(Self.flow(client: "172.18.0.100:40000", to: "172.18.0.3:30053")))
        #expect(
            !c.isStale(Self.flow(client: "172.18.0.100:40000", to: "172.18.0.3:30053", answeredBy: "10.244.2.5:53")))
        // A pod on this node calling the NodePort of node 172.18.0.4: DNATed there, not here. Upstream's
        // `*:NodePort` filter would delete this flow on every sync.
        #expect(!c.isStale(Self.flow(to: "172.18.0.4:30053")))
    }

    @Test("localhost NodePorts are frontends only when the node enables them")
    func localhostNodePort() {
        let svc = F.service(
            "default", "dns", type: "NodePort", clusterIP: "10.96.0.53",
            ports: [F.port("dns", 53, "UDP", nodePort: 30053)])
        let slice = F.slice(service: "dns", ports: [("dns", 53, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let gone = Self.flow(client: "127.0.0.1:40000", to: "127.0.0.1:30053", answeredBy: "10.244.2.9:53")
        #expect(Self.cleanup([svc], [slice], config: F.config(localhost: true)).isStale(gone))
        #expect(!Self.cleanup([svc], [slice], config: F.config(localhost: false)).isStale(gone))
    }

    @Test("with no node IPs configured, a NodePort matches on any address, as upstream's *:NodePort")
    func nodePortAnyAddress() {
        let svc = F.service(
            "default", "dns", type: "NodePort", clusterIP: "10.96.0.53",
            ports: [F.port("dns", 53, "UDP", nodePort: 30053)])
        let slice = F.slice(service: "dns", ports: [("dns", 53, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        let c = Self.cleanup([svc], [slice], config: F.config(localhost: false, nodeIPs: []))
        #expect(c.isStale(Self.flow(to: "192.168.50.1:30053", answeredBy: "10.244.2.9:53")))
        #expect(!c.isStale(Self.flow(to: "192.168.50.1:30053", answeredBy: "10.244.2.5:53")))
        #expect(!c.isStale(Self.flow(client: "127.0.0.1:40000", to: "127.0.0.1:30053")))
    }

    @Test("traffic policies are ignored: a NodePort flow under Local policy to a remote serving pod is kept")
    func policiesIgnored() {
        let svc = F.service(
            "default", "dns", type: "NodePort", clusterIP: "10.96.0.53",
            ports: [F.port("dns", 53, "UDP", nodePort: 30053)],
            externalPolicy: "Local", internalPolicy: "Local")
        let slice = F.slice(
            service: "dns", ports: [("dns", 53, "UDP")], endpoints: [.init(ip: "10.244.2.5", node: "podlab-worker2")])
        let c = Self.cleanup([svc], [slice])
        #expect(!c.isStale(Self.flow(to: "172.18.0.3:30053", answeredBy: "10.244.2.5:53")))
        #expect(!c.isStale(Self.flow(to: "10.96.0.53:53", answeredBy: "10.244.2.5:53")))
    }

    @Test("two Service ports sharing a frontend keep flows to a serving endpoint of either")
    func sharedFrontend() {
        let a = F.service(
            "default", "a", clusterIP: "10.96.0.1", ports: [F.port("p", 53, "UDP")], externalIPs: ["203.0.113.1"])
        let b = F.service(
            "default", "b", clusterIP: "10.96.0.2", ports: [F.port("p", 53, "UDP")], externalIPs: ["203.0.113.1"])
        let slices = [
            F.slice(service: "a", ports: [("p", 53, "UDP")], endpoints: [.init(ip: "10.244.2.1")]),
            F.slice(service: "b", ports: [("p", 53, "UDP")], endpoints: [.init(ip: "10.244.2.2")]),
        ]
        let c = Self.cleanup([a, b], slices)
        #expect(!c.isStale(Self.flow(to: "203.0.113.1:53", answeredBy: "10.244.2.1:53")))
        #expect(!c.isStale(Self.flow(to: "203.0.113.1:53", answeredBy: "10.244.2.2:53")))
        #expect(c.isStale(Self.flow(to: "203.0.113.1:53", answeredBy: "10.244.2.3:53")))
        // Each ClusterIP still has only its own Service's endpoints.
        #expect(c.isStale(Self.flow(to: "10.96.0.1:53", answeredBy: "10.244.2.2:53")))
    }

    @Test("endpoints come only from the Service's own slices, matched by namespace and service-name label")
    func slicesByOwner() {
        let (svc, _) = Self.kubeDNS([])
        // Same name in another namespace, and a slice without the label: neither serves kube-system/kube-dns.
        let otherNamespace = F.slice(
            "default", service: "kube-dns", ports: [("dns", 53, "UDP")], endpoints: [.init(ip: "10.244.2.5")])
        var unlabelled = F.slice(
            "kube-system", service: "kube-dns", name: "loose", ports: [("dns", 53, "UDP")],
            endpoints: [.init(ip: "10.244.2.6")])
        unlabelled.metadata.labels = nil
        let c = Self.cleanup([svc], [otherNamespace, unlabelled])
        #expect(c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.5:53")))
        #expect(c.isStale(Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.6:53")))
    }

    @Test("the store's JSON objects give the same decision as the typed objects")
    func fromJSON() throws {
        let (svc, slice) = Self.kubeDNS([.init(ip: "10.244.2.5")])
        let typed = Self.cleanup([svc], [slice])
        let json = ConntrackCleanup(
            services: [try JSONValue(encoding: svc), "not an object"], endpointSlices: [try JSONValue(encoding: slice)],
            node: F.config())
        #expect(json == typed)
        #expect(json.frontendCount == 1)
    }

    // MARK: - Flows

    @Test("a flow prints as conntrack -L does and knows whether it was DNATed")
    func flowText() {
        let f = Self.flow(to: "10.96.0.10:53", answeredBy: "10.244.2.5:53")
        #expect(
            f.description
                == "udp src=10.244.1.7 dst=10.96.0.10 sport=40000 dport=53 src=10.244.2.5 dst=10.244.1.7 sport=53 dport=40000"
        )
        #expect(f.isDNATed)
        // Same address, other port: a port-only DNAT still counts.
        #expect(Self.flow(to: "10.96.0.10:53", answeredBy: "10.96.0.10:5353").isDNATed)
        var zoned = Self.flow(ConntrackFlow.tcp, to: "10.96.0.10:53")
        zoned.zone = 7
        #expect(zoned.description.hasPrefix("tcp ") && zoned.description.hasSuffix(" zone=7"))
        #expect(!zoned.isDNATed)
    }
}
