import Testing

@testable import PodlabModel

@Suite("kube-proxy ruleset sync")
struct ProxyDiffTests {
    typealias F = ProxyFixtures

    static let web = F.service(
        "default", "web", type: "NodePort", clusterIP: "10.96.0.50", ports: [F.port("http", 80, nodePort: 30080)])
    static let api = F.service("default", "api", clusterIP: "10.96.0.60", ports: [F.port(nil, 443, target: 8443)])

    static func webSlice(_ ips: [String]) -> EndpointSlice {
        F.slice(service: "web", ports: [("http", 80, "TCP")], endpoints: ips.map { F.EP(ip: $0) })
    }
    static let apiSlice = F.slice(service: "api", ports: [("", 8443, "TCP")], endpoints: [F.EP(ip: "10.244.3.3")])

    /// Runs `script` over the state `old` renders to, and checks the result is what `new` renders to.
    func expectApplies(_ script: String, from old: ProxyRuleset, to new: ProxyRuleset) throws {
        var state = try ProxyScriptInterpreter.state(of: old)
        try state.run(script)
        let target = try ProxyScriptInterpreter.state(of: new)
        #expect(state.chains == target.chains)
        #expect(state.sets == target.sets)
    }

    func lines(_ s: String) -> [String] { s.split(separator: "\n").map(String.init) }

    @Test("diff of a ruleset with itself is empty")
    func emptyDiff() {
        let (services, slices) = ProxyNftCheckTests.sampleServices()
        let r = F.desired(services, slices)
        #expect(ProxyRuleset.diff(from: r, to: r) == "")
        #expect(ProxyRuleset.diff(from: F.desired([], []), to: F.desired([], [])) == "")
    }

