import Testing

@testable import PodlabModel

@Suite("kube-proxy names")
struct ProxyNamesTests {
    @Test("SHA-256 and base32 match their published test vectors")
    func digests() {
        func hex(_ s: String) -> String {
            SHA256.digest(Array(s.utf8)).map {
                String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
            }
            .joined()
        }
        // FIPS 180-2 appendix B.1 and B.2, and the empty message.
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1000)).hasPrefix("41edece42d63e8d9bf515a9ba6932e1c"))
        // RFC 4648 §10.
        #expect(Base32.encode(Array("f".utf8)) == "MY======")
        #expect(Base32.encode(Array("fooba".utf8)) == "MZXW6YTB")
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI======")
    }

    // Known answers from upstream's proxier_test.go golden output (TestOverallNFTablesRules). The blog post's
    // `service-ULMVA6XW-namespace1/service1/tcp/p80` reuses the hash of `ns1/svc1/tcp/p80`: upstream hashes the
    // name part itself, so `namespace1/service1/tcp/p80` has another hash (H5VEECYA).
    @Test(
        "chain names hash the name part as upstream's hashAndTruncate does",
        arguments: [
            ("ns1/svc1/tcp/p80", "ULMVA6XW"), ("ns2/svc2/tcp/p80", "42NFTM6N"), ("ns5/svc5/tcp/p80", "HVFWP5L3"),
            ("ns1/svc1/tcp/p80__10.180.0.1/80", "5OJB2KTY"), ("ns5/svc5/tcp/p80__10.180.0.3/80", "GTK6MW7G"),
            ("namespace1/service1/tcp/p80", "H5VEECYA"),
        ])
    func knownHashes(name: String, hash: String) {
        #expect(KubeProxyNames.hashAndTruncate(name) == "\(hash)-\(name)")
    }

    @Test("service and endpoint chain names follow upstream's layout")
    func chainNames() {
        let port = ServicePortName(namespace: "ns1", name: "svc1", port: "p80", protocol: .tcp)
        #expect("service-" + KubeProxyNames.servicePortBase(port) == "service-ULMVA6XW-ns1/svc1/tcp/p80")
        #expect(
            "endpoint-" + KubeProxyNames.endpointBase(port, ip: IPv4Address("10.180.0.1")!, port: 80)
                == "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")
    }

    @Test("an over-long name is cut to 240 characters ending in ...")
    func truncation() {
        let long = String(repeating: "a", count: 63) + "/" + String(repeating: "b", count: 300)
        let cut = KubeProxyNames.hashAndTruncate(long)
        #expect(cut.count == 240)
        #expect(cut.hasSuffix("..."))
        #expect(cut.hasPrefix(String(KubeProxyNames.hashAndTruncate(long).prefix(9))))
        #expect(cut.dropFirst(9).hasPrefix("aaaa"))
    }
}

@Suite("kube-proxy ruleset")
struct ProxyRulesTests {
    typealias F = ProxyFixtures

    func trace(
        _ r: ProxyRuleset, src: String, dst: String, port: Int, proto: String = "tcp", fromNode: Bool = false,
        affinity: [String: Set<String>] = [:]
    ) -> Set<String> {
        var tracer = ProxyTracer(ruleset: r, localAddresses: ["172.18.0.3", "10.244.0.1"])
        tracer.affinity = affinity
        return Set(tracer.trace(src: src, dst: dst, port: port, proto: proto, fromNode: fromNode).map(\.description))
    }

    // MARK: - ClusterIP

