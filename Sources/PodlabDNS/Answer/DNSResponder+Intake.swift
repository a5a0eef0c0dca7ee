/// A packet turned away before any lookup, and the reply that says why.
struct DNSRejection: Hashable {
    var id: UInt16
    /// The request's flags, as far as they arrived (for the opcode, RD and CD to echo).
    var requestFlags: UInt16
    var rcode: DNSRcode
    /// The question, echoed only when it parsed.
    var question: DNSQuestion?

    /// The reply: QR set, the request's opcode, RD and CD echoed, the question if known, no OPT (the OPT may be
    /// what was wrong, and RFC 6891 §7 has FORMERR replies go without one).
    func encoded(recursionAvailable: Bool) -> [UInt8] {
        let request = DNSHeader(flags: requestFlags)
        var header = DNSHeader(id: id, questionCount: question == nil ? 0 : 1)
        header.isResponse = true
        header.opcode = request.opcode
        header.recursionDesired = request.recursionDesired
        header.checkingDisabled = request.checkingDisabled
        header.recursionAvailable = recursionAvailable
        header.rcodeBits = rcode.headerBits
        var writer = DNSWriter(capacity: 64)
        writer.writeHeader(header)
        if let question { writer.writeQuestion(question) }
        return writer.bytes
    }
}

/// What the first look at a packet decided.
enum DNSIntake {
    case query(DNSQuery)
    case reject(DNSRejection)
    case drop
}

extension DNSResponder {
    /// Reads the header, the question and the other sections of a packet, checking every count against the
    /// bytes. Decides, in miekg/dns's order: a response is dropped, another opcode is NOTIMP, a QDCOUNT other
    /// than 1 is FORMERR, then anything unreadable is FORMERR.
    static func intake(_ packet: UnsafeRawBufferPointer, transport: DNSTransport) -> DNSIntake {
        guard packet.count >= DNSLimits.headerSize else { return shortHeader(packet) }
        var reader = DNSReader(packet)
        let header: DNSHeader
        do { header = try reader.readHeader() } catch { return shortHeader(packet) }
        guard !header.isResponse else { return .drop }
        func reject(_ rcode: DNSRcode, _ question: DNSQuestion? = nil) -> DNSIntake {
            .reject(DNSRejection(id: header.id, requestFlags: header.flags, rcode: rcode, question: question))
        }
        guard header.opcode == .query else { return reject(.notImplemented) }
        guard header.questionCount == 1 else { return reject(.formatError) }
        let question: DNSQuestion
        do { question = try reader.readQuestion() } catch { return reject(.formatError) }
        do {
            // Queries seldom carry answer or authority records, but their counts must still match the bytes.
            for _ in 0..<(Int(header.answerCount) + Int(header.authorityCount)) { _ = try reader.readRecord() }
            var edns: DNSEDNS? = nil
            for _ in 0..<header.additionalCount {
                let record = try reader.readRecord()
                guard record.type == .opt else { continue }
                guard edns == nil, record.name.wire == [0], let parsed = DNSEDNS(record) else {
                    return reject(.formatError, question)
                }
                edns = parsed
            }
            return .query(
                DNSQuery(id: header.id, flags: header.flags, question: question, edns: edns, transport: transport))
        } catch {
            return reject(.formatError, question)
        }
    }

    /// A packet shorter than a header: FORMERR with whatever id and flags arrived, unless it says it is a response.
    private static func shortHeader(_ packet: UnsafeRawBufferPointer) -> DNSIntake {
        if packet.count >= 3, packet[2] & 0x80 != 0 { return .drop }
        let id = packet.count >= 2 ? UInt16(packet[0]) << 8 | UInt16(packet[1]) : 0
        var flags: UInt16 = packet.count >= 3 ? UInt16(packet[2]) << 8 : 0
        if packet.count >= 4 { flags |= UInt16(packet[3]) }
        return .reject(DNSRejection(id: id, requestFlags: flags, rcode: .formatError, question: nil))
    }
}
