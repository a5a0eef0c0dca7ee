import PodlabModel

/// A cursor over a received message. It reads straight from the caller's bytes (an `[UInt8]`'s storage or a NIO
/// buffer's readable bytes) and checks every read against the real length first, so a lying count or rdlength
/// ends in a `DNSWireError`, never a trap. Only valid inside the `withUnsafeBytes` scope that made it.
struct DNSReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    @inline(__always) func need(_ count: Int) throws(DNSWireError) {
        guard count <= bytes.count - offset else {
            throw .truncated(offset: offset, needed: count - max(0, bytes.count - offset), available: bytes.count)
        }
    }

    @inline(__always) mutating func readUInt8() throws(DNSWireError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always) mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inline(__always) mutating func readUInt32() throws(DNSWireError) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    mutating func readBytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readHeader() throws(DNSWireError) -> DNSHeader {
        try need(DNSLimits.headerSize)
        return DNSHeader(
            id: try readUInt16(), flags: try readUInt16(), questionCount: try readUInt16(),
            answerCount: try readUInt16(), authorityCount: try readUInt16(), additionalCount: try readUInt16())
    }

    /// Reads a possibly compressed name and leaves the cursor after it (after the first pointer, if any).
    ///
    /// Every pointer must aim strictly before the start of the label run it interrupts (the name's own start, or
    /// the previous pointer's target) and past the header. Runs therefore start at strictly decreasing offsets,
    /// which rules out loops without a hop counter, and still accepts every pointer a real encoder writes: those
    /// point at names written earlier in the message.
    mutating func readName() throws(DNSWireError) -> DNSName {
        var out: [UInt8] = []
        out.reserveCapacity(48)
        var position = offset
        var runStart = offset
        var resume: Int? = nil
        while true {
            guard position < bytes.count else {
                throw .truncated(offset: position, needed: 1, available: bytes.count)
            }
            let length = Int(bytes[position])
            switch length {
            case 0:
                out.append(0)
                offset = resume ?? position + 1
                return DNSName(uncheckedWire: out)
            case 1...DNSLimits.maxLabelLength:
                guard position + 1 + length <= bytes.count else {
                    throw .truncated(
                        offset: position, needed: position + 1 + length - bytes.count, available: bytes.count)
                }
                // +1 for this length byte, +1 for the root byte still to come.
                guard out.count + length + 2 <= DNSLimits.maxNameLength else { throw .nameTooLong(offset: position) }
                out.append(contentsOf: bytes[position..<(position + 1 + length)])
                position += 1 + length
            case 0xC0...0xFF:
                guard position + 1 < bytes.count else {
                    throw .truncated(offset: position, needed: 1, available: bytes.count)
                }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < runStart, target >= DNSLimits.headerSize else {
                    throw .badPointer(offset: position, target: target)
                }
                if resume == nil { resume = position + 2 }
                position = target
                runStart = target
            default:
                throw .labelTooLong(offset: position, length: length)
            }
        }
    }

    mutating func readQuestion() throws(DNSWireError) -> DNSQuestion {
        let name = try readName()
        return DNSQuestion(name: name, type: DNSType(try readUInt16()), qclass: DNSClass(try readUInt16()))
    }

    /// Reads one resource record. Known types are decoded and must fill their rdata exactly; others keep their
    /// bytes. Names inside rdata may be compressed (RFC 3597 §4 allows it only for RFC 1035's types, but accepting
    /// more is harmless when reading).
    mutating func readRecord() throws(DNSWireError) -> DNSRecord {
        let name = try readName()
        let type = DNSType(try readUInt16())
        let rclass = DNSClass(try readUInt16())
        let ttl = try readUInt32()
        let length = Int(try readUInt16())
        try need(length)
        let start = offset
        let end = start + length
        let data = try readRData(type: type, end: end)
        guard offset == end else { throw .badRecordData(offset: start, type: type) }
        return DNSRecord(name: name, rclass: rclass, ttl: ttl, data: data)
    }

    /// Reads rdata of `type` ending at `end`; the caller checks the cursor lands exactly on `end`.
    private mutating func readRData(type: DNSType, end: Int) throws(DNSWireError) -> DNSRData {
        let start = offset
        // A reader confined to this record's data, so a name or a string cannot run into the next record.
        var sub = DNSReader(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), offset: start)
        let data: DNSRData
        switch type {
        case .a:
            guard end - start == 4 else { throw .badRecordData(offset: start, type: type) }
            data = .a(IPv4Address(try sub.readUInt32()))
        case .aaaa:
            guard end - start == 16 else { throw .badRecordData(offset: start, type: type) }
            let high = UInt64(try sub.readUInt32()) << 32 | UInt64(try sub.readUInt32())
            let low = UInt64(try sub.readUInt32()) << 32 | UInt64(try sub.readUInt32())
            data = .aaaa(IPv6Address(high: high, low: low))
        case .ns: data = .ns(try sub.readName())
        case .cname: data = .cname(try sub.readName())
        case .ptr: data = .ptr(try sub.readName())
        case .soa:
            let primary = try sub.readName()
            let mailbox = try sub.readName()
            data = .soa(
                DNSSOA(
                    primary: primary, mailbox: mailbox, serial: try sub.readUInt32(), refresh: try sub.readUInt32(),
                    retry: try sub.readUInt32(), expire: try sub.readUInt32(), minimum: try sub.readUInt32()))
        case .srv:
            let priority = try sub.readUInt16()
            let weight = try sub.readUInt16()
            let port = try sub.readUInt16()
            data = .srv(priority: priority, weight: weight, port: port, target: try sub.readName())
        case .txt:
            var strings: [[UInt8]] = []
            while sub.offset < end {
                let count = Int(try sub.readUInt8())
                strings.append(try sub.readBytes(count))
            }
            data = .txt(strings)
        case .opt:
            var options: [DNSEDNSOption] = []
            while sub.offset < end {
                let code = try sub.readUInt16()
                let count = Int(try sub.readUInt16())
                options.append(DNSEDNSOption(code: code, data: try sub.readBytes(count)))
            }
            data = .opt(options)
        default:
            data = .unknown(type: type, data: try sub.readBytes(end - start))
        }
        offset = sub.offset
        return data
    }
}
