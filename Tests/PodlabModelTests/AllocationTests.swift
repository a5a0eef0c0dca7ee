import Testing

@testable import PodlabModel

/// A deterministic generator (SplitMix64) so allocation tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Service allocation")
struct AllocationTests {
    let config = ServiceNetworkConfig()

    func svc(_ name: String, type: String = "ClusterIP", clusterIP: String? = nil, ports: [JSONValue] = [["port": 80, "protocol": "TCP"]]) -> JSONValue {
        var s: JSONValue = ["metadata": ["name": .string(name), "namespace": "default"], "spec": ["type": .string(type), "ports": .array(ports)]]
        if let clusterIP { s.set("spec.clusterIP", .string(clusterIP)) }
        return s
    }

    func allocate(_ s: inout JSONValue, old: JSONValue? = nil, existing: [JSONValue] = [], seed: UInt64 = 1) -> [FieldError] {
        var rng = SeededGenerator(state: seed)
        return ServiceAllocation.allocate(&s, old: old, existing: existing, config: config, using: &rng)
    }

    @Test("IPv4 addresses and CIDRs parse, print and answer containment")
    func ipv4() throws {
        #expect(IPv4Address("10.96.0.10")?.description == "10.96.0.10")
        #expect(IPv4Address("10.96.0") == nil)
        #expect(IPv4Address("256.1.1.1") == nil)
        #expect(IPv4Address("01.1.1.1") == nil)
        let cidr = try #require(IPv4CIDR("10.96.0.0/12"))
        #expect(cidr.description == "10.96.0.0/12")
        #expect(cidr.size == 1 << 20)
        #expect(cidr.contains(try #require(IPv4Address("10.111.255.255"))))
        #expect(!cidr.contains(try #require(IPv4Address("10.112.0.0"))))
        #expect(cidr.address(at: 10)?.description == "10.96.0.10")
        #expect(cidr.offset(of: try #require(IPv4Address("10.96.1.0"))) == 256)
        #expect(IPv4CIDR("10.96.0.1/12", strict: true) == nil)
        #expect(IPv4CIDR("10.96.0.0/33") == nil)
        #expect(config.kubernetesServiceIP.description == "10.96.0.1")
        #expect(config.dnsServiceIP.description == "10.96.0.10")
    }

    @Test("a new Service gets a free IP from the CIDR, mirrored in clusterIP and clusterIPs")
    func randomIP() throws {
        var s = svc("web")
        #expect(allocate(&s).isEmpty)
        let ip = try #require(s.at("spec.clusterIP").string)
        #expect(s.at("spec.clusterIPs") == [.string(ip)])
        let addr = try #require(IPv4Address(ip))
        #expect(config.serviceCIDR.contains(addr))
        #expect(ip != "10.96.0.1" && ip != "10.96.0.10" && ip != "10.96.0.0")
    }

