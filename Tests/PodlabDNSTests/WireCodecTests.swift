import PodlabModel
import Testing

@testable import PodlabDNS

@Suite("DNS wire codec")
struct WireCodecTests {
    @Test("a query encodes to RFC 1035 bytes exactly")
    func queryBytes() throws {
        let bytes = Fixtures.query("web.demo.svc.cluster.local", .a, id: 0xbeef)
        let expected = [UInt8](
            hex: """
                beef 0100 0001 0000 0000 0000
                03 776562 04 64656d6f 03 737663 07 636c7573746572 05 6c6f63616c 00
                0001 0001
                """)
        #expect(bytes == expected, "got \(bytes.hex)")
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed.header.id == 0xbeef)
        #expect(parsed.header.recursionDesired)
        #expect(!parsed.header.isResponse)
        #expect(parsed.questions == [DNSQuestion(name: Fixtures.name("web.demo.svc.cluster.local"), type: .a)])
    }

    @Test("header flags map to their bits")
    func headerFlags() {
        var h = DNSHeader(id: 1)
        h.isResponse = true
        h.opcode = .notify
        h.isAuthoritative = true
        h.isTruncated = true
        h.recursionDesired = true
        h.recursionAvailable = true
        h.authenticData = true
        h.checkingDisabled = true
        h.rcodeBits = 5
        #expect(h.flags == 0b1_0100_1_1_1_1_0_1_1_0101)
        h.isTruncated = false
        h.opcode = .query
        #expect(h.flags == 0b1_0000_1_0_1_1_0_1_1_0101)
        #expect(h.opcode == .query && h.rcodeBits == 5)
    }

    static let sampleRecords: [DNSRecord] = [
        DNSRecord(name: Fixtures.name("a.example"), ttl: 30, data: .a(IPv4Address(0x0A60_000A))),
        DNSRecord(name: Fixtures.name("a.example"), ttl: 30, data: .aaaa(IPv6Address("fd00:10:96::5")!)),
        DNSRecord(name: Fixtures.name("b.example"), ttl: 5, data: .cname(Fixtures.name("a.example"))),
        DNSRecord(
            name: Fixtures.name("5.0.96.10.in-addr.arpa"), ttl: 30, data: .ptr(Fixtures.name("x.ns.svc.example"))),
        DNSRecord(name: Fixtures.name("example"), ttl: 30, data: .ns(Fixtures.name("ns.dns.example"))),
        DNSRecord(
            name: Fixtures.name("example"), ttl: 30,
            data: .soa(
                DNSSOA(
                    primary: Fixtures.name("ns.dns.example"), mailbox: Fixtures.name("hostmaster.example"),
                    serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 30))),
        DNSRecord(
            name: Fixtures.name("_http._tcp.a.example"), ttl: 30,
            data: .srv(priority: 0, weight: 100, port: 80, target: Fixtures.name("a.example"))),
        DNSRecord(name: Fixtures.name("v.example"), ttl: 28800, data: .txt([Array("1.1.0".utf8), []])),
        DNSRecord(name: Fixtures.name("m.example"), ttl: 30, data: .unknown(type: .mx, data: [0, 10, 0])),
    ]

    @Test("every record type survives encode and parse", arguments: sampleRecords)
    func roundTrip(record: DNSRecord) throws {
        var header = DNSHeader(id: 7)
        header.isResponse = true
        let message = DNSMessage(
            header: header, questions: [DNSQuestion(name: record.name, type: record.type)], answers: [record],
            additionals: [
                DNSEDNS(
                    udpPayloadSize: 4096, dnssecOK: true,
                    options: [DNSEDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]
                ).record
            ])
        let bytes = message.encoded()
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed.answers == [record])
        #expect(parsed.questions == message.questions)
        let edns = try #require(parsed.edns)
        #expect(edns.udpPayloadSize == 4096 && edns.dnssecOK && edns.version == 0)
        #expect(edns.options == [DNSEDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        #expect(parsed.encoded() == bytes, "re-encoding is stable")
    }

    @Test("names are compressed against earlier names, ignoring case, but never inside SRV")
    func compression() throws {
        var header = DNSHeader(id: 1)
        header.isResponse = true
        let q = Fixtures.name("_HTTP._tcp.DB.demo.svc.cluster.local")
        let target = Fixtures.name("db-0.db.demo.svc.cluster.local")
        let message = DNSMessage(
            header: header, questions: [DNSQuestion(name: q, type: .srv)],
            answers: [
                DNSRecord(name: q.lowercased, ttl: 30, data: .srv(priority: 0, weight: 100, port: 80, target: target))
            ],
            additionals: [DNSRecord(name: target, ttl: 30, data: .a(IPv4Address(0x0AF4_010A)))])
        let bytes = message.encoded()
        // Question at 12; the answer's owner is the question's name in another case: the pointer C00C.
        let questionEnd = 12 + q.wire.count + 4
        #expect(Array(bytes[questionEnd..<(questionEnd + 2)]) == [0xC0, 0x0C])
        // SRV rdata: priority, weight, port, then the target in full although "db.demo.svc…" is in the question.
        let rdataStart = questionEnd + 2 + 10
        #expect(Array(bytes[rdataStart..<(rdataStart + 6)]) == [0, 0, 0, 100, 0, 80])
        #expect(Array(bytes[(rdataStart + 6)..<(rdataStart + 6 + target.wire.count)]) == target.wire)
        // The glue's owner points at that literal target inside the SRV rdata.
        let glueOwner = rdataStart + 6 + target.wire.count
        let pointer = 0xC000 | UInt16(rdataStart + 6)
        #expect(Array(bytes[glueOwner..<(glueOwner + 2)]) == [UInt8(pointer >> 8), UInt8(pointer & 0xFF)])
        #expect(bytes.count == glueOwner + 2 + 10 + 4)
        let parsed = try DNSMessage(parsing: bytes)
        // Parsing follows the pointer, so the answer's owner reads back in the question's case.
        #expect(parsed.answers.map(\.name) == [q])
        #expect(parsed.answers.map(\.data) == message.answers.map(\.data))
        #expect(parsed.additionals == message.additionals)
    }

    @Test("a suffix match points into the middle of an earlier name")
    func suffixPointer() throws {
        var w = DNSWriter()
        w.writeHeader(DNSHeader())
        w.writeName(Fixtures.name("a.b.cluster.local"))  // at 12
        w.writeName(Fixtures.name("x.CLUSTER.local"))
        // "a"(2) "b"(2) -> cluster starts at 16.
        #expect(Array(w.bytes[(12 + 19)...]) == [1, UInt8(ascii: "x"), 0xC0, 16])
        let name = try w.bytes.withUnsafeBytes { raw in
            var r = DNSReader(raw, offset: 31)
            return try r.readName()
        }
        #expect(name.description == "x.cluster.local.")
    }

    @Test("names: limits and text")
    func names() {
        #expect(DNSName("") == .root)
        #expect(DNSName(".") == .root)
        #expect(DNSName("a..b") == nil)
        #expect(DNSName(String(repeating: "a", count: 63) + ".com") != nil)
        #expect(DNSName(String(repeating: "a", count: 64) + ".com") == nil)
        // 4 labels of 63 = 4*64 + 1 = 257 bytes: too long. 3 of 63 + one of 61 = 255: fits.
        let l63 = String(repeating: "x", count: 63)
        #expect(DNSName([l63, l63, l63, l63].joined(separator: ".")) == nil)
        #expect(DNSName([l63, l63, l63, String(repeating: "y", count: 61)].joined(separator: "."))?.wire.count == 255)
        let n = Fixtures.name("Web.Demo.svc.cluster.local.")
        #expect(n.description == "Web.Demo.svc.cluster.local.")
        #expect(n.lowercased.description == "web.demo.svc.cluster.local.")
        #expect(n.isEqualIgnoringCase(Fixtures.name("web.demo.SVC.cluster.local")))
        #expect(n != Fixtures.name("web.demo.svc.cluster.local"))
        #expect(n.isSubdomain(of: Fixtures.name("CLUSTER.local")))
        #expect(!Fixtures.name("xcluster.local").isSubdomain(of: Fixtures.name("cluster.local")))
        #expect(n.labelCount == 5)
        #expect(n.droppingFirst(2).description == "svc.cluster.local.")
        #expect(DNSName(uncheckedWire: [3, 0x61, 0x2E, 0x07, 0]).description == "a\\.\\007.")
    }

    @Test("IPv6 text parses and prints as RFC 5952")
    func ipv6() {
        let cases: [(String, String?)] = [
            ("fd00:10:96::5", "fd00:10:96::5"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
            ("::ffff:10.0.0.1", "::ffff:a00:1"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7", nil),
            ("1:2:3:4:5:6:7:8:9", nil),
            ("1:::2", nil),
            ("1::2::3", nil),
            (":1::2", nil),
            ("12345::", nil),
            ("g::1", nil),
            ("10.0.0.1", nil),
        ]
        for (text, expected) in cases {
            #expect(IPv6Address(text)?.description == expected, "\(text)")
        }
        #expect(IPv6Address("fd00::1")?.bytes == [0xfd, 0] + Array(repeating: 0, count: 13) + [1])
    }

    @Test("reverse names: in-addr.arpa octets and ip6.arpa nibbles")
    func reverseNames() throws {
        #expect(ReverseName.of(try #require(IPv4Address("10.96.0.10"))).description == "10.0.96.10.in-addr.arpa.")
        #expect(
            ReverseName.of(try #require(IPv6Address("2001:db8::1"))).description
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")
    }

    @Test("dashed endpoint labels as CoreDNS writes and reads them")
    func dashed() {
        #expect(IPAddress.dashedLabel("10.244.1.5") == "10-244-1-5")
        #expect(IPAddress.dashedLabel("5678:abcd::1") == "5678-abcd--1")
        #expect(IPAddress.dashedLabel("fd00::") == "fd00--0")
        #expect(IPAddress.fromDashedLabel(Array("10-244-1-5".utf8)) == IPAddress("10.244.1.5"))
        #expect(IPAddress.fromDashedLabel(Array("fd00--5".utf8)) == IPAddress("fd00::5"))
        #expect(IPAddress.fromDashedLabel(Array("10-244-01-5".utf8)) == nil)
        #expect(IPAddress.fromDashedLabel(Array("10-244-1".utf8)) == nil)
        #expect(IPAddress.fromDashedLabel(Array("web".utf8)) == nil)
    }

    @Test("TCP framing adds and strips the 2-byte length")
    func tcpFraming() throws {
        let message: [UInt8] = Array(repeating: 0xAB, count: 300)
        let framed = DNSTCPFraming.framed(message)
        #expect(Array(framed.prefix(2)) == [0x01, 0x2C])
        #expect(DNSTCPFraming.nextMessage(in: Array(framed.prefix(100))) == nil)
        let stream = framed + DNSTCPFraming.framed([1, 2, 3])
        let first = try #require(DNSTCPFraming.nextMessage(in: stream))
        #expect(first.message == message && first.consumed == 302)
        let second = try #require(DNSTCPFraming.nextMessage(in: Array(stream[first.consumed...])))
        #expect(second.message == [1, 2, 3])
    }

    @Test("encoding to a size cuts whole records and sets TC")
    func encodedMaxSize() throws {
        var header = DNSHeader(id: 3)
        header.isResponse = true
        let name = Fixtures.name("h.demo.svc.cluster.local")
        let answers = (0..<40).map { DNSRecord(name: name, ttl: 30, data: .a(IPv4Address(0x0AF4_0000 + UInt32($0)))) }
        let message = DNSMessage(header: header, questions: [DNSQuestion(name: name, type: .a)], answers: answers)
        let full = message.encoded()
        // 12 + question (26 + 4) + 40 * (2 + 10 + 4)
        #expect(full.count == 12 + 30 + 40 * 16)
        let cut = message.encoded(maxSize: 512)
        #expect(cut.count <= 512)
        let parsed = try DNSMessage(parsing: cut)
        #expect(parsed.header.isTruncated)
        #expect(parsed.answers == Array(answers.prefix((512 - 42) / 16)))
        #expect(parsed.header.answerCount == UInt16((512 - 42) / 16))
    }
}
