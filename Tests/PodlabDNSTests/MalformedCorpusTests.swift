import Testing

@testable import PodlabDNS

/// Every malformed packet gets a well-formed reply carrying its id (or, for a response, nothing at all), and the
/// responder keeps answering afterwards.
@Suite("malformed packets")
struct MalformedCorpusTests {
    static let snapshot = Fixtures.snapshot()
    static let valid = Fixtures.query("web.demo.svc.cluster.local", .a, id: 0x0102)

    /// Checks a rejection: parseable, QR set, the id of the packet, the rcode, no records.
    @discardableResult
    func expectRejection(
        _ packet: [UInt8], rcode: DNSRcode, id: UInt16? = nil, question: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DNSMessage {
        let (bytes, outcomeRcode) = try Fixtures.replyBytes(
            packet, snapshot: Self.snapshot, sourceLocation: sourceLocation)
        #expect(outcomeRcode == rcode, sourceLocation: sourceLocation)
        let reply = try DNSMessage(parsing: bytes)
        let expectedID = id ?? (packet.count >= 2 ? UInt16(packet[0]) << 8 | UInt16(packet[1]) : 0)
        #expect(reply.header.id == expectedID, sourceLocation: sourceLocation)
        #expect(reply.header.isResponse, sourceLocation: sourceLocation)
        #expect(reply.rcode == rcode, sourceLocation: sourceLocation)
        #expect(
            reply.answers.isEmpty && reply.authorities.isEmpty && reply.additionals.isEmpty,
            sourceLocation: sourceLocation)
        #expect(reply.questions.count == (question ? 1 : 0), sourceLocation: sourceLocation)
        return reply
    }

    @Test("headers of 0 to 11 bytes get FORMERR with whatever id arrived", arguments: 0..<12)
    func shortHeaders(length: Int) throws {
        let packet = Array(Self.valid.prefix(length))
        let reply = try expectRejection(packet, rcode: .formatError)
        #expect(reply.header.id == (length >= 2 ? 0x0102 : 0))
        #expect(reply.header.recursionDesired == (length >= 3))
    }

    @Test("a truncated question is FORMERR without the question")
    func truncatedQuestion() throws {
        for cut in 12..<Self.valid.count {
            try expectRejection(Array(Self.valid.prefix(cut)), rcode: .formatError)
        }
    }

    @Test("a response sent to the server is dropped, never answered")
    func responsesDropped() {
        var packet = Self.valid
        packet[2] |= 0x80
        #expect(DNSResponder.respond(to: packet, over: .udp, snapshot: Self.snapshot) == .drop)
        #expect(DNSResponder.respond(to: Array(packet.prefix(3)), over: .udp, snapshot: Self.snapshot) == .drop)
    }

    @Test(
        "opcodes other than QUERY get NOTIMP",
        arguments: [DNSOpcode.inverseQuery, .status, .notify, .update, DNSOpcode(9)])
    func otherOpcodes(opcode: DNSOpcode) throws {
        var packet = Self.valid
        packet[2] = packet[2] & 0x87 | opcode.rawValue << 3
        let reply = try expectRejection(packet, rcode: .notImplemented)
        #expect(reply.header.opcode == opcode)
    }

    @Test("QDCOUNT other than 1 is FORMERR", arguments: [0, 2, 0xFFFF])
    func questionCounts(count: Int) throws {
        var packet = Self.valid
        packet.setUInt16(UInt16(count), at: 4)
        try expectRejection(packet, rcode: .formatError)
    }

    @Test("counts promising records that are not there are FORMERR, with the question echoed")
    func wrongCounts() throws {
        for field in [6, 8, 10] {
            var packet = Self.valid
            packet.setUInt16(1, at: field)
            let reply = try expectRejection(packet, rcode: .formatError, question: true)
            #expect(reply.questions.first?.name.description == "web.demo.svc.cluster.local.")
        }
        // An OPT whose rdlength runs past the end.
        var packet = Fixtures.query("web.demo.svc.cluster.local", .a, id: 9, edns: DNSEDNS())
        packet[packet.count - 1] = 40
        try expectRejection(packet, rcode: .formatError, question: true)
    }

    /// A header with QDCOUNT 1 followed by `name` and QTYPE A, QCLASS IN.
    static func packet(name: [UInt8], id: UInt16 = 0x0BAD) -> [UInt8] {
        var out: [UInt8] = []
        DNSHeader(id: id, flags: 0x0100, questionCount: 1).write(into: &out)
        return out + name + [0, 1, 0, 1]
    }

    @Test("compression loops, self and forward pointers, pointers past the end or into the header")
    func badPointers() throws {
        let cases: [[UInt8]] = [
            [0xC0, 12],  // points at itself
            [1, 0x61, 0xC0, 12],  // "a" then back to the start of the same name: a loop
            [0xC0, 14, 1, 0x61, 0],  // forward pointer
            [0xC3, 0xFF],  // past the end
            [0xC0, 2],  // into the header
            [0xC0],  // half a pointer
            [1, 0x61, 0xC0],
        ]
        for name in cases {
            try expectRejection(Self.packet(name: name), rcode: .formatError)
        }
    }

    @Test("a pointer forward to a pointer back (a two-step loop) is caught")
    func twoPointerLoop() throws {
        // The question's name at 12 points ahead to 18, which points back to 12.
        let packet = Self.packet(name: [0xC0, 18]) + [0xC0, 12]
        try expectRejection(packet, rcode: .formatError)
    }

