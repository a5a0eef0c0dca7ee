/// EDNS(0) as an OPT pseudo-record carries it (RFC 6891 §6.1): the sender's UDP payload size in the class field,
/// and the extended rcode, version and DO bit in the TTL field.
public struct DNSEDNS: Hashable, Sendable {
    /// The largest UDP reply the sender can reassemble. RFC 6891 §6.2.3: values under 512 are treated as 512.
    public var udpPayloadSize: UInt16
    /// The upper 8 bits of a 12-bit rcode.
    public var extendedRcode: UInt8
    public var version: UInt8
    /// DO: the sender wants DNSSEC records (RFC 3225). A reply copies it back (§3).
    public var dnssecOK: Bool
    public var options: [DNSEDNSOption]

    public init(
        udpPayloadSize: UInt16 = DNSLimits.recommendedEDNSSize, extendedRcode: UInt8 = 0, version: UInt8 = 0,
        dnssecOK: Bool = false, options: [DNSEDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRcode = extendedRcode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// Reads an OPT record; nil for any other type.
    public init?(_ record: DNSRecord) {
        guard case .opt(let options) = record.data else { return nil }
        udpPayloadSize = record.rclass.rawValue
        extendedRcode = UInt8(truncatingIfNeeded: record.ttl >> 24)
        version = UInt8(truncatingIfNeeded: record.ttl >> 16)
        dnssecOK = record.ttl & 0x8000 != 0
        self.options = options
    }

    /// The OPT record that carries these values.
    public var record: DNSRecord {
        let ttl = UInt32(extendedRcode) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0)
        return DNSRecord(name: .root, rclass: DNSClass(udpPayloadSize), ttl: ttl, data: .opt(options))
    }

    /// The payload size to honour: at least 512 (RFC 6891 §6.2.5).
    public var effectivePayloadSize: Int { max(DNSLimits.classicUDPSize, Int(udpPayloadSize)) }
}
