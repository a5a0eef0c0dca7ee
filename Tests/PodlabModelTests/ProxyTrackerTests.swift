import Testing

@testable import PodlabModel

@Suite("kube-proxy rules tracked one Service at a time")
struct ProxyTrackerTests {
    typealias F = ProxyFixtures

    static func json(_ services: [Service], _ slices: [EndpointSlice], version: Int? = nil) throws
        -> ([JSONValue], [JSONValue])
    {
        func stamp(_ v: JSONValue) -> JSONValue {
            guard let version, case .object(var o) = v, case .object(var m) = o["metadata"] ?? .null else { return v }
            m["resourceVersion"] = .string(String(version))
            o["metadata"] = .object(m)
            return .object(o)
        }
        return (try services.map { stamp(try JSONValue(encoding: $0)) }, try slices.map { stamp(try JSONValue(encoding: $0)) })
    }

    /// Stamps each object with a resourceVersion derived from its content, as the store's would change with it.
    static func contentVersions(_ values: [JSONValue]) -> [JSONValue] {
        values.map { v in
            guard case .object(var o) = v, case .object(var m) = o["metadata"] ?? .null else { return v }
            m["resourceVersion"] = .string(String(v.hashValue))
            o["metadata"] = .object(m)
            return .object(o)
        }
    }

    @Test("random sequences: each update's script plus the deferred deletions reach what a full computation gives")
    func randomSequences() throws {
        var rng = SeededGenerator(state: 7)
        let config = F.config()
        var tracker = ProxyRulesTracker(config: config)
        var old = F.desired([], [], config: config)
        var rebuiltTotal = 0
        for step in 0..<80 {
            let (services, slices) = ProxyDiffTests.randomCluster(&rng)
            // Odd steps carry resourceVersions that only change with the content; even steps carry none.
            var (sj, lj) = try Self.json(services, slices)
            if step % 2 == 1 { (sj, lj) = (Self.contentVersions(sj), Self.contentVersions(lj)) }
            let update = tracker.update(services: sj, endpointSlices: lj)
            let new = F.desired(services, slices, config: config)
            #expect(tracker.ruleset() == new, "step \(step)")
            var state = try ProxyScriptInterpreter.state(of: old)
            try state.run(update.script)
            try state.run(tracker.deleteChainsScript(update.removedChains))
            let target = try ProxyScriptInterpreter.state(of: new)
            #expect(state.chains == target.chains, "step \(step)")
            #expect(state.sets == target.sets, "step \(step)")
            #expect(tracker.update(services: sj, endpointSlices: lj).script == "")
            rebuiltTotal += update.rebuilt
            old = new
        }
        // Unchanged Services are not rebuilt: far fewer rebuilds than 80 steps x up to 5 Services.
        #expect(rebuiltTotal > 0)
    }

    @Test("only the changed Service is rebuilt, and the script names nothing of the others")
    func onlyChangedService() throws {
        let web = ProxyDiffTests.web
        let api = ProxyDiffTests.api
        var tracker = ProxyRulesTracker(config: F.config())
        let (s1, l1) = try Self.json([web, api], [ProxyDiffTests.webSlice(["10.244.1.5"]), ProxyDiffTests.apiSlice], version: 1)
        #expect(tracker.update(services: s1, endpointSlices: l1).rebuilt == 2)
        var (s2, l2) = try Self.json(
            [web, api], [ProxyDiffTests.webSlice(["10.244.1.5", "10.244.2.7"]), ProxyDiffTests.apiSlice], version: 1)
        // Only web's slice has a new resourceVersion, as the store would give it.
        l2[0] = try Self.json([], [ProxyDiffTests.webSlice(["10.244.1.5", "10.244.2.7"])], version: 2).1[0]
        s2 = s1
        let update = tracker.update(services: s2, endpointSlices: l2)
        #expect(update.rebuilt == 1)
        #expect(update.script.contains("10.244.2.7"))
        #expect(!update.script.contains("/api/"))
        #expect(update.removedChains.isEmpty)
    }

    @Test("two Services claiming one external IP and port: the first keeps it, the second takes over when it goes")
    func sharedElement() throws {
        func svc(_ name: String, _ ip: String) -> Service {
            F.service("default", name, clusterIP: ip, ports: [F.port("http", 80)], externalIPs: ["172.18.0.50"])
        }
        let a = svc("a", "10.96.0.70")
        let b = svc("b", "10.96.0.71")
        let slices = [
            F.slice(service: "a", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.1.1")]),
            F.slice(service: "b", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.1.2")]),
        ]
        var tracker = ProxyRulesTracker(config: F.config())
        let (sj, lj) = try Self.json([b, a], slices, version: 1)
        _ = tracker.update(services: sj, endpointSlices: lj)
        let both = F.desired([a, b], slices)
        #expect(tracker.ruleset() == both)
        let external = { (r: ProxyRuleset) in
            r.set(KubeProxyNames.serviceIPs)?.elements.first { $0.key.hasPrefix("172.18.0.50 ") }?.value
        }
        #expect(external(tracker.ruleset())?.contains("/a/") == true)
        let (sOnlyB, lOnlyB) = try Self.json([b], [slices[1]], version: 1)
        let update = tracker.update(services: sOnlyB, endpointSlices: lOnlyB)
        #expect(external(tracker.ruleset())?.contains("/b/") == true)
        #expect(tracker.ruleset() == F.desired([b], [slices[1]]))
        var state = try ProxyScriptInterpreter.state(of: both)
        try state.run(update.script)
        try state.run(tracker.deleteChainsScript(update.removedChains))
        let target = try ProxyScriptInterpreter.state(of: F.desired([b], [slices[1]]))
        #expect(state.chains == target.chains)
        #expect(state.sets == target.sets)
    }
}

