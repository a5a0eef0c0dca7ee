/// The 12-byte message header (RFC 1035 §4.1.1): id, flags and the four section counts.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    /// QR, OPCODE, AA, TC, RD, RA, Z, AD, CD and RCODE as they sit on the wire.
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(
        id: UInt16 = 0, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0, additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    // Bit positions in the flags word (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2).
    static let qrBit: UInt16 = 0x8000
    static let aaBit: UInt16 = 0x0400
    static let tcBit: UInt16 = 0x0200
    static let rdBit: UInt16 = 0x0100
    static let raBit: UInt16 = 0x0080
    static let adBit: UInt16 = 0x0020
    static let cdBit: UInt16 = 0x0010

    /// QR: this message is a response.
    public var isResponse: Bool {
        get { flags & Self.qrBit != 0 }
        set { set(Self.qrBit, newValue) }
    }
    public var opcode: DNSOpcode {
        get { DNSOpcode(UInt8(truncatingIfNeeded: flags >> 11)) }
        set { flags = (flags & ~0x7800) | UInt16(newValue.rawValue) << 11 }
    }
    /// AA: the answer comes from a server authoritative for the name.
    public var isAuthoritative: Bool {
        get { flags & Self.aaBit != 0 }
        set { set(Self.aaBit, newValue) }
    }
    /// TC: the message was cut to fit the transport; the client should retry over TCP.
    public var isTruncated: Bool {
        get { flags & Self.tcBit != 0 }
        set { set(Self.tcBit, newValue) }
    }
    public var recursionDesired: Bool {
        get { flags & Self.rdBit != 0 }
        set { set(Self.rdBit, newValue) }
    }
    public var recursionAvailable: Bool {
        get { flags & Self.raBit != 0 }
        set { set(Self.raBit, newValue) }
    }
    public var authenticData: Bool {
        get { flags & Self.adBit != 0 }
        set { set(Self.adBit, newValue) }
    }
    public var checkingDisabled: Bool {
        get { flags & Self.cdBit != 0 }
        set { set(Self.cdBit, newValue) }
    }
    /// The header's 4 rcode bits. An OPT record may extend them (see `DNSMessage.rcode`).
    public var rcodeBits: UInt16 {
        get { flags & 0xF }
        set { flags = (flags & ~0xF) | (newValue & 0xF) }
    }

    private mutating func set(_ bit: UInt16, _ on: Bool) {
        if on { flags |= bit } else { flags &= ~bit }
    }

    /// Appends the 12 header bytes, big-endian as every DNS integer.
    func write(into out: inout [UInt8]) {
        out.appendUInt16(id)
        out.appendUInt16(flags)
        out.appendUInt16(questionCount)
        out.appendUInt16(answerCount)
        out.appendUInt16(authorityCount)
        out.appendUInt16(additionalCount)
    }
}

extension Array where Element == UInt8 {
    @inline(__always) mutating func appendUInt16(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }
    @inline(__always) mutating func appendUInt32(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 24))
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }
    /// Overwrites two bytes at `offset` (a count or an rdlength written after its contents).
    @inline(__always) mutating func setUInt16(_ v: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: v >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: v)
    }
}
