// The numbers the wire format is made of. Each is a struct over its raw value rather than an enum, so a value
// podlab has no name for (a new RR type, a private class) still survives a parse and encode unchanged.

/// A resource record type (RFC 1035 §3.2.2, RFC 3596 AAAA, RFC 2782 SRV, RFC 6891 OPT).
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(1)
    public static let ns = DNSType(2)
    public static let cname = DNSType(5)
    public static let soa = DNSType(6)
    public static let ptr = DNSType(12)
    public static let mx = DNSType(15)
    public static let txt = DNSType(16)
    public static let aaaa = DNSType(28)
    public static let srv = DNSType(33)
    public static let opt = DNSType(41)
    public static let ixfr = DNSType(251)
    public static let axfr = DNSType(252)
    public static let any = DNSType(255)

    /// The mnemonic dig prints (`AAAA`), or RFC 3597's `TYPE<n>` for types without one here.
    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .ixfr: "IXFR"
        case .axfr: "AXFR"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// A record or question class (RFC 1035 §3.2.4). Only IN carries data in a cluster.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = DNSClass(1)
    public static let chaos = DNSClass(3)
    public static let hesiod = DNSClass(4)
    public static let none = DNSClass(254)
    public static let any = DNSClass(255)

    public var description: String {
        switch self {
        case .in: "IN"
        case .chaos: "CH"
        case .hesiod: "HS"
        case .none: "NONE"
        case .any: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}

/// A response code: the 4 header bits, extended to 12 by an OPT record (RFC 6891 §6.1.3). The server counts
/// replies by this value for its Prometheus metrics, labelled with `description` as CoreDNS labels them.
public struct DNSRcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSRcode(0)
    public static let formatError = DNSRcode(1)
    public static let serverFailure = DNSRcode(2)
    public static let nameError = DNSRcode(3)
    public static let notImplemented = DNSRcode(4)
    public static let refused = DNSRcode(5)
    /// RFC 6891 §6.1.3: the query's EDNS version is higher than the server implements. Needs an OPT to carry it.
    public static let badVersion = DNSRcode(16)

    /// The lower 4 bits, which go in the header.
    var headerBits: UInt16 { rawValue & 0xF }
    /// The upper 8 bits, which go in the OPT record's TTL field.
    var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// The kind of message in the header's OPCODE field (RFC 1035 §4.1.1, RFC 1996 NOTIFY, RFC 2136 UPDATE).
public struct DNSOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0xF }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue & 0xF }

    public static let query = DNSOpcode(0)
    public static let inverseQuery = DNSOpcode(1)
    public static let status = DNSOpcode(2)
    public static let notify = DNSOpcode(4)
    public static let update = DNSOpcode(5)

    public var description: String {
        switch self {
        case .query: "QUERY"
        case .inverseQuery: "IQUERY"
        case .status: "STATUS"
        case .notify: "NOTIFY"
        case .update: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}

/// Sizes the wire format fixes.
public enum DNSLimits {
    /// RFC 1035 §4.1.1: the header is six 16-bit fields.
    public static let headerSize = 12
    /// RFC 1035 §2.3.4: a label is at most 63 octets (the two top bits of its length byte mark pointers).
    public static let maxLabelLength = 63
    /// RFC 1035 §2.3.4: a name is at most 255 octets in wire form, length bytes and the root byte included.
    public static let maxNameLength = 255
    /// RFC 1035 §4.2.1: a UDP message is at most 512 octets unless EDNS0 says otherwise.
    public static let classicUDPSize = 512
    /// RFC 1035 §4.2.2: TCP messages carry a 16-bit length, so 65535 octets at most.
    public static let maxMessageSize = 65535
    /// DNS Flag Day 2020's recommended EDNS buffer size: large enough for most answers, small enough to avoid
    /// IP fragmentation on common paths. podlab advertises and honours at most this much over UDP by default.
    public static let recommendedEDNSSize: UInt16 = 1232
}
