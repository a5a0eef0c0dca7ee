import Testing

@testable import PodlabModel

@Suite("NetworkPolicy nftables rendering")
struct PolicyRulesTests {
    typealias F = PolicyFixtures

    static let fromB = """
        kind: NetworkPolicy
        metadata: {name: allow-b, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          ingress:
          - from: [{podSelector: {matchLabels: {pod: b}}}, {ipBlock: {cidr: 172.18.0.0/16, except: [172.18.0.100/32]}}]
            ports: [{port: 80}, {port: serve-81-tcp}, {port: 1000, endPort: 1010, protocol: UDP}]
          egress:
          - to: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
            ports: [{port: serve-80-udp, protocol: UDP}]
        """

    @Test("a node's table: forward chain, maps to per-pod chains, named peer sets, drop last")
    func golden() throws {
        let rules = PolicyRules.desired(try F.model(Self.fromB), node: "n1")
        let pods = PolicyRules.setName("pods", "pods {pod=b} in namespace x")
        let ports = PolicyRules.setName("ports", "pods {} in namespaces {ns=y} port serve-80-udp/UDP")
        let script = rules.render()
        #expect(script == """
            add table inet podlab-netpol
            delete table inet podlab-netpol
            add table inet podlab-netpol
            add set inet podlab-netpol \(pods) { type ipv4_addr ; }
            add set inet podlab-netpol \(ports) { type ipv4_addr . inet_proto . inet_service ; }
            add map inet podlab-netpol egress-pods { type ipv4_addr : verdict ; }
            add map inet podlab-netpol ingress-pods { type ipv4_addr : verdict ; }
            add chain inet podlab-netpol forward { type filter hook forward priority filter ; policy accept ; }
            add chain inet podlab-netpol egress-x/a
            add chain inet podlab-netpol ingress-x/a
            add rule inet podlab-netpol forward ct state established,related accept
            add rule inet podlab-netpol forward ip saddr vmap @egress-pods
            add rule inet podlab-netpol forward ip daddr vmap @ingress-pods
            add rule inet podlab-netpol egress-x/a ip daddr 10.244.1.2 return
            add rule inet podlab-netpol egress-x/a ip daddr . meta l4proto . th dport @\(ports) counter return comment "x/allow-b"
            add rule inet podlab-netpol egress-x/a counter drop comment "no policy allows it"
            add rule inet podlab-netpol ingress-x/a ip saddr 10.244.1.2 return
            add rule inet podlab-netpol ingress-x/a ip saddr @\(pods) meta l4proto tcp th dport 80 counter return comment "x/allow-b"
            add rule inet podlab-netpol ingress-x/a ip saddr @\(pods) meta l4proto tcp th dport 81 counter return comment "x/allow-b"
            add rule inet podlab-netpol ingress-x/a ip saddr @\(pods) meta l4proto udp th dport 1000-1010 counter return comment "x/allow-b"
            add rule inet podlab-netpol ingress-x/a ip saddr 172.18.0.0/16 ip saddr != { 172.18.0.100/32 } meta l4proto tcp th dport 80 counter return comment "x/allow-b"
            add rule inet podlab-netpol ingress-x/a ip saddr 172.18.0.0/16 ip saddr != { 172.18.0.100/32 } meta l4proto tcp th dport 81 counter return comment "x/allow-b"
            add rule inet podlab-netpol ingress-x/a ip saddr 172.18.0.0/16 ip saddr != { 172.18.0.100/32 } meta l4proto udp th dport 1000-1010 counter return comment "x/allow-b"
            add rule inet podlab-netpol ingress-x/a counter drop comment "no policy allows it"
            add element inet podlab-netpol \(pods) { 10.244.1.3 }
            add element inet podlab-netpol \(ports) { 10.244.2.2 . udp . 80, 10.244.2.3 . udp . 80, 10.244.2.4 . udp . 80 }
            add element inet podlab-netpol egress-pods { 10.244.1.2 : jump egress-x/a }
            add element inet podlab-netpol ingress-pods { 10.244.1.2 : jump ingress-x/a }

            """)
        // Node n2 holds no pod of x: an empty table (the forward chain and the empty maps only).
        let n2 = PolicyRules.desired(try F.model(Self.fromB), node: "n2")
        #expect(n2.chains.isEmpty && n2.ingressPods.isEmpty && n2.egressPods.isEmpty)
    }

    @Test("a pod label change moves set elements without rewriting any chain")
    func labelChangeIsElementsOnly() throws {
        let before = PolicyRules.desired(try F.model(Self.fromB), node: "n1")
        let after = PolicyRules.desired(
            try F.model(Self.fromB, labels: ["x/b": ["pod": "x"], "x/c": ["pod": "b"]]), node: "n1")
        let pods = PolicyRules.setName("pods", "pods {pod=b} in namespace x")
        #expect(after.elementUpdate(from: before) == """
            delete element inet podlab-netpol \(pods) { 10.244.1.3 }
            add element inet podlab-netpol \(pods) { 10.244.1.4 }

            """)
        #expect(before.elementUpdate(from: before) == "")
        // Selecting another pod needs a new chain: no element-only update then.
        let moved = PolicyRules.desired(try F.model(Self.fromB, labels: ["x/a": ["pod": "z"]]), node: "n1")
        #expect(moved.elementUpdate(from: before) == nil)
        #expect(moved.chains.isEmpty)
    }

    @Test("an allow-all ingress rule renders as a bare return, ports alone as protocol matches")
    func allowAll() throws {
        let rules = PolicyRules.desired(try F.model("""
            kind: NetworkPolicy
            metadata: {name: all, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: b}}
              ingress: [{}, {ports: [{protocol: UDP}]}]
            """), node: "n1")
        #expect(rules.chains.map(\.rules) == [[
            "ip saddr 10.244.1.3 return",
            "counter return comment \"x/all\"",
            "meta l4proto udp counter return comment \"x/all\"",
            "counter drop comment \"no policy allows it\"",
        ]])
    }
}

@Suite("podlab explain netpol text")
struct PolicyDescribeTests {
    @Test("a policy is described by the pods it selects and the peers it admits now")
    func describe() throws {
        let m = try PolicyFixtures.model(PolicyRulesTests.fromB)
        #expect(m.describe(m.policies[0]) == [
            "NetworkPolicy x/allow-b",
            "  selects 1 pod(s) in x with {pod=a}: a (10.244.1.2)",
            "  ingress: isolated; allowed:",
            "    rule 0: from these peers on 80/TCP, serve-81-tcp/TCP (named), 1000-1010/UDP",
            "      pods {pod=b} in namespace x: x/b (10.244.1.3)",
            "      ipBlock 172.18.0.0/16 except 172.18.0.100/32",
            "  egress: isolated; allowed:",
            "    rule 0: to these peers on serve-80-udp/UDP (named)",
            "      pods {} in namespaces {ns=y}: y/a (10.244.2.2), y/b (10.244.2.3), y/c (10.244.2.4)",
        ])
    }
}
