/// Builds a message into one growing `[UInt8]`, compressing names (RFC 1035 §4.1.4) and able to undo the last
/// record when it overflows the size limit.
///
/// Compression keeps a short list of (suffix hash, offset) for every label run written literally. A name is
/// written by looking for its longest suffix already in the message: hashes are compared first, then the bytes
/// in the message (following its pointers), ignoring case. So an answer owned by the question's name, in any
/// case, becomes the 2-byte pointer `C0 0C` and echoes the question's spelling, as CoreDNS's replies do.
struct DNSWriter {
    private(set) var bytes: [UInt8]
    private var targets: [(hash: UInt64, offset: UInt16)] = []

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        targets.reserveCapacity(16)
    }

    var count: Int { bytes.count }

    /// A point to come back to: the byte count and the compression targets known then.
    struct Mark {
        fileprivate let byteCount: Int
        fileprivate let targetCount: Int
    }

    func mark() -> Mark { Mark(byteCount: bytes.count, targetCount: targets.count) }

    /// Forgets everything written after `mark`, including compression targets that pointed into it.
    mutating func rollback(to mark: Mark) {
        bytes.removeSubrange(mark.byteCount...)
        targets.removeSubrange(mark.targetCount...)
    }

    mutating func writeHeader(_ header: DNSHeader) { header.write(into: &bytes) }

    /// Rewrites the header's four counts in place (offset 4).
    mutating func setCounts(question: Int, answer: Int, authority: Int, additional: Int) {
        bytes.setUInt16(UInt16(question), at: 4)
        bytes.setUInt16(UInt16(answer), at: 6)
        bytes.setUInt16(UInt16(authority), at: 8)
        bytes.setUInt16(UInt16(additional), at: 10)
    }

    /// Sets or clears TC in the header already written.
    mutating func setTruncated(_ on: Bool) {
        if on { bytes[2] |= 0x02 } else { bytes[2] &= ~0x02 }
    }

    mutating func writeUInt16(_ v: UInt16) { bytes.appendUInt16(v) }
    mutating func writeUInt32(_ v: UInt32) { bytes.appendUInt32(v) }

    // MARK: - Names

    /// Writes `name`, replacing its longest suffix already in the message with a pointer when `compress`.
    /// Literal label runs become compression targets either way, so later names can point at them (an SRV
    /// target is written literally, as RFC 2782 asks, yet the A record owned by it in the additional section
    /// still shrinks to a pointer).
    mutating func writeName(_ name: DNSName, compress: Bool = true) {
        let wire = name.wire
        var labelStart = 0
        while wire[labelStart] != 0 {
            // Each suffix is rehashed from its start: a few hundred byte steps for a long name. A one-pass
            // variant in stack memory was not measurably faster, so the simple loop stays.
            var hash = Self.hashSeed
            for i in labelStart..<wire.count { hash = (hash ^ UInt64(DNSName.lower(wire[i]))) &* Self.hashPrime }
            if compress, let target = findTarget(hash: hash, wire: wire, from: labelStart) {
                bytes.appendUInt16(0xC000 | target)
                return
            }
            // Pointers have 14 bits: a label past offset 16383 cannot be a target.
            if bytes.count < 0x4000 { targets.append((hash, UInt16(bytes.count))) }
            let length = Int(wire[labelStart])
            bytes.append(contentsOf: wire[labelStart...(labelStart + length)])
            labelStart += length + 1
        }
        bytes.append(0)
    }

    private func findTarget(hash: UInt64, wire: [UInt8], from start: Int) -> UInt16? {
        for target in targets where target.hash == hash {
            if messageName(at: Int(target.offset), equals: wire, from: start) { return target.offset }
        }
        return nil
    }

    /// Whether the name written at `offset` (pointers followed) equals `wire[start...]`, ignoring case. Only our
    /// own output is walked here, so its pointers are known to be sound.
    private func messageName(at offset: Int, equals wire: [UInt8], from start: Int) -> Bool {
        var position = offset
        var i = start
        while true {
            var length = Int(bytes[position])
            while length >= 0xC0 {
                position = (length & 0x3F) << 8 | Int(bytes[position + 1])
                length = Int(bytes[position])
            }
            guard length == Int(wire[i]) else { return false }
            if length == 0 { return true }
            for k in 1...length where bytes[position + k] != wire[i + k] {
                if DNSName.lower(bytes[position + k]) != DNSName.lower(wire[i + k]) { return false }
            }
            position += length + 1
            i += length + 1
        }
    }

    /// FNV-1a over the lower-cased bytes of a suffix: equal suffixes (in any case) get equal hashes, and a
    /// collision is caught by the byte comparison that follows.
    static let hashSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    static let hashPrime: UInt64 = 0x0000_0100_0000_01b3

    // MARK: - Records

    mutating func writeQuestion(_ question: DNSQuestion) {
        writeName(question.name)
        bytes.appendUInt16(question.type.rawValue)
        bytes.appendUInt16(question.qclass.rawValue)
    }

    /// Writes one record. Names inside rdata are compressed for RFC 1035's own types only (NS, CNAME, PTR, SOA),
    /// as RFC 3597 §4 requires; an SRV target never is (RFC 2782).
    mutating func writeRecord(_ record: DNSRecord) {
        writeName(record.name)
        bytes.appendUInt16(record.type.rawValue)
        bytes.appendUInt16(record.rclass.rawValue)
        bytes.appendUInt32(record.ttl)
        let lengthAt = bytes.count
        bytes.appendUInt16(0)
        switch record.data {
        case .a(let ip):
            bytes.appendUInt32(ip.value)
        case .aaaa(let ip):
            bytes.appendUInt32(UInt32(truncatingIfNeeded: ip.high >> 32))
            bytes.appendUInt32(UInt32(truncatingIfNeeded: ip.high))
            bytes.appendUInt32(UInt32(truncatingIfNeeded: ip.low >> 32))
            bytes.appendUInt32(UInt32(truncatingIfNeeded: ip.low))
        case .ns(let name), .cname(let name), .ptr(let name):
            writeName(name)
        case .soa(let soa):
            writeName(soa.primary)
            writeName(soa.mailbox)
            for v in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { bytes.appendUInt32(v) }
        case .srv(let priority, let weight, let port, let target):
            bytes.appendUInt16(priority)
            bytes.appendUInt16(weight)
            bytes.appendUInt16(port)
            writeName(target, compress: false)
        case .txt(let strings):
            for s in strings {
                let chunk = s.prefix(255)
                bytes.append(UInt8(chunk.count))
                bytes.append(contentsOf: chunk)
            }
        case .opt(let options):
            for option in options {
                bytes.appendUInt16(option.code)
                bytes.appendUInt16(UInt16(truncatingIfNeeded: option.data.count))
                bytes.append(contentsOf: option.data)
            }
        case .unknown(_, let data):
            bytes.append(contentsOf: data)
        }
        bytes.setUInt16(UInt16(truncatingIfNeeded: bytes.count - lengthAt - 2), at: lengthAt)
    }

    /// What `writeSections` managed to fit.
    struct SectionCounts: Equatable {
        var answer = 0
        var authority = 0
        var additional = 0
        /// Answer or authority records were left out: the client must retry over TCP for the full answer.
        var truncated = false
    }

    /// Writes the three record sections, stopping at `limit` bytes. A record that would cross the limit is
    /// rolled back whole, and nothing after it is written. `opt`, if any, always goes last in the additional
    /// section, and its size is set aside from the start, so a cut reply still tells the client our EDNS size.
    ///
    /// TC is reported only when an answer or authority record was dropped: RFC 2181 §9 says a reply missing
    /// only additional data (SRV glue) is complete, and clients would otherwise retry over TCP for nothing.
    mutating func writeSections(
        answers: some Sequence<DNSRecord>, authority: some Sequence<DNSRecord>,
        additional: some Sequence<DNSRecord>, opt: DNSRecord?, limit: Int
    ) -> SectionCounts {
        var counts = SectionCounts()
        // OPT is root-owned (1 byte), 10 fixed bytes, then its options.
        let reserve = opt.map { 11 + Self.optionsLength($0) } ?? 0
        let budget = limit - reserve
        var full = false

        func put(_ record: DNSRecord) -> Bool {
            let before = mark()
            writeRecord(record)
            if bytes.count > budget {
                rollback(to: before)
                return false
            }
            return true
        }
        for record in answers {
            guard put(record) else {
                full = true
                counts.truncated = true
                break
            }
            counts.answer += 1
        }
        if !full {
            for record in authority {
                guard put(record) else {
                    full = true
                    counts.truncated = true
                    break
                }
                counts.authority += 1
            }
        }
        if !full {
            for record in additional {
                guard put(record) else { break }
                counts.additional += 1
            }
        }
        if let opt {
            writeRecord(opt)
            counts.additional += 1
        }
        return counts
    }

    private static func optionsLength(_ record: DNSRecord) -> Int {
        guard case .opt(let options) = record.data else { return 0 }
        return options.reduce(0) { $0 + 4 + $1.data.count }
    }
}