    @Test("a ClusterIP Service gets upstream's chains, rules and elements, with chained endpoint choice")
    func clusterIP() throws {
        let svc = F.service("ns1", "svc1", clusterIP: "10.96.0.41", ports: [F.port("p80", 80)])
        let slice = F.slice("ns1", service: "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.EP(ip: "10.180.0.1")])
        let r = F.desired([svc], [slice])
        #expect(
            r.serviceChainNames == [
                "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80", "service-ULMVA6XW-ns1/svc1/tcp/p80",
            ])
        #expect(
            r.chain("service-ULMVA6XW-ns1/svc1/tcp/p80")?.rules == [
                "ip daddr 10.96.0.41 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
                "goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80",
            ])
        #expect(
            r.chain("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")?.rules == [
                "ip saddr 10.180.0.1 jump mark-for-masquerade", "meta l4proto tcp counter dnat to 10.180.0.1:80",
            ])
        #expect(r.elements(of: "cluster-ips") == ["10.96.0.41"])
        #expect(r.elements(of: "service-ips") == ["10.96.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80"])
        #expect(r.elements(of: "service-nodeports").isEmpty)
        #expect(r.elements(of: "no-endpoint-services").isEmpty)
        // Pod traffic keeps its source; traffic from the node is masqueraded.
        #expect(trace(r, src: "10.244.1.9", dst: "10.96.0.41", port: 80) == ["10.180.0.1:80"])
        #expect(trace(r, src: "172.18.0.3", dst: "10.96.0.41", port: 80, fromNode: true) == ["10.180.0.1:80 (masq)"])
    }

    @Test("the fixed part of the table is upstream's layout, byte for byte")
    func baseLayout() {
        let text = F.desired([], [], config: F.config(localhost: false)).render()
        let expected = """
            add table ip kube-proxy
            delete table ip kube-proxy
            add table ip kube-proxy { comment "rules for kube-proxy" ; }
            add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
            add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
            add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
            add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
            add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
            add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
            add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
            add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
            add chain ip kube-proxy filter-input { type filter hook input priority -110 ; }
            add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }
            add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }
            add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }
            add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
            add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
            add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
            add chain ip kube-proxy services
            add chain ip kube-proxy service-endpoints-check
            add chain ip kube-proxy nodeport-endpoints-check
            add chain ip kube-proxy cluster-ips-check
            add chain ip kube-proxy firewall-check
            add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
            add chain ip kube-proxy mark-for-masquerade
            add chain ip kube-proxy masquerading
            add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
            add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
            add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
            add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
            add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
            add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
            add rule ip kube-proxy filter-output ct state new jump firewall-check
            add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check
            add rule ip kube-proxy nat-prerouting jump services
            add rule ip kube-proxy nat-output jump services
            add rule ip kube-proxy nat-postrouting jump masquerading
            add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
            add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
            add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
            add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
            add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
            add rule ip kube-proxy cluster-ips-check ip daddr { 10.96.0.0/12 } drop comment "Drop traffic to unallocated ClusterIPs"
            add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
            add rule ip kube-proxy reject-chain reject
            add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
            add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
            add rule ip kube-proxy masquerading mark set mark xor 0x4000
            add rule ip kube-proxy masquerading masquerade fully-random
            add element ip kube-proxy nodeport-ips { 172.18.0.3 }

            """
        #expect(text == expected)
    }

    @Test("without node IPs, NodePorts answer on any local address but loopback")
    func nodePortsWithoutNodeIPs() {
        let r = F.desired([], [], config: F.config(localhost: false, nodeIPs: []))
        #expect(r.set("nodeport-ips") == nil)
        #expect(
            r.chain("services")?.rules.last
                == "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports")
    }

    @Test("a port the ClusterIP does not serve is rejected; an unallocated ClusterIP is dropped")
    func clusterIPChecks() {
        let svc = F.service("ns1", "svc1", clusterIP: "10.96.0.41", ports: [F.port("p80", 80)])
        let slice = F.slice("ns1", service: "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.EP(ip: "10.180.0.1")])
        let r = F.desired([svc], [slice])
        #expect(trace(r, src: "10.244.1.9", dst: "10.96.0.41", port: 443) == ["REJECT"])
        #expect(trace(r, src: "10.244.1.9", dst: "10.96.0.41", port: 80, proto: "udp") == ["REJECT"])
        #expect(trace(r, src: "10.244.1.9", dst: "10.96.0.99", port: 80) == ["DROP"])
        #expect(trace(r, src: "10.244.1.9", dst: "10.97.0.99", port: 80, fromNode: true) == ["DROP"])
    }

    // MARK: - External traffic

    @Test("NodePort, LoadBalancer IP and external IP go to the external chain, which masquerades under Cluster")
    func externalCluster() {
        let svc = F.service(
            "default", "web", type: "LoadBalancer", clusterIP: "10.96.0.50",
            ports: [F.port("http", 80, nodePort: 30080)],
            externalIPs: ["172.18.0.100"], lbIPs: ["172.18.255.200"])
        let slice = F.slice(service: "web", ports: [("http", 8080, "TCP")], endpoints: [F.EP(ip: "10.244.2.5")])
        let r = F.desired([svc], [slice])
        let service = F.chain("service-", "default", "web", "tcp", "http")
        let external = F.chain("external-", "default", "web", "tcp", "http")
        #expect(
            r.elements(of: "service-ips") == [
                "10.96.0.50 . tcp . 80 : goto \(service)", "172.18.0.100 . tcp . 80 : goto \(external)",
                "172.18.255.200 . tcp . 80 : goto \(external)",
            ])
        #expect(r.elements(of: "service-nodeports") == ["tcp . 30080 : goto \(external)"])
        #expect(r.chain(external)?.rules == ["jump mark-for-masquerade", "goto \(service)"])
        for (dst, port) in [("172.18.0.3", 30080), ("172.18.255.200", 80), ("172.18.0.100", 80)] {
            #expect(trace(r, src: "172.18.0.200", dst: dst, port: port) == ["10.244.2.5:8080 (masq)"], "\(dst):\(port)")
        }
        // The NodePort only on the node's address.
        #expect(trace(r, src: "172.18.0.200", dst: "172.18.0.4", port: 30080) == ["untouched"])
    }

    @Test("externalTrafficPolicy Local keeps the client address and uses only this node's endpoints")
    func externalLocal() {
        let svc = F.service(
            "default", "web", type: "NodePort", clusterIP: "10.96.0.50", ports: [F.port("http", 80, nodePort: 30080)],
            externalPolicy: "Local")
        let slice = F.slice(
            service: "web", ports: [("http", 80, "TCP")],
            endpoints: [F.EP(ip: "10.244.1.5", node: F.nodeName), F.EP(ip: "10.244.2.5")])
        let r = F.desired([svc], [slice])
        let service = F.chain("service-", "default", "web", "tcp", "http")
        let local = F.chain("local-", "default", "web", "tcp", "http")
        let external = F.chain("external-", "default", "web", "tcp", "http")
        #expect(
            r.chain(external)?.rules == [
                "ip saddr 10.244.0.0/16 goto \(service) comment \"short-circuit pod traffic\"",
                "fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"",
                "fib saddr type local goto \(service) comment \"short-circuit local traffic\"",
                "goto \(local)",
            ])
        #expect(
            r.chain(local)?.rules == ["goto \(F.endpoint(svc: "web", "tcp", "http", ip: "10.244.1.5", targetPort: 80))"]
        )
        #expect(r.elements(of: "no-endpoint-nodeports").isEmpty)
        #expect(trace(r, src: "172.18.0.200", dst: "172.18.0.3", port: 30080) == ["10.244.1.5:80"])
        #expect(trace(r, src: "10.244.1.7", dst: "172.18.0.3", port: 30080) == ["10.244.1.5:80", "10.244.2.5:80"])
        #expect(
            trace(r, src: "172.18.0.3", dst: "172.18.0.3", port: 30080, fromNode: true)
                == ["10.244.1.5:80 (masq)", "10.244.2.5:80 (masq)"])
    }

    @Test("externalTrafficPolicy Local with no endpoint on this node drops outside traffic, pods still connect")
    func externalLocalNoLocalEndpoint() {
        let svc = F.service(
            "default", "web", type: "LoadBalancer", clusterIP: "10.96.0.50",
            ports: [F.port("http", 80, nodePort: 30080)],
            lbIPs: ["172.18.255.200"], externalPolicy: "Local")
        let slice = F.slice(service: "web", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.2.5")])
        let r = F.desired([svc], [slice])
        let external = F.chain("external-", "default", "web", "tcp", "http")
        #expect(r.chain(F.chain("local-", "default", "web", "tcp", "http")) == nil)
        #expect(r.chain(external)?.rules.count == 3)  // the short-circuits, no final goto
        #expect(r.elements(of: "no-endpoint-nodeports") == ["tcp . 30080 : drop"])
        #expect(r.elements(of: "no-endpoint-services") == ["172.18.255.200 . tcp . 80 : drop"])
        #expect(r.set("no-endpoint-services")?.elements.first?.comment == "default/web:http")
        #expect(trace(r, src: "172.18.0.200", dst: "172.18.0.3", port: 30080) == ["DROP"])
        #expect(trace(r, src: "172.18.0.200", dst: "172.18.255.200", port: 80) == ["DROP"])
        #expect(trace(r, src: "10.244.1.7", dst: "172.18.255.200", port: 80) == ["10.244.2.5:80"])
        #expect(trace(r, src: "10.244.1.7", dst: "10.96.0.50", port: 80) == ["10.244.2.5:80"])
    }

    @Test("internalTrafficPolicy Local sends ClusterIP traffic to local endpoints only, and drops it when none")
    func internalLocal() {
        let svc = F.service(
            "default", "api", clusterIP: "10.96.0.60", ports: [F.port(nil, 80)], internalPolicy: "Local")
        let here = F.slice(
            service: "api", ports: [("", 80, "TCP")],
            endpoints: [F.EP(ip: "10.244.1.5", node: F.nodeName), F.EP(ip: "10.244.2.5")])
        let r = F.desired([svc], [here])
        let local = F.chain("local-", "default", "api", "tcp", "")
        #expect(r.elements(of: "service-ips") == ["10.96.0.60 . tcp . 80 : goto \(local)"])
        #expect(r.chain(F.chain("service-", "default", "api", "tcp", "")) == nil)
        #expect(trace(r, src: "10.244.1.7", dst: "10.96.0.60", port: 80) == ["10.244.1.5:80"])

        let elsewhere = F.slice(service: "api", ports: [("", 80, "TCP")], endpoints: [F.EP(ip: "10.244.2.5")])
        let r2 = F.desired([svc], [elsewhere])
        #expect(r2.elements(of: "no-endpoint-services") == ["10.96.0.60 . tcp . 80 : drop"])
        #expect(r2.serviceChainNames.isEmpty)
        #expect(trace(r2, src: "10.244.1.7", dst: "10.96.0.60", port: 80) == ["DROP"])
    }

    @Test("a Service without usable endpoints is rejected on every address, through reject-chain")
    func noEndpoints() {
        let svc = F.service(
            "default", "web", type: "LoadBalancer", clusterIP: "10.96.0.50",
            ports: [F.port("http", 80, nodePort: 30080)],
            externalIPs: ["172.18.0.100"], lbIPs: ["172.18.255.200"])
        let notReady = F.slice(
            service: "web", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.2.5", ready: false)])
        for slices in [[], [notReady]] {
            let r = F.desired([svc], slices)
            #expect(r.serviceChainNames.isEmpty)
            #expect(r.elements(of: "service-ips").isEmpty)
            #expect(
                r.elements(of: "no-endpoint-services") == [
                    "10.96.0.50 . tcp . 80 : goto reject-chain", "172.18.0.100 . tcp . 80 : goto reject-chain",
                    "172.18.255.200 . tcp . 80 : goto reject-chain",
                ])
            #expect(r.elements(of: "no-endpoint-nodeports") == ["tcp . 30080 : goto reject-chain"])
            #expect(r.elements(of: "cluster-ips") == ["10.96.0.50"])
            #expect(trace(r, src: "10.244.1.7", dst: "10.96.0.50", port: 80) == ["REJECT"])
            #expect(trace(r, src: "172.18.0.200", dst: "172.18.0.3", port: 30080) == ["REJECT"])
            #expect(trace(r, src: "172.18.0.200", dst: "172.18.255.200", port: 80) == ["REJECT"])
        }
    }

    @Test("loadBalancerSourceRanges drop other sources at the LB IP, not at the NodePort")
    func sourceRanges() {
        let svc = F.service(
            "default", "web", type: "LoadBalancer", clusterIP: "10.96.0.50",
            ports: [F.port("http", 80, nodePort: 30080)],
            lbIPs: ["172.18.255.200"], sourceRanges: [" 192.0.2.0/25", "198.51.100.0/24"])
        let slice = F.slice(service: "web", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.2.5")])
        let r = F.desired([svc], [slice])
        let firewall = F.chain("firewall-", "default", "web", "tcp", "http")
        #expect(r.elements(of: "firewall-ips") == ["172.18.255.200 . tcp . 80 : goto \(firewall)"])
        #expect(r.chain(firewall)?.rules == ["ip saddr != { 192.0.2.0/25, 198.51.100.0/24 } drop"])
        #expect(trace(r, src: "192.0.2.7", dst: "172.18.255.200", port: 80) == ["10.244.2.5:80 (masq)"])
        #expect(trace(r, src: "192.0.2.200", dst: "172.18.255.200", port: 80) == ["DROP"])
        #expect(trace(r, src: "192.0.2.200", dst: "172.18.0.3", port: 30080) == ["10.244.2.5:80 (masq)"])
    }

    @Test("localhost NodePorts reach the endpoints masqueraded, under either policy, and only when enabled")
    func localhostNodePorts() {
        let slice = F.slice(service: "web", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.2.5")])
        for policy in ["Cluster", "Local"] {
            let svc = F.service(
                "default", "web", type: "NodePort", clusterIP: "10.96.0.50",
                ports: [F.port("http", 80, nodePort: 30080)],
                externalPolicy: policy)
            let on = F.desired([svc], [slice])
            #expect(
                on.chain("nat-output")?.rules.first?.hasPrefix(
                    "ip daddr 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports") == true)
            #expect(
                trace(on, src: "127.0.0.1", dst: "127.0.0.1", port: 30080, fromNode: true) == ["10.244.2.5:80 (masq)"],
                "\(policy)")
            let off = F.desired([svc], [slice], config: F.config(localhost: false))
            #expect(trace(off, src: "127.0.0.1", dst: "127.0.0.1", port: 30080, fromNode: true) == ["untouched"])
        }
        let empty = F.service(
            "default", "gone", type: "NodePort", clusterIP: "10.96.0.51", ports: [F.port(nil, 80, nodePort: 30081)])
        #expect(
            trace(F.desired([empty], []), src: "127.0.0.1", dst: "127.0.0.1", port: 30081, fromNode: true) == ["REJECT"]
        )
    }

    // MARK: - Endpoints

    @Test("a pod reaching itself through its Service is masqueraded (hairpin)")
    func hairpin() {
        let svc = F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port(nil, 80)])
        let slice = F.slice(
            service: "web", ports: [("", 80, "TCP")], endpoints: [F.EP(ip: "10.244.1.5", node: F.nodeName)])
        let r = F.desired([svc], [slice])
        #expect(
            r.chain(F.endpoint(svc: "web", "tcp", "", ip: "10.244.1.5", targetPort: 80))?.rules.first
                == "ip saddr 10.244.1.5 jump mark-for-masquerade")
        #expect(trace(r, src: "10.244.1.5", dst: "10.96.0.50", port: 80) == ["10.244.1.5:80 (masq)"])
        #expect(trace(r, src: "10.244.1.6", dst: "10.96.0.50", port: 80) == ["10.244.1.5:80"])
    }

    @Test("a named targetPort resolves per endpoint from its slice's port of that name")
    func namedTargetPort() {
        let svc = F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port("http", 80, target: "web")])
        // The EndpointSlice controller puts pods whose `web` port differs into different slices.
        let a = F.slice(
            service: "web", name: "web-aaaaa", ports: [("http", 8080, "TCP")], endpoints: [F.EP(ip: "10.244.1.5")])
        let b = F.slice(
            service: "web", name: "web-bbbbb", ports: [("http", 9090, "TCP")], endpoints: [F.EP(ip: "10.244.2.7")])
        let r = F.desired([svc], [a, b])
        #expect(
            r.chain(F.endpoint(svc: "web", "tcp", "http", ip: "10.244.1.5", targetPort: 8080))?.rules.last
                == "meta l4proto tcp counter dnat to 10.244.1.5:8080")
        #expect(
            r.chain(F.endpoint(svc: "web", "tcp", "http", ip: "10.244.2.7", targetPort: 9090))?.rules.last
                == "meta l4proto tcp counter dnat to 10.244.2.7:9090")
        #expect(trace(r, src: "10.244.3.3", dst: "10.96.0.50", port: 80) == ["10.244.1.5:8080", "10.244.2.7:9090"])
    }

    @Test("multiple ports over TCP, UDP and SCTP each get their own chains and keys")
    func protocols() {
        let svc = F.service(
            "kube-system", "kube-dns", clusterIP: "10.96.0.10",
            ports: [F.port("dns", 53, "UDP"), F.port("dns-tcp", 53, "TCP"), F.port("sig", 3868, "SCTP", target: 3869)])
        let slice = F.slice(
            "kube-system", service: "kube-dns",
            ports: [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("sig", 3869, "SCTP")],
            endpoints: [F.EP(ip: "10.244.0.5")])
        let r = F.desired([svc], [slice])
        let udp = F.chain("service-", "kube-system", "kube-dns", "udp", "dns")
        let sctpEndpoint = F.endpoint(
            ns: "kube-system", svc: "kube-dns", "sctp", "sig", ip: "10.244.0.5", targetPort: 3869)
        #expect(udp.hasSuffix("-kube-system/kube-dns/udp/dns"))
        #expect(
            r.elements(of: "service-ips") == [
                "10.96.0.10 . sctp . 3868 : goto \(F.chain("service-", "kube-system", "kube-dns", "sctp", "sig"))",
                "10.96.0.10 . tcp . 53 : goto \(F.chain("service-", "kube-system", "kube-dns", "tcp", "dns-tcp"))",
                "10.96.0.10 . udp . 53 : goto \(udp)",
            ])
        #expect(r.chain(sctpEndpoint)?.rules.last == "meta l4proto sctp counter dnat to 10.244.0.5:3869")
        #expect(trace(r, src: "10.244.1.2", dst: "10.96.0.10", port: 53, proto: "udp") == ["10.244.0.5:53"])
        #expect(trace(r, src: "10.244.1.2", dst: "10.96.0.10", port: 3868, proto: "sctp") == ["10.244.0.5:3869"])
    }

    @Test("headless and ExternalName Services get no rules")
    func headlessAndExternalName() {
        var headless = F.service("default", "db", clusterIP: "None", ports: [F.port(nil, 5432)])
        headless.spec?.clusterIPs = ["None"]
        var external = F.service("default", "ext", type: "ExternalName", clusterIP: nil, ports: [F.port(nil, 80)])
        external.spec?.externalName = "example.com"
        let slice = F.slice(service: "db", ports: [("", 5432, "TCP")], endpoints: [F.EP(ip: "10.244.1.5")])
        #expect(F.desired([headless, external], [slice]) == F.desired([], []))
    }

    @Test("with no ready endpoint, serving terminating ones are used; otherwise terminating ones are not")
    func terminatingFallback() {
        let svc = F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port(nil, 80)])
        let draining = F.EP(ip: "10.244.1.5", ready: false, serving: true, terminating: true)
        let dead = F.EP(ip: "10.244.1.6", ready: false, serving: false, terminating: true)
        let r = F.desired([svc], [F.slice(service: "web", ports: [("", 80, "TCP")], endpoints: [draining, dead])])
        #expect(trace(r, src: "10.244.3.3", dst: "10.96.0.50", port: 80) == ["10.244.1.5:80"])
        let ready = F.EP(ip: "10.244.1.7", ready: nil)  // a missing `ready` means ready
        let r2 = F.desired(
            [svc], [F.slice(service: "web", ports: [("", 80, "TCP")], endpoints: [draining, dead, ready])])
        #expect(trace(r2, src: "10.244.3.3", dst: "10.96.0.50", port: 80) == ["10.244.1.7:80"])
        #expect(r2.serviceChainNames.count == 2)
    }

    @Test("a selector-less Service uses the EndpointSlices that name it, in its namespace only")
    func selectorless() {
        var svc = F.service("default", "external-db", clusterIP: "10.96.0.70", ports: [F.port(nil, 5432)])
        svc.spec?.selector = nil
        let mine = F.slice(
            service: "external-db", name: "external-db-1", ports: [("", 5432, "TCP")],
            endpoints: [F.EP(ip: "192.0.2.10")])
        let other = F.slice(
            "other", service: "external-db", ports: [("", 5432, "TCP")], endpoints: [F.EP(ip: "192.0.2.11")])
        let r = F.desired([svc], [mine, other])
        #expect(trace(r, src: "10.244.3.3", dst: "10.96.0.70", port: 5432) == ["192.0.2.10:5432"])
    }

    // MARK: - Affinity and endpoint choice

    @Test("ClientIP affinity: one timed set per endpoint, checked before the random choice, updated on use")
    func affinity() throws {
        let slice = F.slice(
            service: "web", ports: [("", 80, "TCP")], endpoints: [F.EP(ip: "10.244.1.5"), F.EP(ip: "10.244.2.5")])
        for (timeout, expected) in [(Int32?.none, 10800), (Int32?.some(60), 60)] {
            let svc = F.service(
                "default", "web", clusterIP: "10.96.0.50", ports: [F.port(nil, 80)], affinityTimeout: .some(timeout))
            let r = F.desired([svc], [slice])
            let set = F.endpoint("affinity-", svc: "web", "tcp", "", ip: "10.244.2.5", targetPort: 80)
            let endpoint = F.endpoint(svc: "web", "tcp", "", ip: "10.244.2.5", targetPort: 80)
            let def = try #require(r.set(set))
            #expect(def.type == "ipv4_addr" && def.flags == ["dynamic", "timeout"] && def.timeout == expected)
            #expect(def.elements.isEmpty)
            let rules = try #require(r.chain(F.chain("service-", "default", "web", "tcp", ""))?.rules)
            #expect(rules[2] == "ip saddr @\(set) goto \(endpoint)")
            #expect(rules[3].hasPrefix("numgen random mod 2 == 0 goto "))
            #expect(r.chain(endpoint)?.rules[1] == "update @\(set) { ip saddr }")
            #expect(
                trace(r, src: "10.244.3.3", dst: "10.96.0.50", port: 80, affinity: [set: ["10.244.3.3"]]) == [
                    "10.244.2.5:80"
                ])
        }
        let plain = F.desired([F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port(nil, 80)])], [slice])
        #expect(!plain.sets.contains { $0.name.hasPrefix("affinity-") })
    }

    @Test("chained numgen gives every endpoint probability 1/N", arguments: 1...5)
    func uniformChoice(n: Int) throws {
        let svc = F.service("default", "web", clusterIP: "10.96.0.50", ports: [F.port(nil, 80)])
        let eps = (1...n).map { F.EP(ip: "10.244.1.\($0)") }
        let r = F.desired([svc], [F.slice(service: "web", ports: [("", 80, "TCP")], endpoints: eps)])
        // The first rule is the masquerade rule; the choice follows.
        let rules = try #require(r.chain(F.chain("service-", "default", "web", "tcp", ""))?.rules).dropFirst()
        #expect(rules.count == n)
        // Walk the rules with exact fractions: each `numgen random mod m == 0` draws anew and matches 1 time in m.
        var reach = Fraction(1, 1)
        var chosen: [String: Fraction] = [:]
        for rule in rules {
            let words = rule.split(separator: " ")
            let target = String(words.last!)
            if words.first == "numgen" {
                let m = Int(words[3])!
                chosen[target] = reach * Fraction(1, m)
                reach = reach * Fraction(m - 1, m)
            } else {
                #expect(words.first == "goto")
                chosen[target] = reach
                reach = Fraction(0, 1)
            }
        }
        #expect(reach == Fraction(0, 1))
        #expect(chosen.count == n)
        for (target, p) in chosen { #expect(p == Fraction(1, n), "\(target)") }
    }

    @Test("objects as the store holds them (JSON) give the same ruleset as the typed structs")
    func fromJSON() throws {
        let svc = F.service(
            "default", "web", type: "NodePort", clusterIP: "10.96.0.50", ports: [F.port("http", 80, nodePort: 30080)])
        let slice = F.slice(service: "web", ports: [("http", 80, "TCP")], endpoints: [F.EP(ip: "10.244.1.5")])
        let typed = F.desired([svc], [slice])
        let json = KubeProxyRules.desired(
            services: [try JSONValue(encoding: svc)], endpointSlices: [try JSONValue(encoding: slice)], node: F.config()
        )
        #expect(json == typed)
        #expect(!typed.serviceChainNames.isEmpty)
    }
}

/// An exact fraction, reduced, for probability arithmetic.
struct Fraction: Equatable, CustomStringConvertible {
    var num: Int
    var den: Int
    init(_ n: Int, _ d: Int) {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? max(abs(a), 1) : gcd(b, a % b) }
        let g = gcd(n, d)
        num = n / g
        den = d / g
    }
    static func * (a: Fraction, b: Fraction) -> Fraction { Fraction(a.num * b.num, a.den * b.den) }
    var description: String { "\(num)/\(den)" }
}
