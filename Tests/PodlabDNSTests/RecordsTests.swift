import PodlabModel
import Testing

@testable import PodlabDNS

/// The snapshot as a function of the objects: which names exist and what they hold.
@Suite("records from objects")
struct RecordsTests {
    static let snapshot = Fixtures.snapshot()

    @Test("the fixture cluster has exactly the expected names")
    func names() {
        let names = Self.snapshot.names
        let expected = [
            "1.0.96.10.in-addr.arpa.", "10-244-0-3.kube-dns.kube-system.svc.cluster.local.",
            "10-244-1-20.peers.demo.svc.cluster.local.", "10-244-1-40.portless.demo.svc.cluster.local.",
            "10-244-1-5.web.demo.svc.cluster.local.", "10-244-2-21.peers.demo.svc.cluster.local.",
            "10.0.96.10.in-addr.arpa.", "10.1.244.10.in-addr.arpa.", "10.100.96.10.in-addr.arpa.",
            "11.2.244.10.in-addr.arpa.", "172-18-0-2.kubernetes.default.svc.cluster.local.",
            "2.0.18.172.in-addr.arpa.", "20.1.244.10.in-addr.arpa.", "20.100.96.10.in-addr.arpa.",
            "21.2.244.10.in-addr.arpa.", "3.0.244.10.in-addr.arpa.", "40.1.244.10.in-addr.arpa.",
            "5.1.244.10.in-addr.arpa.", "_dns-tcp._tcp.kube-dns.kube-system.svc.cluster.local.",
            "_dns._udp.kube-dns.kube-system.svc.cluster.local.", "_gossip._tcp.peers.demo.svc.cluster.local.",
            "_gossip._udp.peers.demo.svc.cluster.local.", "_http._tcp.dual.demo.svc.cluster.local.",
            "_http._tcp.v6.demo.svc.cluster.local.", "_http._tcp.web.demo.svc.cluster.local.",
            "_https._tcp.kubernetes.default.svc.cluster.local.",
            "_metrics._tcp.kube-dns.kube-system.svc.cluster.local.",
            "_pg._tcp.db.demo.svc.cluster.local.", "_tcp.db.demo.svc.cluster.local.",
            "_tcp.dual.demo.svc.cluster.local.", "_tcp.kube-dns.kube-system.svc.cluster.local.",
            "_tcp.kubernetes.default.svc.cluster.local.", "_tcp.peers.demo.svc.cluster.local.",
            "_tcp.v6.demo.svc.cluster.local.", "_tcp.web.demo.svc.cluster.local.",
            "_udp.kube-dns.kube-system.svc.cluster.local.", "_udp.peers.demo.svc.cluster.local.",
            "alias.demo.svc.cluster.local.", "cluster.local.", "db-0.db.demo.svc.cluster.local.",
            "db-1.db.demo.svc.cluster.local.", "db.demo.svc.cluster.local.", "default.pod.cluster.local.",
            "default.svc.cluster.local.", "demo.pod.cluster.local.", "demo.svc.cluster.local.",
            "dns-version.cluster.local.", "dns.cluster.local.", "dual.demo.svc.cluster.local.",
            "fd00-10-244-1--7.v6.demo.svc.cluster.local.", "in-addr.arpa.", "ip6.arpa.",
            "kube-dns.kube-system.svc.cluster.local.", "kube-system.pod.cluster.local.",
            "kube-system.svc.cluster.local.", "kubernetes.default.svc.cluster.local.", "ns.dns.cluster.local.",
            "peers.demo.svc.cluster.local.", "pod.cluster.local.", "portless.demo.svc.cluster.local.",
            "search.demo.svc.cluster.local.", "svc.cluster.local.", "v6.demo.svc.cluster.local.",
            "web.demo.svc.cluster.local.",
            ReverseName.of(IPv6Address("fd00:10:96::5")!).description,
            ReverseName.of(IPv6Address("fd00:10:96::20")!).description,
            ReverseName.of(IPv6Address("fd00:10:244:1::7")!).description,
        ].sorted()
        #expect(names == expected)
    }