    @Test("a valid backward pointer in the question is followed")
    func backwardPointerAccepted() throws {
        // A query's question is the first name, so it has nothing to point back to: check the reader directly,
        // with a name at 17 pointing back to the name at 12.
        var bytes: [UInt8] = []
        DNSHeader().write(into: &bytes)
        bytes += [3] + Array("svc".utf8) + [0]  // 12..16
        bytes += [3] + Array("web".utf8) + [0xC0, 12]  // 17..
        let name = try bytes.withUnsafeBytes { raw in
            var r = DNSReader(raw, offset: 17)
            let n = try r.readName()
            #expect(r.offset == bytes.count)
            return n
        }
        #expect(name.description == "web.svc.")
    }

    @Test(
        "labels of 64 bytes and more, and the retired label types, are FORMERR", arguments: [64, 0x40 | 5, 0x80, 0xBF])
    func longLabels(length: Int) throws {
        let name = [UInt8(length)] + Array(repeating: 0x61, count: min(length, 100)) + [0]
        try expectRejection(Self.packet(name: name), rcode: .formatError)
    }

    @Test("names over 255 bytes are FORMERR, also when built from pointers")
    func longNames() throws {
        let label = [UInt8(63)] + Array(repeating: UInt8(0x62), count: 63)
        try expectRejection(Self.packet(name: label + label + label + label + [0]), rcode: .formatError)
        // 3 labels of 63 + 1 of 61 = 255 bytes: the longest legal name parses (and is simply NXDOMAIN).
        let last = [UInt8(61)] + Array(repeating: UInt8(0x62), count: 61)
        let (bytes, rcode) = try Fixtures.replyBytes(
            Self.packet(name: label + label + label + last + [0]), snapshot: Self.snapshot)
        #expect(rcode == .refused)
        #expect(try DNSMessage(parsing: bytes).questions.first?.name.wire.count == 255)
    }

    @Test("two OPT records, or an OPT not owned by the root, are FORMERR")
    func badOPT() throws {
        let opt = DNSEDNS().record
        var header = DNSHeader(id: 77)
        header.recursionDesired = true
        let question = DNSQuestion(name: Fixtures.name("web.demo.svc.cluster.local"), type: .a)
        let twice = DNSMessage(header: header, questions: [question], additionals: [opt, opt]).encoded()
        try expectRejection(twice, rcode: .formatError, question: true)
        var named = opt
        named.name = Fixtures.name("web")
        let notRoot = DNSMessage(header: header, questions: [question], additionals: [named]).encoded()
        try expectRejection(notRoot, rcode: .formatError, question: true)
    }

    @Test("EDNS version 1 gets BADVERS with an OPT carrying the extended rcode")
    func badVersion() throws {
        let packet = Fixtures.query("web.demo.svc.cluster.local", .a, id: 5, edns: DNSEDNS(version: 1))
        let (bytes, rcode) = try Fixtures.replyBytes(packet, snapshot: Self.snapshot)
        #expect(rcode == .badVersion)
        let reply = try DNSMessage(parsing: bytes)
        #expect(reply.header.rcodeBits == 0)
        #expect(reply.edns?.extendedRcode == 1 && reply.edns?.version == 0)
        #expect(reply.rcode == .badVersion)
        #expect(reply.answers.isEmpty)
    }

    @Test("thousands of random and mutated packets: a well-formed reply with the id, or a drop for responses")
    func fuzz() throws {
        var rng = SplitMix64(seed: 0x5eed_0f_d05)
        let seeds: [[UInt8]] = [
            Self.valid,
            Fixtures.query("_pg._tcp.db.demo.svc.cluster.local", .srv, edns: DNSEDNS(udpPayloadSize: 4096)),
            Fixtures.query("10.0.96.10.in-addr.arpa", .ptr),
            Fixtures.query("example.com", .aaaa),
        ]
        var replies = 0
        var drops = 0
        for round in 0..<4000 {
            var packet: [UInt8]
            if round % 2 == 0 {
                packet = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                packet = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    guard !packet.isEmpty else { break }
                    let at = Int(rng.next() % UInt64(packet.count))
                    switch rng.next() % 3 {
                    case 0: packet[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: packet.removeSubrange(at...)
                    default: packet.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                    }
                }
            }
            let outcome = DNSResponder.respond(
                to: packet, over: rng.next() % 2 == 0 ? .udp : .tcp, snapshot: Self.snapshot)
            let isResponse = packet.count >= 3 && packet[2] & 0x80 != 0
            switch outcome {
            case .drop:
                #expect(isResponse, "only responses are dropped: \(packet.hex)")
                drops += 1
            case .reply(let bytes, let rcode):
                #expect(!isResponse, "a response was answered: \(packet.hex)")
                let reply = try DNSMessage(parsing: bytes)
                #expect(reply.header.id == (packet.count >= 2 ? UInt16(packet[0]) << 8 | UInt16(packet[1]) : 0))
                #expect(reply.header.isResponse)
                #expect(reply.rcode == rcode)
                #expect(bytes.count <= DNSLimits.maxMessageSize)
                replies += 1
            case .forward(let query):
                #expect(!isResponse)
                #expect(query.id == UInt16(packet[0]) << 8 | UInt16(packet[1]))
            }
        }
        #expect(replies > 1500 && drops > 500, "the corpus exercised both paths: \(replies) replies, \(drops) drops")
        // And the server still answers properly.
        let reply = try Fixtures.ask("web.demo.svc.cluster.local", .a, snapshot: Self.snapshot)
        #expect(Fixtures.text(reply.answers) == ["web.demo.svc.cluster.local. 30 IN A 10.96.100.10"])
    }
}

/// A small deterministic generator (SplitMix64), so the fuzz corpus is the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