    @Test("a new endpoint for one Service adds its chain and rewrites that Service's chain only")
    func endpointAdded() throws {
        let old = F.desired([Self.web, Self.api], [Self.webSlice(["10.244.1.5", "10.244.2.5"]), Self.apiSlice])
        let new = F.desired(
            [Self.web, Self.api], [Self.webSlice(["10.244.1.5", "10.244.2.5", "10.244.2.6"]), Self.apiSlice])
        let service = F.chain("service-", "default", "web", "tcp", "http")
        let ep = { (ip: String) in F.endpoint(svc: "web", "tcp", "http", ip: ip, targetPort: 80) }
        let diff = ProxyRuleset.diff(from: old, to: new)
        // Rules are written in chain-name order: endpoint-… sorts before service-….
        #expect(
            diff == """
                add chain ip kube-proxy \(ep("10.244.2.6"))
                flush chain ip kube-proxy \(service)
                add rule ip kube-proxy \(ep("10.244.2.6")) ip saddr 10.244.2.6 jump mark-for-masquerade
                add rule ip kube-proxy \(ep("10.244.2.6")) meta l4proto tcp counter dnat to 10.244.2.6:80
                add rule ip kube-proxy \(service) ip daddr 10.96.0.50 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
                add rule ip kube-proxy \(service) numgen random mod 3 == 0 goto \(ep("10.244.1.5"))
                add rule ip kube-proxy \(service) numgen random mod 2 == 0 goto \(ep("10.244.2.5"))
                add rule ip kube-proxy \(service) goto \(ep("10.244.2.6"))

                """)
        #expect(!diff.contains("/api/"))
        try expectApplies(diff, from: old, to: new)
    }

    @Test("removing a Service deletes its elements before its chains, and its chains after flushing them")
    func serviceRemoved() throws {
        let old = F.desired([Self.web, Self.api], [Self.webSlice(["10.244.1.5"]), Self.apiSlice])
        let new = F.desired([Self.web], [Self.webSlice(["10.244.1.5"])])
        let l = lines(ProxyRuleset.diff(from: old, to: new))
        let service = F.chain("service-", "default", "api", "tcp", "")
        let endpoint = F.endpoint(svc: "api", "tcp", "", ip: "10.244.3.3", targetPort: 8443)
        let element = try #require(
            l.firstIndex(of: "delete element ip kube-proxy service-ips { 10.96.0.60 . tcp . 443 }"))
        let flush = try #require(l.firstIndex(of: "flush chain ip kube-proxy \(service)"))
        let deleteService = try #require(l.firstIndex(of: "delete chain ip kube-proxy \(service)"))
        let deleteEndpoint = try #require(l.firstIndex(of: "delete chain ip kube-proxy \(endpoint)"))
        #expect(l.contains("delete element ip kube-proxy cluster-ips { 10.96.0.60 }"))
        #expect(element < deleteService && flush < deleteService && flush < deleteEndpoint)
        #expect(l.allSatisfy { !$0.contains("/web/") })
        try expectApplies(l.joined(separator: "\n"), from: old, to: new)
    }

    @Test("losing every endpoint moves the ClusterIP from service-ips to no-endpoint-services")
    func lastEndpointGone() throws {
        let old = F.desired([Self.web], [Self.webSlice(["10.244.1.5"])])
        let new = F.desired([Self.web], [Self.webSlice([])])
        let diff = ProxyRuleset.diff(from: old, to: new)
        #expect(lines(diff).contains("delete element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 }"))
        #expect(
            lines(diff).contains(
                "add element ip kube-proxy no-endpoint-services { 10.96.0.50 . tcp . 80 comment \"default/web:http\" : goto reject-chain }"
            ))
        #expect(
            lines(diff).contains(
                "add element ip kube-proxy no-endpoint-nodeports { tcp . 30080 comment \"default/web:http\" : goto reject-chain }"
            ))
        try expectApplies(diff, from: old, to: new)
        try expectApplies(ProxyRuleset.diff(from: new, to: old), from: new, to: old)
    }

    @Test("a changed affinity timeout re-creates the sets after the chains that use them are flushed")
    func affinityTimeoutChanged() throws {
        func svc(_ t: Int32?) -> Service {
            F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port("http", 80)], affinityTimeout: .some(t))
        }
        let slice = Self.webSlice(["10.244.1.5"])
        let old = F.desired([svc(nil)], [slice])
        let new = F.desired([svc(30)], [slice])
        let l = lines(ProxyRuleset.diff(from: old, to: new))
        let set = F.endpoint("affinity-", svc: "web", "tcp", "http", ip: "10.244.1.5", targetPort: 80)
        let endpoint = F.endpoint(svc: "web", "tcp", "http", ip: "10.244.1.5", targetPort: 80)
        let flush = try #require(l.firstIndex(of: "flush chain ip kube-proxy \(endpoint)"))
        let delete = try #require(l.firstIndex(of: "delete set ip kube-proxy \(set)"))
        let add = try #require(
            l.firstIndex { $0.hasPrefix("add set ip kube-proxy \(set) ") && $0.contains("timeout 30s") })
        let rule = try #require(l.firstIndex { $0.hasPrefix("add rule ip kube-proxy \(endpoint) update") })
        #expect(flush < delete && delete < add && add < rule)
        try expectApplies(l.joined(separator: "\n"), from: old, to: new)
        // Turning affinity off deletes the sets once no rule uses them.
        let off = F.desired(
            [F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port("http", 80)])], [slice])
        try expectApplies(ProxyRuleset.diff(from: new, to: off), from: new, to: off)
    }

    @Test("a changed node setting rewrites only the fixed chains it affects")
    func configChanged() throws {
        let old = F.desired([Self.web], [Self.webSlice(["10.244.1.5"])])
        let new = F.desired([Self.web], [Self.webSlice(["10.244.1.5"])], config: F.config(localhost: false))
        let diff = ProxyRuleset.diff(from: old, to: new)
        #expect(
            lines(diff).filter { $0.hasPrefix("flush") } == [
                "flush chain ip kube-proxy nat-output", "flush chain ip kube-proxy nodeport-endpoints-check",
            ])
        try expectApplies(diff, from: old, to: new)
    }

    @Test("a base chain whose priority changes is deleted and created again")
    func baseChainRedefined() throws {
        let old = F.desired([Self.web], [Self.webSlice(["10.244.1.5"])])
        var new = old
        let i = try #require(new.chains.firstIndex { $0.name == "filter-forward" })
        new.chains[i].base?.priority = 0
        let l = lines(ProxyRuleset.diff(from: old, to: new))
        #expect(
            l == [
                "flush chain ip kube-proxy filter-forward", "delete chain ip kube-proxy filter-forward",
                "add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }",
                "add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check",
                "add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check",
            ])
        try expectApplies(l.joined(separator: "\n"), from: old, to: new)
    }

    @Test("deferred chain deletion only flushes gone chains; a later script deletes those still unused")
    func deferredChainDeletion() throws {
        let old = F.desired([Self.web, Self.api], [Self.webSlice(["10.244.1.5"]), Self.apiSlice])
        let new = F.desired([Self.web], [Self.webSlice(["10.244.1.5"])])
        let diff = ProxyRuleset.diff(from: old, to: new, deferChainDeletion: true)
        #expect(!diff.contains("delete chain"))
        let removed = ProxyRuleset.removedChains(from: old, to: new)
        #expect(removed.count == 2 && removed.allSatisfy { $0.contains("/api/") })
        var state = try ProxyScriptInterpreter.state(of: old)
        try state.run(diff)
        #expect(removed.allSatisfy { state.chains[$0]?.rules == [] })
        try state.run(new.deleteStaleChains(removed))
        #expect(state.chains == (try ProxyScriptInterpreter.state(of: new)).chains)
        // A chain that came back meanwhile is not deleted.
        #expect(old.deleteStaleChains(removed) == "")
    }

    @Test("a full sync in place rewrites everything but keeps affinity sets, and removes what is gone")
    func fullSyncInPlace() throws {
        let sticky = F.service(
            "default", "web", clusterIP: "10.96.0.50", ports: [F.port("http", 80)], affinityTimeout: .some(nil))
        let old = F.desired([sticky, Self.api], [Self.webSlice(["10.244.1.5"]), Self.apiSlice])
        let new = F.desired([sticky], [Self.webSlice(["10.244.1.5"])])
        let script = new.fullSync(replacing: old)
        let l = lines(script)
        let set = F.endpoint("affinity-", svc: "web", "tcp", "http", ip: "10.244.1.5", targetPort: 80)
        #expect(l.contains("flush map ip kube-proxy service-ips"))
        #expect(l.contains("flush chain ip kube-proxy services"))
        #expect(l.contains { $0.hasPrefix("add set ip kube-proxy \(set) ") })
        #expect(!l.contains("flush set ip kube-proxy \(set)"))
        #expect(l.contains("delete chain ip kube-proxy \(F.chain("service-", "default", "api", "tcp", ""))"))
        try expectApplies(script, from: old, to: new)
        // The kernel's affinity entries survive (the interpreter keeps set elements it was not told to drop).
        var state = try ProxyScriptInterpreter.state(of: old)
        try state.run("add element ip kube-proxy \(set) { 10.244.9.9 }")
        try state.run(script)
        #expect(state.sets[set]?.elements.keys.sorted() == ["10.244.9.9"])
        #expect(new.fullSync(replacing: nil) == new.render())
    }

    @Test("random sequences of changes: every diff is a valid transaction that reaches the next ruleset")
    func randomSequences() throws {
        var rng = SeededGenerator(state: 42)
        let configs = [F.config(), F.config(localhost: false)]
        var old = F.desired([], [])
        for step in 0..<60 {
            let (services, slices) = Self.randomCluster(&rng)
            let new = F.desired(services, slices, config: configs[Int.random(in: 0..<2, using: &rng)])
            let full = step % 7 == 0
            let script = full ? new.fullSync(replacing: old) : ProxyRuleset.diff(from: old, to: new)
            try expectApplies(script, from: old, to: new)
            #expect(ProxyRuleset.diff(from: new, to: new) == "")
            old = new
        }
    }

    /// A few Services with random types, policies, affinity and endpoints.
    static func randomCluster(_ rng: inout SeededGenerator) -> ([Service], [EndpointSlice]) {
        var services: [Service] = []
        var slices: [EndpointSlice] = []
        for i in 0..<5 where Bool.random(using: &rng) {
            let type = ["ClusterIP", "NodePort", "LoadBalancer"][Int.random(in: 0..<3, using: &rng)]
            let nodePort: Int32? = type == "ClusterIP" ? nil : Int32(30000 + i)
            let timeout: Int32?? =
                Bool.random(using: &rng) ? .none : .some([nil, 60, 120][Int.random(in: 0..<3, using: &rng)])
            services.append(
                F.service(
                    "ns\(i % 2)", "svc\(i)", type: type, clusterIP: "10.96.1.\(i)",
                    ports: [F.port("p", 80, ["TCP", "UDP"][i % 2], nodePort: nodePort)],
                    externalIPs: Bool.random(using: &rng) ? ["172.18.0.10\(i)"] : nil,
                    lbIPs: type == "LoadBalancer" ? ["172.18.255.20\(i)"] : [],
                    sourceRanges: Bool.random(using: &rng) ? ["192.0.2.0/24"] : nil,
                    externalPolicy: Bool.random(using: &rng) ? "Local" : nil,
                    internalPolicy: Int.random(in: 0..<4, using: &rng) == 0 ? "Local" : nil, affinityTimeout: timeout))
            let endpoints = (0..<Int.random(in: 0...4, using: &rng)).map { j in
                F.EP(
                    ip: "10.244.\(j % 2 + 1).\(i * 10 + j)", node: j % 2 == 0 ? F.nodeName : "podlab-worker2",
                    ready: Int.random(in: 0..<4, using: &rng) != 0, serving: true, terminating: Bool.random(using: &rng)
                )
            }
            slices.append(
                F.slice(
                    "ns\(i % 2)", service: "svc\(i)", ports: [("p", Int32(8000 + i), ["TCP", "UDP"][i % 2])],
                    endpoints: endpoints))
        }
        return (services, slices)
    }
}