    @Test("typed objects and JSON build the same snapshot")
    func typedOverload() throws {
        let services = try Fixtures.services.map { try $0.decode(as: Service.self) }
        let slices = try Fixtures.slices.map { try $0.decode(as: EndpointSlice.self) }
        let namespaces = try Fixtures.namespaces.map { try $0.decode(as: Namespace.self) }
        let typed = DNSRecordsBuilder.snapshot(
            services: services, endpointSlices: slices, pods: [], namespaces: namespaces, config: DNSConfig(),
            serial: 1_700_000_000)
        #expect(typed.names == Self.snapshot.names)
        #expect(
            typed.node(named: "db.demo.svc.cluster.local") == Self.snapshot.node(named: "db.demo.svc.cluster.local"))
    }

    @Test("objects of the wrong kind or shape are skipped")
    func badObjects() {
        let snapshot = Fixtures.build(
            services: [
                Fixtures.json(#"{"kind":"Service","metadata":{"name":"x","namespace":"demo"},"spec":{"ports":"oops"}}"#)
            ]
                + [Fixtures.service("demo", "ok", clusterIP: "10.96.5.5")],
            slices: [Fixtures.json(#"{"kind":"EndpointSlice","endpoints":7}"#)], pods: [], namespaces: [],
            config: DNSConfig())
        #expect(snapshot.node(named: "ok.demo.svc.cluster.local")?.a.count == 1)
        #expect(snapshot.node(named: "x.demo.svc.cluster.local") == nil)
        // The Service's namespace counts as existing even without a Namespace object.
        #expect(snapshot.node(named: "demo.svc.cluster.local")?.isEmpty == true)
    }

    @Test("publishNotReadyAddresses and the tolerate-unready annotation publish every endpoint")
    func publishNotReady() {
        let endpoints = [Fixtures.EP(ip: "10.244.1.1", ready: false), Fixtures.EP(ip: "10.244.1.2", ready: true)]
        let slice = Fixtures.slice("demo", service: "s", ports: [("p", 1, "TCP")], endpoints: endpoints)
        for service in [
            Fixtures.service("demo", "s", clusterIP: "None", ports: [("p", 1, "TCP")], publishNotReady: true),
            Fixtures.service(
                "demo", "s", clusterIP: "None", ports: [("p", 1, "TCP")],
                annotations: ["service.alpha.kubernetes.io/tolerate-unready-endpoints": "true"]),
        ] {
            let snapshot = Fixtures.build(
                services: [service], slices: [slice], pods: [], namespaces: [], config: DNSConfig())
            #expect(
                snapshot.node(named: "s.demo.svc.cluster.local")?.a.map(\.description) == [
                    "s.demo.svc.cluster.local. 30 IN A 10.244.1.1", "s.demo.svc.cluster.local. 30 IN A 10.244.1.2",
                ])
        }
        let plain = Fixtures.build(
            services: [Fixtures.service("demo", "s", clusterIP: "None", ports: [("p", 1, "TCP")])], slices: [slice],
            pods: [], namespaces: [], config: DNSConfig())
        #expect(plain.node(named: "s.demo.svc.cluster.local")?.a.count == 1)
    }

    @Test("endpoints spread over several slices, duplicates merged, slices of other Services ignored")
    func severalSlices() {
        let service = Fixtures.service("demo", "s", clusterIP: "None", ports: [("p", 1, "TCP")])
        let slices = [
            Fixtures.slice(
                "demo", service: "s", name: "s-b", ports: [("p", 1, "TCP")], endpoints: [Fixtures.EP(ip: "10.0.0.2")]),
            Fixtures.slice(
                "demo", service: "s", name: "s-a", ports: [("p", 1, "TCP")],
                endpoints: [Fixtures.EP(ip: "10.0.0.1"), Fixtures.EP(ip: "10.0.0.2")]),
            Fixtures.slice(
                "other", service: "s", name: "s-x", ports: [("p", 1, "TCP")], endpoints: [Fixtures.EP(ip: "10.0.0.9")]),
            Fixtures.slice(
                "demo", service: "t", name: "t-x", ports: [("p", 1, "TCP")], endpoints: [Fixtures.EP(ip: "10.0.0.8")]),
        ]
        let snapshot = Fixtures.build(
            services: [service], slices: slices, pods: [], namespaces: [], config: DNSConfig())
        #expect(
            snapshot.node(named: "s.demo.svc.cluster.local")?.a.map(\.description) == [
                "s.demo.svc.cluster.local. 30 IN A 10.0.0.1", "s.demo.svc.cluster.local. 30 IN A 10.0.0.2",
            ])
        // Three (endpoint, port) pairs before merging: weight 33 (CoreDNS counts duplicates too).
        #expect(
            snapshot.node(named: "_p._tcp.s.demo.svc.cluster.local")?.srv.map(\.description) == [
                "_p._tcp.s.demo.svc.cluster.local. 30 IN SRV 0 33 1 10-0-0-1.s.demo.svc.cluster.local.",
                "_p._tcp.s.demo.svc.cluster.local. 30 IN SRV 0 33 1 10-0-0-2.s.demo.svc.cluster.local.",
            ])
        #expect(snapshot.node(named: "9.0.0.10.in-addr.arpa") == nil)
    }

    @Test("two endpoints sharing a hostname both answer under it")
    func sharedHostname() {
        let snapshot = Fixtures.build(
            services: [Fixtures.service("demo", "s", clusterIP: "None", ports: [("p", 1, "TCP")])],
            slices: [
                Fixtures.slice(
                    "demo", service: "s", ports: [("p", 1, "TCP")],
                    endpoints: [
                        Fixtures.EP(ip: "10.0.0.4", hostname: "dup"), Fixtures.EP(ip: "10.0.0.5", hostname: "dup"),
                    ])
            ], pods: [], namespaces: [], config: DNSConfig())
        let node = snapshot.node(named: "dup.s.demo.svc.cluster.local")
        #expect(
            node?.a.map(\.description) == [
                "dup.s.demo.svc.cluster.local. 30 IN A 10.0.0.4", "dup.s.demo.svc.cluster.local. 30 IN A 10.0.0.5",
            ])
        #expect(
            node?.srv.map(\.description) == [
                "dup.s.demo.svc.cluster.local. 30 IN SRV 0 50 1 dup.s.demo.svc.cluster.local."
            ])
        #expect(
            snapshot.node(named: "5.0.0.10.in-addr.arpa")?.ptr.map(\.description) == [
                "5.0.0.10.in-addr.arpa. 30 IN PTR dup.s.demo.svc.cluster.local."
            ])
    }

    @Test("an endpoint that is also a cluster IP keeps the Service's PTR only")
    func clusterIPWinsPTR() {
        let snapshot = Fixtures.build(
            services: [
                Fixtures.service("demo", "a", clusterIP: "10.96.0.50", ports: [("p", 1, "TCP")]),
                Fixtures.service("demo", "b", clusterIP: "None", ports: [("p", 1, "TCP")]),
            ],
            slices: [
                Fixtures.slice(
                    "demo", service: "b", ports: [("p", 1, "TCP")], endpoints: [Fixtures.EP(ip: "10.96.0.50")])
            ],
            pods: [], namespaces: [], config: DNSConfig())
        #expect(
            snapshot.node(named: "50.0.96.10.in-addr.arpa")?.ptr.map(\.description) == [
                "50.0.96.10.in-addr.arpa. 30 IN PTR a.demo.svc.cluster.local."
            ])
    }

    @Test("an invalid cluster domain falls back to cluster.local")
    func badDomain() {
        let snapshot = Fixtures.build(
            services: [], slices: [], pods: [], namespaces: [], config: DNSConfig(clusterDomain: "a..b"))
        #expect(snapshot.clusterZone.description == "cluster.local.")
        #expect(Fixtures.build(config: DNSConfig(clusterDomain: ".")).clusterZone.description == "cluster.local.")
        #expect(
            Fixtures.build(config: DNSConfig(clusterDomain: "Corp.Example.")).clusterZone.description == "corp.example."
        )
    }

    @Test("a snapshot is Sendable and read from many tasks at once")
    func concurrentReads() async throws {
        let snapshot = Self.snapshot
        let query = Fixtures.query("db.demo.svc.cluster.local", .a, id: 4)
        let expected = DNSResponder.respond(to: query, over: .udp, snapshot: snapshot)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask { (0..<200).allSatisfy { _ in snapshot.respond(to: query, over: .udp) == expected } }
            }
            var all: [Bool] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 16 && results.allSatisfy { $0 })
    }
}
