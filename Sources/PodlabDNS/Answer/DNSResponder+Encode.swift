extension DNSResponder {
    /// Writes `reply` as the answer to `query`: header, the question as asked, the sections cut to the size the
    /// transport allows, and an OPT when the query had one.
    static func encode(_ reply: Reply, for query: DNSQuery, config: DNSConfig) -> [UInt8] {
        var header = DNSHeader(id: query.id, questionCount: 1)
        header.isResponse = true
        header.opcode = .query
        header.isAuthoritative = reply.authoritative
        header.recursionDesired = query.recursionDesired
        header.checkingDisabled = query.checkingDisabled
        header.recursionAvailable = config.hasUpstream
        header.rcodeBits = reply.rcode.headerBits

        let limit = query.maxReplySize(
            maxUDPPayloadSize: max(config.maxUDPPayloadSize, UInt16(DNSLimits.classicUDPSize)))
        var writer = DNSWriter(capacity: min(limit, 512))
        writer.writeHeader(header)
        writer.writeQuestion(query.question)
        let opt = query.edns.map { edns in
            DNSEDNS(
                udpPayloadSize: max(config.maxUDPPayloadSize, UInt16(DNSLimits.classicUDPSize)),
                extendedRcode: reply.rcode.extendedBits, version: 0, dnssecOK: edns.dnssecOK
            ).record
        }
        let start = reply.rotate && reply.answers.count > 1 ? Int(query.id) % reply.answers.count : 0
        let counts = writer.writeSections(
            answers: RotatedRecords(records: reply.answers, start: start), authority: reply.authority,
            additional: reply.additional, opt: opt, limit: limit)
        writer.setCounts(question: 1, answer: counts.answer, authority: counts.authority, additional: counts.additional)
        if counts.truncated { writer.setTruncated(true) }
        return writer.bytes
    }
}

/// `records` starting at `start` and wrapping around, without copying the array.
struct RotatedRecords: Sequence {
    let records: [DNSRecord]
    let start: Int

    struct Iterator: IteratorProtocol {
        let records: [DNSRecord]
        let start: Int
        var step = 0
        mutating func next() -> DNSRecord? {
            guard step < records.count else { return nil }
            defer { step += 1 }
            let i = start + step
            return records[i < records.count ? i : i - records.count]
        }
    }

    func makeIterator() -> Iterator { Iterator(records: records, start: start) }
}