    @Test("random picks avoid addresses other Services hold")
    func avoidsUsed() throws {
        let tiny = ServiceNetworkConfig(serviceCIDR: try #require(IPv4CIDR("10.0.0.0/29")))
        // Hosts .1 ... .6; .1 is reserved for `kubernetes`; take .2 ... .5.
        let existing = (2...5).map { i -> JSONValue in
            var o = svc("s\(i)", clusterIP: "10.0.0.\(i)")
            o.set("spec.clusterIPs", [.string("10.0.0.\(i)")])
            return o
        }
        for seed in UInt64(1)...20 {
            var s = svc("web")
            var rng = SeededGenerator(state: seed)
            #expect(ServiceAllocation.allocate(&s, old: nil, existing: existing, config: tiny, using: &rng).isEmpty)
            #expect(s.at("spec.clusterIP") == "10.0.0.6")
        }
    }

    @Test("a requested IP outside the range is refused with upstream's message")
    func outOfRange() {
        var s = svc("web", clusterIP: "10.0.0.1")
        let errors = allocate(&s)
        #expect(errors.map(\.description) == [
            #"spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"#
        ])
    }

    @Test("a requested IP another Service holds is refused")
    func ipCollision() {
        var other = svc("kube-dns", clusterIP: "10.96.0.10")
        other.set("metadata.namespace", "kube-system")
        var s = svc("web", clusterIP: "10.96.0.10")
        let errors = allocate(&s, existing: [other])
        #expect(errors.map(\.description) == [
            #"spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"#
        ])
    }

    @Test("the reserved addresses can be had by asking for them explicitly")
    func explicitReserved() {
        var s = svc("kubernetes", clusterIP: "10.96.0.1")
        #expect(allocate(&s).isEmpty)
        #expect(s.at("spec.clusterIPs") == ["10.96.0.1"])
    }

    @Test("an update keeps the old clusterIP when the new object leaves it out, and its own IP is not a collision")
    func keepsOnUpdate() {
        var old = svc("web")
        _ = allocate(&old)
        var new = svc("web")
        #expect(allocate(&new, old: old, existing: [old], seed: 99).isEmpty)
        #expect(new.at("spec.clusterIP") == old.at("spec.clusterIP"))
        #expect(new.at("spec.clusterIPs") == old.at("spec.clusterIPs"))
    }

    @Test("a headless Service stays None")
    func headless() {
        var s = svc("db", clusterIP: "None")
        #expect(allocate(&s).isEmpty)
        #expect(s.at("spec.clusterIP") == "None")
        #expect(s.at("spec.clusterIPs") == ["None"])
    }

    @Test("ExternalName Services get no IP, and lose theirs when they become ExternalName")
    func externalName() {
        var s = svc("ext", type: "ExternalName", ports: [])
        #expect(allocate(&s).isEmpty)
        #expect(s.at("spec.clusterIP").isNull)
        var old = svc("ext")
        _ = allocate(&old)
        var new = old
        new.set("spec.type", "ExternalName")
        #expect(allocate(&new, old: old).isEmpty)
        #expect(new.at("spec.clusterIP").isNull)
        #expect(new.at("spec.clusterIPs").isNull)
    }

    @Test("NodePort Services get a free node port in range; TCP and UDP on one port share it")
    func nodePorts() throws {
        var s = svc("web", type: "NodePort", ports: [
            ["name": "dns", "port": 53, "protocol": "UDP"], ["name": "dns-tcp", "port": 53, "protocol": "TCP"],
            ["name": "http", "port": 80, "protocol": "TCP"],
        ])
        #expect(allocate(&s).isEmpty)
        let ports = try #require(s.at("spec.ports").array)
        let np = ports.compactMap { $0["nodePort"].int }
        #expect(np.count == 3)
        #expect(np.allSatisfy { (30000...32767).contains($0) })
        #expect(np[0] == np[1])
        #expect(np[0] != np[2])
    }

    @Test("a requested node port out of range or already held is refused")
    func nodePortErrors() {
        var s = svc("web", type: "NodePort", ports: [["port": 80, "protocol": "TCP", "nodePort": 80]])
        #expect(allocate(&s).map(\.description) == [
            "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"
        ])
        var holder = svc("other", type: "NodePort", ports: [["port": 80, "protocol": "TCP", "nodePort": 30080]])
        holder.set("metadata.namespace", "team-a")
        var t = svc("web", type: "NodePort", ports: [["port": 80, "protocol": "TCP", "nodePort": 30080]])
        #expect(allocate(&t, existing: [holder]).map(\.description) == [
            "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
        ])
    }

    @Test("node ports survive an update that leaves them out, matched by port name")
    func nodePortsKept() {
        var old = svc("web", type: "NodePort", ports: [["name": "http", "port": 80, "protocol": "TCP"]])
        _ = allocate(&old)
        var new = svc("web", type: "NodePort", ports: [["name": "http", "port": 8080, "protocol": "TCP"]])
        #expect(allocate(&new, old: old, existing: [old], seed: 7).isEmpty)
        #expect(new["spec"]["ports"][0]["nodePort"] == old["spec"]["ports"][0]["nodePort"])
    }

    @Test("node ports are removed when the type becomes ClusterIP")
    func nodePortsDropped() {
        var old = svc("web", type: "NodePort")
        _ = allocate(&old)
        var new = old
        new.set("spec.type", "ClusterIP")
        #expect(allocate(&new, old: old, existing: [old]).isEmpty)
        #expect(new["spec"]["ports"][0]["nodePort"].isNull)
        #expect(new.at("spec.clusterIP") == old.at("spec.clusterIP"))
    }

    @Test("a LoadBalancer with allocateLoadBalancerNodePorts false gets no node ports")
    func lbWithoutNodePorts() {
        var s = svc("lb", type: "LoadBalancer")
        s.set("spec.allocateLoadBalancerNodePorts", false)
        #expect(allocate(&s).isEmpty)
        #expect(s["spec"]["ports"][0]["nodePort"].isNull)
    }

    @Test("a Local LoadBalancer gets a health check node port distinct from its node ports")
    func healthCheck() throws {
        var s = svc("lb", type: "LoadBalancer")
        s.set("spec.externalTrafficPolicy", "Local")
        #expect(allocate(&s).isEmpty)
        let hc = try #require(s.at("spec.healthCheckNodePort").int)
        #expect((30000...32767).contains(hc))
        #expect(hc != s["spec"]["ports"][0]["nodePort"].int)
    }
}
