import PodlabModel

/// A question: the name, type and class a client asks about (RFC 1035 §4.1.2).
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSType
    public var qclass: DNSClass

    public init(name: DNSName, type: DNSType, qclass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }

    public var description: String { "\(name) \(qclass) \(type)" }
}

/// The fields of an SOA record (RFC 1035 §3.3.13).
public struct DNSSOA: Hashable, Sendable {
    /// The primary name server (MNAME).
    public var primary: DNSName
    /// The responsible mailbox (RNAME), `hostmaster.<zone>`.
    public var mailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// MINIMUM: the TTL resolvers cache a negative answer for (RFC 2308 §4).
    public var minimum: UInt32

    public init(
        primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// One EDNS option inside an OPT record (RFC 6891 §6.1.2): a code and opaque data.
public struct DNSEDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]
    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

/// The data of a record, by type. Types podlab does not interpret keep their rdata bytes (RFC 3597).
public enum DNSRData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case soa(DNSSOA)
    /// RFC 2782. The target is written uncompressed, as §"Target" requires.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Character strings, each at most 255 bytes (RFC 1035 §3.3.14).
    case txt([[UInt8]])
    case opt([DNSEDNSOption])
    case unknown(type: DNSType, data: [UInt8])

    /// The record type this data belongs to.
    public var type: DNSType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .soa: .soa
        case .srv: .srv
        case .txt: .txt
        case .opt: .opt
        case .unknown(let type, _): type
        }
    }
}

/// A resource record (RFC 1035 §4.1.3). For OPT the class and TTL fields carry the EDNS payload size and flags
/// (RFC 6891 §6.1.3); `DNSEDNS` reads them.
public struct DNSRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var rclass: DNSClass
    public var ttl: UInt32
    public var data: DNSRData

    public init(name: DNSName, rclass: DNSClass = .in, ttl: UInt32, data: DNSRData) {
        self.name = name
        self.rclass = rclass
        self.ttl = ttl
        self.data = data
    }

    public var type: DNSType { data.type }

    /// Zone-file text as dig prints it: `name ttl class type rdata`.
    public var description: String {
        let rdata: String
        switch data {
        case .a(let ip): rdata = ip.description
        case .aaaa(let ip): rdata = ip.description
        case .ns(let n), .cname(let n), .ptr(let n): rdata = n.description
        case .soa(let s):
            rdata = "\(s.primary) \(s.mailbox) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .srv(let p, let w, let port, let target): rdata = "\(p) \(w) \(port) \(target)"
        case .txt(let strings):
            rdata = strings.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }.joined(separator: " ")
        case .opt(let options): rdata = options.map { "\($0.code):\($0.data.count)B" }.joined(separator: " ")
        case .unknown(_, let bytes): rdata = "\\# \(bytes.count)"
        }
        return "\(name) \(ttl) \(rclass) \(type) \(rdata)"
    }
}
