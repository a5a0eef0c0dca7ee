import PodlabModel
import Testing

@testable import PodlabDNS

/// Replies as a client sees them, for every kind of name, against the fixture cluster.
@Suite("answers")
struct AnswerTests {
    static let snapshot = Fixtures.snapshot()
    static let soa = Fixtures.clusterSOA

    /// Asks and checks the rcode and all three sections, as zone-file text (OPT left out).
    func check(
        _ name: String, _ type: DNSType, _ rcode: DNSRcode, answers: [String] = [], authority: [String]? = nil,
        additional: [String] = [], snapshot: DNSSnapshot = Self.snapshot, id: UInt16 = 0x2a2a,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let reply = try Fixtures.ask(name, type, snapshot: snapshot, id: id, sourceLocation: sourceLocation)
        #expect(reply.rcode == rcode, sourceLocation: sourceLocation)
        #expect(reply.header.isAuthoritative, sourceLocation: sourceLocation)
        #expect(Fixtures.text(reply.answers) == answers, sourceLocation: sourceLocation)
        let expectedAuthority = authority ?? (answers.isEmpty ? [Self.soa] : [])
        #expect(Fixtures.text(reply.authorities) == expectedAuthority, sourceLocation: sourceLocation)
        #expect(
            Fixtures.text(reply.additionals.filter { $0.type != .opt }) == additional, sourceLocation: sourceLocation)
    }

    // MARK: - ClusterIP Services

    @Test("ClusterIP Service: A at <svc>.<ns>.svc.<zone>")
    func clusterIPA() throws {
        try check(
            "web.demo.svc.cluster.local", .a, .noError, answers: ["web.demo.svc.cluster.local. 30 IN A 10.96.100.10"])
        try check(
            "kubernetes.default.svc.cluster.local", .a, .noError,
            answers: ["kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1"])
    }

    @Test("an existing name without the type is NODATA with the SOA; a missing name is NXDOMAIN with the SOA")
    func nodataVersusNXDOMAIN() throws {
        try check("web.demo.svc.cluster.local", .aaaa, .noError)
        try check("web.demo.svc.cluster.local", .txt, .noError)
        try check("web.demo.svc.cluster.local", .mx, .noError)
        try check("web.demo.svc.cluster.local", .soa, .noError)
        try check("nope.demo.svc.cluster.local", .a, .nameError)
        try check("nope.demo.svc.cluster.local", .aaaa, .nameError)
        try check("web.ghost.svc.cluster.local", .a, .nameError)
        try check("bogus.web.demo.svc.cluster.local", .a, .nameError)
        try check("foo.cluster.local", .ns, .nameError)
    }

    @Test("empty non-terminals are NODATA: svc, pod, an existing namespace, _tcp under a Service, the apex")
    func emptyNonTerminals() throws {
        for name in [
            "svc.cluster.local", "pod.cluster.local", "demo.svc.cluster.local", "kube-system.svc.cluster.local",
            "demo.pod.cluster.local", "_tcp.web.demo.svc.cluster.local", "_udp.kube-dns.kube-system.svc.cluster.local",
            "cluster.local", "dns.cluster.local",
        ] {
            try check(name, .a, .noError)
        }
        try check("ghost.svc.cluster.local", .a, .nameError)
        try check("ghost.pod.cluster.local", .a, .nameError)
        try check("_udp.web.demo.svc.cluster.local", .a, .nameError)
    }

    @Test("SRV for a named port points at the Service, with its address as glue")
    func clusterIPSRV() throws {
        try check(
            "_http._tcp.web.demo.svc.cluster.local", .srv, .noError,
            answers: ["_http._tcp.web.demo.svc.cluster.local. 30 IN SRV 0 100 80 web.demo.svc.cluster.local."],
            additional: ["web.demo.svc.cluster.local. 30 IN A 10.96.100.10"])
        try check(
            "_dns._udp.kube-dns.kube-system.svc.cluster.local", .srv, .noError,
            answers: [
                "_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local."
            ],
            additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"])
        // The port named dns is UDP: there is no _dns._tcp, and protocols do not mix.
        try check("_dns._tcp.kube-dns.kube-system.svc.cluster.local", .srv, .nameError)
        // Unnamed ports have no SRV name of their own.
        try check("_8080._tcp.web.demo.svc.cluster.local", .srv, .nameError)
    }

    @Test("SRV at the Service's own name lists every port, weight split between them (CoreDNS)")
    func srvAtServiceName() throws {
        try check(
            "web.demo.svc.cluster.local", .srv, .noError,
            answers: [
                "web.demo.svc.cluster.local. 30 IN SRV 0 50 80 web.demo.svc.cluster.local.",
                "web.demo.svc.cluster.local. 30 IN SRV 0 50 8080 web.demo.svc.cluster.local.",
            ],
            additional: ["web.demo.svc.cluster.local. 30 IN A 10.96.100.10"])
    }

    @Test("A at an SRV name answers the Service's address, as CoreDNS does")
    func aAtSRVName() throws {
        try check(
            "_http._tcp.web.demo.svc.cluster.local", .a, .noError,
            answers: ["_http._tcp.web.demo.svc.cluster.local. 30 IN A 10.96.100.10"])
    }

    @Test("IPv6 and dual-stack Services: AAAA, and SRV glue of both families")
    func ipv6Services() throws {
        try check(
            "v6.demo.svc.cluster.local", .aaaa, .noError,
            answers: ["v6.demo.svc.cluster.local. 30 IN AAAA fd00:10:96::5"])
        try check("v6.demo.svc.cluster.local", .a, .noError)
        try check(
            "dual.demo.svc.cluster.local", .a, .noError, answers: ["dual.demo.svc.cluster.local. 30 IN A 10.96.100.20"])
        try check(
            "dual.demo.svc.cluster.local", .aaaa, .noError,
            answers: ["dual.demo.svc.cluster.local. 30 IN AAAA fd00:10:96::20"])
        // Two (port, address) pairs: weight 50, one SRV after merging, glue for both addresses (CoreDNS's test).
        try check(
            "dual.demo.svc.cluster.local", .srv, .noError,
            answers: ["dual.demo.svc.cluster.local. 30 IN SRV 0 50 80 dual.demo.svc.cluster.local."],
            additional: [
                "dual.demo.svc.cluster.local. 30 IN A 10.96.100.20",
                "dual.demo.svc.cluster.local. 30 IN AAAA fd00:10:96::20",
            ])
        try check(
            "fd00-10-244-1--7.v6.demo.svc.cluster.local", .aaaa, .noError,
            answers: ["fd00-10-244-1--7.v6.demo.svc.cluster.local. 30 IN AAAA fd00:10:244:1::7"])
    }

    @Test("a Service without an allocated cluster IP has no records yet")
    func pendingService() throws {
        try check("pending.demo.svc.cluster.local", .a, .nameError)
    }

    // MARK: - Headless Services

    @Test("headless Service answers one A per ready endpoint")
    func headlessA() throws {
        try check(
            "db.demo.svc.cluster.local", .a, .noError,
            answers: [
                "db.demo.svc.cluster.local. 30 IN A 10.244.1.10", "db.demo.svc.cluster.local. 30 IN A 10.244.2.11",
            ])
        // `ready` absent counts as ready; ready false does not.
        try check(
            "peers.demo.svc.cluster.local", .a, .noError,
            answers: [
                "peers.demo.svc.cluster.local. 30 IN A 10.244.1.20",
                "peers.demo.svc.cluster.local. 30 IN A 10.244.2.21",
            ])
    }

    @Test("headless Service without ready endpoints is NXDOMAIN, and so are its SRV names")
    func headlessEmpty() throws {
        try check("empty.demo.svc.cluster.local", .a, .nameError)
        try check("_http._tcp.empty.demo.svc.cluster.local", .srv, .nameError)
        try check("10-244-1-30.empty.demo.svc.cluster.local", .a, .nameError)
    }

    @Test("endpoint names: hostname when set, else the dashed address; unready endpoints have none")
    func endpointNames() throws {
        try check(
            "db-0.db.demo.svc.cluster.local", .a, .noError,
            answers: ["db-0.db.demo.svc.cluster.local. 30 IN A 10.244.1.10"])
        try check("db-2.db.demo.svc.cluster.local", .a, .nameError)
        try check("10-244-1-10.db.demo.svc.cluster.local", .a, .nameError)
        try check(
            "10-244-1-20.peers.demo.svc.cluster.local", .a, .noError,
            answers: ["10-244-1-20.peers.demo.svc.cluster.local. 30 IN A 10.244.1.20"])
        try check("10-244-2-22.peers.demo.svc.cluster.local", .a, .nameError)
        // CoreDNS also names the endpoints of ClusterIP Services.
        try check(
            "10-244-1-5.web.demo.svc.cluster.local", .a, .noError,
            answers: ["10-244-1-5.web.demo.svc.cluster.local. 30 IN A 10.244.1.5"])
        try check("10-244-2-6.web.demo.svc.cluster.local", .a, .nameError)
    }

    @Test("headless SRV: one per ready endpoint, targets named by hostname, A records as glue")
    func headlessSRV() throws {
        try check(
            "_pg._tcp.db.demo.svc.cluster.local", .srv, .noError,
            answers: [
                "_pg._tcp.db.demo.svc.cluster.local. 30 IN SRV 0 50 5432 db-0.db.demo.svc.cluster.local.",
                "_pg._tcp.db.demo.svc.cluster.local. 30 IN SRV 0 50 5432 db-1.db.demo.svc.cluster.local.",
            ],
            additional: [
                "db-0.db.demo.svc.cluster.local. 30 IN A 10.244.1.10",
                "db-1.db.demo.svc.cluster.local. 30 IN A 10.244.2.11",
            ])
        try check(
            "_gossip._udp.peers.demo.svc.cluster.local", .srv, .noError,
            answers: [
                "_gossip._udp.peers.demo.svc.cluster.local. 30 IN SRV 0 50 7946 10-244-1-20.peers.demo.svc.cluster.local.",
                "_gossip._udp.peers.demo.svc.cluster.local. 30 IN SRV 0 50 7946 10-244-2-21.peers.demo.svc.cluster.local.",
            ],
            additional: [
                "10-244-1-20.peers.demo.svc.cluster.local. 30 IN A 10.244.1.20",
                "10-244-2-21.peers.demo.svc.cluster.local. 30 IN A 10.244.2.21",
            ])
        // 2 endpoints x 2 ports (UDP and TCP 7946) = 4 pairs: weight 25, merged to one SRV per target and port.
        try check(
            "peers.demo.svc.cluster.local", .srv, .noError,
            answers: [
                "peers.demo.svc.cluster.local. 30 IN SRV 0 25 7946 10-244-1-20.peers.demo.svc.cluster.local.",
                "peers.demo.svc.cluster.local. 30 IN SRV 0 25 7946 10-244-2-21.peers.demo.svc.cluster.local.",
            ],
            additional: [
                "10-244-1-20.peers.demo.svc.cluster.local. 30 IN A 10.244.1.20",
                "10-244-2-21.peers.demo.svc.cluster.local. 30 IN A 10.244.2.21",
            ])
        try check(
            "db-1.db.demo.svc.cluster.local", .srv, .noError,
            answers: ["db-1.db.demo.svc.cluster.local. 30 IN SRV 0 100 5432 db-1.db.demo.svc.cluster.local."],
            additional: ["db-1.db.demo.svc.cluster.local. 30 IN A 10.244.2.11"])
    }

    @Test("a headless Service without ports has A records but no SRV")
    func portless() throws {
        try check(
            "portless.demo.svc.cluster.local", .a, .noError,
            answers: ["portless.demo.svc.cluster.local. 30 IN A 10.244.1.40"])
        try check("portless.demo.svc.cluster.local", .srv, .noError)
    }

    // MARK: - PTR

    @Test("PTR: cluster IPs name their Service, endpoint addresses their endpoint name")
    func ptr() throws {
        try check(
            "1.0.96.10.in-addr.arpa", .ptr, .noError,
            answers: ["1.0.96.10.in-addr.arpa. 30 IN PTR kubernetes.default.svc.cluster.local."])
        try check(
            "10.1.244.10.in-addr.arpa", .ptr, .noError,
            answers: ["10.1.244.10.in-addr.arpa. 30 IN PTR db-0.db.demo.svc.cluster.local."])
        try check(
            "20.1.244.10.in-addr.arpa", .ptr, .noError,
            answers: ["20.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-20.peers.demo.svc.cluster.local."])
        try check(
            "2.0.18.172.in-addr.arpa", .ptr, .noError,
            answers: ["2.0.18.172.in-addr.arpa. 30 IN PTR 172-18-0-2.kubernetes.default.svc.cluster.local."])
        let v6 = ReverseName.of(IPv6Address("fd00:10:96::5")!).description
        try check(v6, .ptr, .noError, answers: ["\(v6) 30 IN PTR v6.demo.svc.cluster.local."])
        // Not-ready endpoints have no PTR.
        try check(
            "12.1.244.10.in-addr.arpa", .ptr, .nameError,
            authority: [
                "in-addr.arpa. 30 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 1700000000 7200 1800 86400 30"
            ])
        try check(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", .ptr, .nameError,
            authority: ["ip6.arpa. 30 IN SOA ns.dns.ip6.arpa. hostmaster.ip6.arpa. 1700000000 7200 1800 86400 30"])
    }

    @Test("reverse names without a PTR go upstream when there is one (fallthrough)")
    func reverseFallthrough() throws {
        let snapshot = Fixtures.snapshot(DNSConfig(hasUpstream: true))
        let outcome = DNSResponder.respond(
            to: Fixtures.query("8.8.8.8.in-addr.arpa", .ptr), over: .udp, snapshot: snapshot)
        guard case .forward(let query) = outcome else {
            Issue.record("expected forward, got \(outcome)")
            return
        }
        #expect(query.question.name.description == "8.8.8.8.in-addr.arpa.")
        try check(
            "1.0.96.10.in-addr.arpa", .ptr, .noError,
            answers: ["1.0.96.10.in-addr.arpa. 30 IN PTR kubernetes.default.svc.cluster.local."], snapshot: snapshot)
    }

    // MARK: - ExternalName

    @Test("ExternalName: a CNAME, not chased outside the cluster")
    func externalName() throws {
        let cname = "search.demo.svc.cluster.local. 30 IN CNAME www.example.com."
        try check("search.demo.svc.cluster.local", .cname, .noError, answers: [cname])
        try check("search.demo.svc.cluster.local", .a, .noError, answers: [cname])
        try check("search.demo.svc.cluster.local", .aaaa, .noError, answers: [cname])
        try check("search.demo.svc.cluster.local", .srv, .noError, answers: [cname])
        try check("x.search.demo.svc.cluster.local", .a, .nameError)
        try check("_http._tcp.search.demo.svc.cluster.local", .srv, .nameError)
        // An IP address is not a name to alias: no record, as in CoreDNS.
        try check("ipname.demo.svc.cluster.local", .a, .nameError)
    }

    @Test("ExternalName pointing inside the cluster is followed")
    func externalNameInside() throws {
        try check(
            "alias.demo.svc.cluster.local", .a, .noError,
            answers: [
                "alias.demo.svc.cluster.local. 30 IN CNAME web.demo.svc.cluster.local.",
                "web.demo.svc.cluster.local. 30 IN A 10.96.100.10",
            ])
        try check(
            "alias.demo.svc.cluster.local", .aaaa, .noError,
            answers: ["alias.demo.svc.cluster.local. 30 IN CNAME web.demo.svc.cluster.local."])
    }

    @Test("a CNAME loop between ExternalName Services ends instead of spinning")
    func cnameLoop() throws {
        let snapshot = Fixtures.build(
            services: [
                Fixtures.service("demo", "a", type: "ExternalName", externalName: "b.demo.svc.cluster.local"),
                Fixtures.service("demo", "b", type: "ExternalName", externalName: "a.demo.svc.cluster.local"),
            ], slices: [], pods: [], namespaces: [Fixtures.namespace("demo")], config: DNSConfig())
        try check(
            "a.demo.svc.cluster.local", .a, .noError,
            answers: [
                "a.demo.svc.cluster.local. 30 IN CNAME b.demo.svc.cluster.local.",
                "b.demo.svc.cluster.local. 30 IN CNAME a.demo.svc.cluster.local.",
            ], snapshot: snapshot)
    }

    // MARK: - Pods, schema version, apex

    @Test("pods insecure: any dashed address in an existing namespace; unknown namespaces are NXDOMAIN")
    func podsInsecure() throws {
        try check(
            "10-244-1-5.demo.pod.cluster.local", .a, .noError,
            answers: ["10-244-1-5.demo.pod.cluster.local. 30 IN A 10.244.1.5"])
        try check(
            "1-2-3-4.demo.pod.cluster.local", .a, .noError, answers: ["1-2-3-4.demo.pod.cluster.local. 30 IN A 1.2.3.4"]
        )
        try check(
            "fd00--9.default.pod.cluster.local", .aaaa, .noError,
            answers: ["fd00--9.default.pod.cluster.local. 30 IN AAAA fd00::9"])
        try check("1-2-3-4.demo.pod.cluster.local", .aaaa, .noError)
        try check("1-2-3-4.ghost.pod.cluster.local", .a, .nameError)
        try check("web-1.demo.pod.cluster.local", .a, .nameError)
        try check("1-2-3-400.demo.pod.cluster.local", .a, .nameError)
        try check("x.1-2-3-4.demo.pod.cluster.local", .a, .nameError)
    }

    @Test("pods verified: only addresses of existing pods; disabled: none")
    func podsVerified() throws {
        let verified = Fixtures.snapshot(DNSConfig(podRecords: .verified))
        try check(
            "10-244-1-5.demo.pod.cluster.local", .a, .noError,
            answers: ["10-244-1-5.demo.pod.cluster.local. 30 IN A 10.244.1.5"],
            snapshot: verified)
        try check("1-2-3-4.demo.pod.cluster.local", .a, .nameError, snapshot: verified)
        try check("10-244-1-5.default.pod.cluster.local", .a, .nameError, snapshot: verified)
        let disabled = Fixtures.snapshot(DNSConfig(podRecords: .disabled))
        try check("10-244-1-5.demo.pod.cluster.local", .a, .nameError, snapshot: disabled)
    }

    @Test("dns-version.<zone> TXT 1.1.0 with CoreDNS's TTL")
    func schemaVersion() throws {
        try check(
            "dns-version.cluster.local", .txt, .noError, answers: [#"dns-version.cluster.local. 28800 IN TXT "1.1.0""#])
        try check("dns-version.cluster.local", .a, .noError)
    }

    @Test("the apex answers SOA and NS, with the DNS Service's address as glue")
    func apex() throws {
        try check("cluster.local", .soa, .noError, answers: [Self.soa])
        try check(
            "cluster.local", .ns, .noError,
            answers: ["cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local."],
            additional: ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"])
        try check("ns.dns.cluster.local", .a, .noError, answers: ["ns.dns.cluster.local. 30 IN A 10.96.0.10"])
        try check("svc.cluster.local", .ns, .noError)
        try check("demo.svc.cluster.local", .ns, .noError)
        // Without a Service owning dnsServiceIP, the NS is ns.dns.<zone>.
        let bare = Fixtures.build(
            services: [], slices: [], pods: [], namespaces: [], config: DNSConfig(), serial: 1_700_000_000)
        try check(
            "cluster.local", .ns, .noError, answers: ["cluster.local. 30 IN NS ns.dns.cluster.local."],
            additional: ["ns.dns.cluster.local. 30 IN A 10.96.0.10"], snapshot: bare)
    }

    @Test("wildcards are not expanded, and ANY gets NODATA")
    func wildcardAndAny() throws {
        try check("*.demo.svc.cluster.local", .a, .nameError)
        try check("*.*.svc.cluster.local", .srv, .nameError)
        try check("web.demo.svc.cluster.local", .any, .noError)
    }

    // MARK: - Case

    @Test("matching ignores case, and the reply echoes the question's spelling")
    func caseEcho() throws {
        let (bytes, _) = try Fixtures.replyBytes(
            Fixtures.query("WeB.DeMo.SvC.Cluster.Local", .a), snapshot: Self.snapshot)
        let reply = try DNSMessage(parsing: bytes)
        #expect(reply.questions.first?.name.description == "WeB.DeMo.SvC.Cluster.Local.")
        #expect(Fixtures.text(reply.answers) == ["WeB.DeMo.SvC.Cluster.Local. 30 IN A 10.96.100.10"])
        // The owner is a pointer to the question.
        let questionEnd = 12 + Fixtures.name("WeB.DeMo.SvC.Cluster.Local").wire.count + 4
        #expect(Array(bytes[questionEnd..<(questionEnd + 2)]) == [0xC0, 0x0C])

        let negative = try Fixtures.ask("NoPe.Demo.svc.CLUSTER.local", .a, snapshot: Self.snapshot)
        #expect(negative.rcode == .nameError)
        #expect(
            Fixtures.text(negative.authorities) == [
                "CLUSTER.local. 30 IN SOA ns.dns.CLUSTER.local. hostmaster.CLUSTER.local. 1700000000 7200 1800 86400 30"
            ])
        let srv = try Fixtures.ask("_PG._TCP.DB.demo.svc.cluster.local", .srv, snapshot: Self.snapshot)
        #expect(srv.answers.count == 2)
        #expect(srv.answers.allSatisfy { $0.name.description == "_PG._TCP.DB.demo.svc.cluster.local." })
        let pod = try Fixtures.ask("10-244-1-5.DEMO.pod.cluster.local", .a, snapshot: Self.snapshot)
        #expect(Fixtures.text(pod.answers) == ["10-244-1-5.DEMO.pod.cluster.local. 30 IN A 10.244.1.5"])
    }

    @Test("golden bytes: an A answer and an NXDOMAIN with its compressed SOA")
    func goldenBytes() throws {
        let (answer, _) = try Fixtures.replyBytes(
            Fixtures.query("web.demo.svc.cluster.local", .a, id: 0xbeef), snapshot: Self.snapshot)
        let question = "03 776562 04 64656d6f 03 737663 07 636c7573746572 05 6c6f63616c 00 0001 0001"
        // QR AA RD, no RA (no upstream); 1 question, 1 answer; the owner is a pointer to the question (C00C).
        #expect(
            answer
                == [UInt8](
                    hex: "beef 8500 0001 0001 0000 0000" + question + "c00c 0001 0001 0000001e 0004 0a60640a"),
            "got \(answer.hex)")

        let (negative, _) = try Fixtures.replyBytes(
            Fixtures.query("nope.demo.svc.cluster.local", .a, id: 0xbeef), snapshot: Self.snapshot)
        // rcode 3, 1 authority record: the SOA owned by "cluster.local" in the question (offset 26 = 0x1a), its
        // MNAME ns.dns + pointer, RNAME hostmaster + pointer, then serial 1700000000 and 7200 1800 86400 30.
        let expected = [UInt8](
            hex: """
                beef 8503 0001 0000 0001 0000
                04 6e6f7065 04 64656d6f 03 737663 07 636c7573746572 05 6c6f63616c 00 0001 0001
                c01a 0006 0001 0000001e 002a
                02 6e73 03 646e73 c01a
                0a 686f73746d6173746572 c01a
                6553f100 00001c20 00000708 00015180 0000001e
                """)
        #expect(negative == expected, "got \(negative.hex)")
    }

    // MARK: - Outside names, classes, types

    @Test("names outside the cluster are REFUSED without an upstream")
    func refusedOutside() throws {
        let reply = try Fixtures.ask("example.com", .a, snapshot: Self.snapshot)
        #expect(reply.rcode == .refused)
        #expect(!reply.header.isAuthoritative)
        #expect(reply.questions.first?.name.description == "example.com.")
        #expect(reply.answers.isEmpty && reply.authorities.isEmpty)
        // "cluster.local" must match whole labels.
        #expect(try Fixtures.ask("xcluster.local", .a, snapshot: Self.snapshot).rcode == .refused)
    }

    @Test("names outside the cluster are forwarded when an upstream exists")
    func forwardOutside() throws {
        let snapshot = Fixtures.snapshot(DNSConfig(hasUpstream: true))
        let outcome = DNSResponder.respond(
            to: Fixtures.query("Example.COM", .aaaa, id: 0x7777, edns: DNSEDNS(udpPayloadSize: 4096)), over: .udp,
            snapshot: snapshot)
        #expect(
            outcome
                == .forward(
                    DNSQuery(
                        id: 0x7777, flags: 0x0100,
                        question: DNSQuestion(name: Fixtures.name("Example.COM"), type: .aaaa),
                        edns: DNSEDNS(udpPayloadSize: 4096), transport: .udp)))
        // Cluster names are still answered, with RA now set.
        let reply = try Fixtures.ask("web.demo.svc.cluster.local", .a, snapshot: snapshot)
        #expect(reply.header.recursionAvailable)
    }

    @Test("class ANY is answered; CHAOS and other classes are REFUSED; zone transfers are REFUSED")
    func classesAndTransfers() throws {
        let any = try Fixtures.ask("web.demo.svc.cluster.local", .a, snapshot: Self.snapshot, qclass: .any)
        #expect(Fixtures.text(any.answers) == ["web.demo.svc.cluster.local. 30 IN A 10.96.100.10"])
        #expect(any.questions.first?.qclass == .any)
        for qclass in [DNSClass.chaos, .hesiod, DNSClass(42)] {
            let reply = try Fixtures.ask("version.bind", .txt, snapshot: Self.snapshot, qclass: qclass)
            #expect(reply.rcode == .refused)
        }
        for type in [DNSType.axfr, .ixfr] {
            #expect(try Fixtures.ask("cluster.local", type, snapshot: Self.snapshot).rcode == .refused)
        }
    }

    @Test("header: QR, AA, RD and CD copied, RA only with an upstream, opcode QUERY")
    func headerFlags() throws {
        var packet = Fixtures.query("web.demo.svc.cluster.local", .a, recursionDesired: false)
        packet[3] |= 0x10  // CD
        let (bytes, _) = try Fixtures.replyBytes(packet, snapshot: Self.snapshot)
        let reply = try DNSMessage(parsing: bytes)
        #expect(reply.header.isResponse && reply.header.isAuthoritative)
        #expect(!reply.header.recursionDesired && reply.header.checkingDisabled)
        #expect(!reply.header.recursionAvailable && !reply.header.isTruncated)
        #expect(reply.header.opcode == .query)
        #expect(Array(bytes[2...3]) == [0x84, 0x10])
    }

    // MARK: - EDNS and sizes

    @Test("EDNS: an OPT comes back with our size, version 0 and the DO bit; none without one")
    func ednsEcho() throws {
        let with = try Fixtures.ask(
            "web.demo.svc.cluster.local", .a, snapshot: Self.snapshot,
            edns: DNSEDNS(udpPayloadSize: 4096, dnssecOK: true))
        let opt = try #require(with.edns)
        #expect(opt == DNSEDNS(udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOK: true, options: []))
        #expect(with.additionals.last?.type == .opt)
        let without = try Fixtures.ask("web.demo.svc.cluster.local", .a, snapshot: Self.snapshot)
        #expect(without.additionals.isEmpty)
        // NXDOMAIN keeps the OPT too, with the SOA.
        let negative = try Fixtures.ask(
            "nope.demo.svc.cluster.local", .a, snapshot: Self.snapshot, edns: DNSEDNS(udpPayloadSize: 512))
        #expect(negative.edns != nil && negative.authorities.count == 1)
    }

    /// A headless Service with `count` ready endpoints named `pod-<n>`.
    static func bigHeadless(_ count: Int, config: DNSConfig = DNSConfig()) -> DNSSnapshot {
        let endpoints = (0..<count).map {
            Fixtures.EP(ip: "10.244.\($0 / 200).\($0 % 200 + 1)", hostname: "pod-\($0)")
        }
        return Fixtures.build(
            services: [Fixtures.service("demo", "big", clusterIP: "None", ports: [("http", 80, "TCP")])],
            slices: [Fixtures.slice("demo", service: "big", ports: [("http", 80, "TCP")], endpoints: endpoints)],
            pods: [], namespaces: [Fixtures.namespace("demo")], config: config)
    }

    @Test("over UDP a large answer is cut at 512 bytes to whole records with TC; over TCP it is whole")
    func truncation() throws {
        let snapshot = Self.bigHeadless(100, config: DNSConfig(rotateAnswers: false))
        let name = "big.demo.svc.cluster.local"
        // 12 header + 32 question; each A is 2 (pointer) + 10 + 4 = 16 bytes: (512 - 44) / 16 = 29 records.
        let (udpBytes, _) = try Fixtures.replyBytes(Fixtures.query(name, .a), snapshot: snapshot)
        #expect(udpBytes.count == 44 + 29 * 16)
        let udp = try DNSMessage(parsing: udpBytes)
        #expect(udp.header.isTruncated)
        #expect(udp.answers.count == 29)
        #expect(udp.answers.first?.description == "big.demo.svc.cluster.local. 30 IN A 10.244.0.1")

        let (tcpBytes, _) = try Fixtures.replyBytes(Fixtures.query(name, .a), over: .tcp, snapshot: snapshot)
        let tcp = try DNSMessage(parsing: tcpBytes)
        #expect(!tcp.header.isTruncated)
        #expect(tcp.answers.count == 100)
        #expect(tcpBytes.count == 44 + 100 * 16)

        // With EDNS the client's size counts, capped at ours (1232), and the OPT (11 bytes) always fits.
        let edns = try Fixtures.ask(name, .a, snapshot: snapshot, edns: DNSEDNS(udpPayloadSize: 4096))
        #expect(edns.header.isTruncated && edns.answers.count == (1232 - 44 - 11) / 16 && edns.edns != nil)
        let small = try Fixtures.ask(name, .a, snapshot: snapshot, edns: DNSEDNS(udpPayloadSize: 100))
        #expect(small.answers.count == (512 - 44 - 11) / 16, "sizes under 512 count as 512")
    }

    @Test("SRV glue that does not fit is left out without TC (RFC 2181 §9)")
    func glueDroppedWithoutTC() throws {
        // 8 SRV of 52 bytes (target written in full) after 55 bytes of header and question: 471 bytes, room for
        // two 16-byte glue records and no more.
        let snapshot = Self.bigHeadless(8)
        let reply = try Fixtures.ask("_http._tcp.big.demo.svc.cluster.local", .srv, snapshot: snapshot)
        #expect(reply.answers.count == 8)
        #expect(!reply.header.isTruncated)
        #expect(
            Fixtures.text(reply.additionals) == [
                "pod-0.big.demo.svc.cluster.local. 30 IN A 10.244.0.1",
                "pod-1.big.demo.svc.cluster.local. 30 IN A 10.244.0.2",
            ])
        let tcp = try Fixtures.ask("_http._tcp.big.demo.svc.cluster.local", .srv, snapshot: snapshot, over: .tcp)
        #expect(tcp.answers.count == 8 && tcp.additionals.count == 8)
        #expect(
            tcp.answers.first?.description
                == "_http._tcp.big.demo.svc.cluster.local. 30 IN SRV 0 12 80 pod-0.big.demo.svc.cluster.local.")
    }

    @Test("A answers rotate with the query id; the same query gets the same reply")
    func rotation() throws {
        let a = try Fixtures.ask("db.demo.svc.cluster.local", .a, snapshot: Self.snapshot, id: 2)
        let b = try Fixtures.ask("db.demo.svc.cluster.local", .a, snapshot: Self.snapshot, id: 3)
        #expect(
            Fixtures.text(a.answers) == [
                "db.demo.svc.cluster.local. 30 IN A 10.244.1.10", "db.demo.svc.cluster.local. 30 IN A 10.244.2.11",
            ])
        #expect(
            Fixtures.text(b.answers) == [
                "db.demo.svc.cluster.local. 30 IN A 10.244.2.11", "db.demo.svc.cluster.local. 30 IN A 10.244.1.10",
            ])
        let fixed = Fixtures.snapshot(DNSConfig(rotateAnswers: false))
        let c = try Fixtures.ask("db.demo.svc.cluster.local", .a, snapshot: fixed, id: 3)
        #expect(Fixtures.text(c.answers) == Fixtures.text(a.answers))
    }

    // MARK: - Configuration

    @Test("TTL and cluster domain come from the config; the SOA follows the TTL as CoreDNS's")
    func config() throws {
        let snapshot = Fixtures.snapshot(DNSConfig(clusterDomain: "k8s.test.", ttl: 5), serial: 9)
        let reply = try Fixtures.ask("web.demo.svc.k8s.test", .a, snapshot: snapshot)
        #expect(Fixtures.text(reply.answers) == ["web.demo.svc.k8s.test. 5 IN A 10.96.100.10"])
        let missing = try Fixtures.ask("nope.demo.svc.k8s.test", .a, snapshot: snapshot)
        #expect(
            Fixtures.text(missing.authorities) == [
                "k8s.test. 5 IN SOA ns.dns.k8s.test. hostmaster.k8s.test. 9 7200 1800 86400 5"
            ])
        #expect(try Fixtures.ask("web.demo.svc.cluster.local", .a, snapshot: snapshot).rcode == .refused)
        // A large TTL: the SOA's own TTL stops at 300, its minimum follows the TTL.
        let long = Fixtures.snapshot(DNSConfig(ttl: 3600), serial: 9)
        let nx = try Fixtures.ask("nope.demo.svc.cluster.local", .a, snapshot: long)
        #expect(
            Fixtures.text(nx.authorities) == [
                "cluster.local. 300 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 9 7200 1800 86400 3600"
            ])
    }

    // MARK: - Relay helpers

    @Test("relay helpers: SERVFAIL for a forwarded query, ids swapped, upstream replies fitted to the client")
    func relay() throws {
        let config = DNSConfig(hasUpstream: true)
        let query = DNSQuery(
            id: 0x4242, flags: 0x0100, question: DNSQuestion(name: Fixtures.name("example.com"), type: .a),
            transport: .udp)
        let servfail = try DNSMessage(parsing: DNSResponder.reply(to: query, rcode: .serverFailure, config: config))
        #expect(servfail.rcode == .serverFailure && servfail.header.id == 0x4242 && servfail.questions.count == 1)
        #expect(servfail.header.recursionAvailable && !servfail.header.isAuthoritative)

        let upstreamReply = DNSMessage(
            header: DNSHeader(id: 0x0001, flags: 0x8180), questions: [query.question],
            answers: (0..<60).map {
                DNSRecord(name: Fixtures.name("example.com"), ttl: 60, data: .a(IPv4Address(UInt32($0))))
            }
        ).encoded()
        #expect(DNSRelay.id(of: upstreamReply) == 1)
        let relayed = DNSRelay.settingID(0x4242, in: upstreamReply)
        #expect(DNSRelay.id(of: relayed) == 0x4242 && relayed.count == upstreamReply.count)
        let fitted = DNSRelay.fitting(relayed, to: query, config: config)
        let parsed = try DNSMessage(parsing: fitted)
        #expect(fitted.count <= 512 && parsed.header.isTruncated && parsed.header.id == 0x4242)
        #expect(
            DNSRelay.fitting(
                relayed, to: DNSQuery(id: 1, flags: 0, question: query.question, transport: .tcp), config: config)
                == relayed)
    }
}
