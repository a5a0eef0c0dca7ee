import Testing

@testable import PodlabModel

@Suite("NetworkPolicy semantics (upstream truth tables, computed purely)")
struct PolicyModelTests {
    typealias F = PolicyFixtures

    func expect(_ model: PolicyModel, port: Int = 80, proto: String = "TCP", _ rows: [String]) {
        let got = model.truthTable(pods: F.keys, port: port, protocol: proto)
        let want = F.table(rows)
        #expect(got.mismatches(want).isEmpty, "port \(port)/\(proto) observed:\n\(got)expected:\n\(want)")
    }

    static let allAllowed = Array(repeating: ".........", count: 9)

    @Test("no policy: everything allowed")
    func noPolicy() throws {
        expect(try F.model(""), Self.allAllowed)
    }

    @Test("default deny ingress in x isolates x's pods for ingress only")
    func defaultDenyIngress() throws {
        let m = try F.model("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: x}
            spec: {podSelector: {}}
            """)
        expect(m, Array(repeating: "XXX......", count: 9))
        expect(m, port: 80, proto: "UDP", Array(repeating: "XXX......", count: 9))
        let t = m.trace(from: IPv4Address("10.244.2.2")!, to: IPv4Address("10.244.1.3")!, port: 80, protocol: "TCP")
        #expect(t.ingress?.isolatedBy == ["x/deny"] && t.ingress?.allowedBy == [] && !t.allowed)
        #expect(t.egress?.isolatedBy == [])
    }

    @Test("default deny all: Ingress and Egress with no rules")
    func defaultDenyAll() throws {
        let m = try F.model("""
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: x}
            spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
            """)
        expect(m, [
            "XXXXXXXXX", "XXXXXXXXX", "XXXXXXXXX",
            "XXX......", "XXX......", "XXX......", "XXX......", "XXX......", "XXX......",
        ])
    }

    @Test("deny ingress from other namespaces: empty podSelector peer means the policy's namespace")
    func denyOtherNamespaces() throws {
        let m = try F.model("""
            kind: NetworkPolicy
            metadata: {name: same-ns, namespace: x}
            spec:
              podSelector: {}
              ingress: [{from: [{podSelector: {}}]}]
            """)
        expect(m, [".........", ".........", ".........",
                   "XXX......", "XXX......", "XXX......", "XXX......", "XXX......", "XXX......"])
    }

    @Test("allow from pods by label, into one pod")
    func allowFromPodLabel() throws {
        let m = try F.model("""
            kind: NetworkPolicy
            metadata: {name: allow-b, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
            """)
        expect(m, [".........", ".........", "X........",
                   "X........", "X........", "X........", "X........", "X........", "X........"])
    }

    @Test("allow from a namespace by label, and the default kubernetes.io/metadata.name label")
    func allowFromNamespace() throws {
        for selector in ["{matchLabels: {ns: \"y\"}}", "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [\"y\"]}]}"] {
            let m = try F.model("""
                kind: NetworkPolicy
                metadata: {name: from-y, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: \(selector)}]}]
                """)
            expect(m, ["X........", "X........", "X........",
                       ".........", ".........", ".........", "X........", "X........", "X........"])
        }
    }

    @Test("pod AND namespace in one peer, pod OR namespace in two peers")
    func andVersusOr() throws {
        let and = try F.model("""
            kind: NetworkPolicy
            metadata: {name: and, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {matchLabels: {pod: b}}}]}]
            """)
        expect(and, ["X........", "X........", "X........",
                     "X........", ".........", "X........", "X........", "X........", "X........"])
        let or = try F.model("""
            kind: NetworkPolicy
            metadata: {name: or, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}, {podSelector: {matchLabels: {pod: b}}}]}]
            """)
        expect(or, ["X........", ".........", "X........",
                    ".........", ".........", ".........", "X........", "X........", "X........"])
    }

    @Test("allow by port number, by named port, and endPort ranges; protocols are not mixed up")
    func ports() throws {
        let byNumber = try F.model("""
            kind: NetworkPolicy
            metadata: {name: p81, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{ports: [{port: 81}]}]
            """)
        expect(byNumber, port: 80, ["X........", "X........", "X........", "X........", "X........",
                                    "X........", "X........", "X........", "X........"])
        expect(byNumber, port: 81, Self.allAllowed)
        expect(byNumber, port: 80, proto: "UDP",
               Array(repeating: "X........", count: 9))
        let named = try F.model("""
            kind: NetworkPolicy
            metadata: {name: named, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{ports: [{port: serve-80-udp, protocol: UDP}]}]
            """)
        expect(named, port: 80, proto: "UDP", Self.allAllowed)
        expect(named, port: 80, Array(repeating: "X........", count: 9))
        let range = try F.model("""
            kind: NetworkPolicy
            metadata: {name: range, namespace: x}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: 81, endPort: 90}]}]
            """)
        expect(range, port: 81, Self.allAllowed)
        expect(range, port: 80, Array(repeating: "XXX......", count: 9))
        let sctp = try F.model("""
            kind: NetworkPolicy
            metadata: {name: sctp, namespace: x}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: 80, protocol: SCTP}]}]
            """)
        expect(sctp, port: 80, Array(repeating: "XXX......", count: 9))
        expect(sctp, port: 80, proto: "SCTP", Self.allAllowed)
    }

    @Test("egress deny, and egress to one pod in another namespace with DNS allowed")
    func egress() throws {
        let deny = try F.model("""
            kind: NetworkPolicy
            metadata: {name: no-egress, namespace: x}
            spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress]}
            """)
        expect(deny, ["XXXXXXXXX", ".........", ".........", ".........", ".........", ".........",
                      ".........", ".........", "........."])
        let toYB = try F.model("""
            kind: NetworkPolicy
            metadata: {name: to-y-b, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              policyTypes: [Egress]
              egress:
              - to: [{namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {matchLabels: {pod: b}}}]
              - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
            """)
        expect(toYB, ["XXXX.XXXX", ".........", ".........", ".........", ".........", ".........",
                      ".........", ".........", "........."])
        expect(toYB, port: 53, proto: "UDP", Self.allAllowed)
    }

    @Test("egress by named port resolves per destination pod")
    func egressNamedPort() throws {
        var pods = F.pods()
        pods[4].ports = [.init(name: "web", port: 81)]  // y/b serves "web" on 81
        pods[5].ports = [.init(name: "web", port: 80)]  // y/c on 80
        let policy = try CompiledPolicy(F.policies("""
            kind: NetworkPolicy
            metadata: {name: web, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              policyTypes: [Egress]
              egress: [{ports: [{port: web}]}]
            """)[0])
        let m = PolicyModel(pods: pods, namespaces: F.namespaces.map { PolicyNamespace(name: $0) }, policies: [policy])
        expect(m, port: 80, ["XXXXX.XXX"] + Array(repeating: ".........", count: 8))
        expect(m, port: 81, ["XXXX.XXXX"] + Array(repeating: ".........", count: 8))
    }

    @Test("ipBlock with except, as upstream's egress-to-CIDR tests use pod addresses")
    func ipBlock() throws {
        let m = try F.model("""
            kind: NetworkPolicy
            metadata: {name: cidr, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              policyTypes: [Egress]
              egress: [{to: [{ipBlock: {cidr: 10.244.2.0/24, except: [10.244.2.3/32]}}]}]
            """)
        expect(m, ["XXX.X.XXX"] + Array(repeating: ".........", count: 8))
    }

    @Test("stacked policies add up, and an allow-all wins over a deny-all")
    func stacking() throws {
        let m = try F.model("""
            kind: NetworkPolicy
            metadata: {name: only-b, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
            ---
            kind: NetworkPolicy
            metadata: {name: only-c, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}]
            """)
        expect(m, [".........", ".........", ".........",
                   "X........", "X........", "X........", "X........", "X........", "X........"])
        let t = m.trace(from: IPv4Address("10.244.1.4")!, to: IPv4Address("10.244.1.2")!, port: 80, protocol: "TCP")
        #expect(t.ingress?.isolatedBy == ["x/only-b", "x/only-c"] && t.ingress?.allowedBy == ["x/only-c"])
        let allowAll = try F.model("""
            kind: NetworkPolicy
            metadata: {name: deny, namespace: x}
            spec: {podSelector: {}}
            ---
            kind: NetworkPolicy
            metadata: {name: allow-all, namespace: x}
            spec:
              podSelector: {}
              ingress: [{}]
            """)
        expect(allowAll, Self.allAllowed)
    }

    @Test("label changes on a pod and on a namespace change who is a peer")
    func labelUpdates() throws {
        let yaml = """
            kind: NetworkPolicy
            metadata: {name: from-team, namespace: x}
            spec:
              podSelector: {}
              ingress: [{from: [{namespaceSelector: {matchLabels: {team: t}}, podSelector: {matchLabels: {role: client}}}]}]
            """
        expect(try F.model(yaml), ["XXX......"] + Array(repeating: "XXX......", count: 8))
        let labelled = try F.model(
            yaml, labels: ["y/c": ["pod": "c", "role": "client"]], nsLabels: ["y": ["ns": "y", "team": "t"]])
        expect(labelled, Array(repeating: "XXX......", count: 5) + ["........."] + Array(repeating: "XXX......", count: 3))
    }

    @Test("a pod's traffic to itself is always allowed")
    func selfTraffic() throws {
        let m = try F.model("""
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: x}
            spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
            """)
        let a = IPv4Address("10.244.1.2")!
        #expect(m.trace(from: a, to: a, port: 80, protocol: "TCP").allowed)
    }

    @Test("bad policies fail with the field at fault")
    func errors() throws {
        func compile(_ spec: String) throws -> CompiledPolicy {
            try CompiledPolicy(F.policies("kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: \(spec)")[0])
        }
        #expect(throws: PolicyError(policy: "x/p", field: "spec.ingress[0].from[0].ipBlock.except[0]",
                                    problem: "must be an IPv4 CIDR inside 10.0.0.0/8, got \"11.0.0.0/8\"")) {
            try compile("{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}]}]}")
        }
        #expect(throws: PolicyError(policy: "x/p", field: "spec.egress[0].ports[0].protocol",
                                    problem: "must be TCP, UDP or SCTP, got \"ICMP\"")) {
            try compile("{podSelector: {}, egress: [{ports: [{protocol: ICMP}]}]}")
        }
        // Egress rules make Egress a default policyType; without them only Ingress.
        #expect(try compile("{podSelector: {}, egress: [{}]}").egress == [CompiledPolicy.Rule(peers: nil, ports: [])])
        #expect(try compile("{podSelector: {}}").egress == nil)
    }
}

@Suite("NetworkPolicy model from stored objects")
struct PolicyModelObjectsTests {
    @Test("pods are read with their named ports; finished and deleting pods are left out")
    func fromJSON() throws {
        func pod(_ name: String, phase: String, deleting: Bool = false) -> JSONValue {
            var meta: JSONValue = ["name": .string(name), "namespace": "x", "labels": ["pod": .string(name)]]
            if deleting { meta["deletionTimestamp"] = "2026-01-01T00:00:00Z" }
            return ["apiVersion": "v1", "kind": "Pod", "metadata": meta,
                    "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "nginx",
                             "ports": [["name": "web", "containerPort": 8080], ["containerPort": 9000]]]]],
                    "status": ["phase": .string(phase), "podIP": "10.244.1.9"]]
        }
        let policy: JSONValue = ["apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                 "metadata": ["name": "bad", "namespace": "x"],
                                 "spec": ["podSelector": [:], "ingress": [["ports": [["protocol": "ICMP"]]]]]]
        let m = PolicyModel(
            policies: [policy],
            pods: [pod("a", phase: "Running"), pod("b", phase: "Succeeded"), pod("c", phase: "Running", deleting: true)],
            namespaces: [["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "x", "labels": ["team": "t"]]]])
        #expect(m.pods.map(\.key) == ["x/a"])
        #expect(m.pods.first?.ports == [PolicyPod.NamedPort(name: "web", port: 8080)])
        #expect(m.pods.first?.node == "n1" && m.pods.first?.ip == IPv4Address("10.244.1.9"))
        #expect(m.namespaces["x"]?.labels == ["team": "t", "kubernetes.io/metadata.name": "x"])
        #expect(m.policies.isEmpty && m.errors.map(\.field) == ["spec.ingress[0].ports[0].protocol"])
    }
}

@Suite("NetworkPolicy compile cache")
struct PolicyCompileCacheTests {
    func policy(_ version: String, app: String) -> JSONValue {
        ["apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": ["name": "p", "namespace": "x", "resourceVersion": .string(version)],
         "spec": ["podSelector": ["matchLabels": ["app": .string(app)]]]]
    }

    @Test("a policy is compiled again only when its resourceVersion changes")
    func reuse() {
        var cache = PolicyCompileCache()
        let first = cache.compile([policy("1", app: "a")]).policies
        #expect(first.map(\.podSelector.description) == ["app=a"])
        // Same resourceVersion: the cached compilation stands (the store never changes an object without one).
        #expect(cache.compile([policy("1", app: "b")]).policies.map(\.podSelector.description) == ["app=a"])
        #expect(cache.compile([policy("2", app: "b")]).policies.map(\.podSelector.description) == ["app=b"])
        #expect(cache.compile([]).policies.isEmpty)
        #expect(cache.compile([policy("2", app: "c")]).policies.map(\.podSelector.description) == ["app=c"])
    }
}
