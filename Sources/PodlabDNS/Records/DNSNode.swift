/// Which of podlab's zones a name sits in; picks the SOA of negative answers.
enum DNSZoneKind: Sendable, Hashable {
    case cluster
    case reverseIPv4
    case reverseIPv6
}

/// Everything one name owns, by type, with the owner already set to the name in canonical (lower) case. A node
/// with no records at all is an empty non-terminal such as `svc.cluster.local`: the name exists, so queries for it
/// are NODATA, not NXDOMAIN (RFC 8020).
///
/// A final class, so that a lookup on the hot path retains one reference instead of copying ten arrays.
public final class DNSNode: Sendable, Equatable, CustomStringConvertible {
    public let name: DNSName
    let zone: DNSZoneKind
    public let a: [DNSRecord]
    public let aaaa: [DNSRecord]
    public let srv: [DNSRecord]
    /// The A/AAAA records of the SRV targets, for the additional section.
    public let srvAdditional: [DNSRecord]
    public let ptr: [DNSRecord]
    public let txt: [DNSRecord]
    public let ns: [DNSRecord]
    /// The address of the name server, for the additional section of NS answers.
    public let nsAdditional: [DNSRecord]
    public let soa: [DNSRecord]
    /// An ExternalName Service's alias. A name with a CNAME owns nothing else (RFC 1034 §3.6.2).
    public let cname: DNSRecord?
    /// `cname` as a one-element array, made once so answering CNAME queries allocates nothing.
    private let cnameList: [DNSRecord]

    init(_ draft: DNSNodeDraft) {
        name = draft.name
        zone = draft.zone
        a = draft.a
        aaaa = draft.aaaa
        srv = draft.srv
        srvAdditional = draft.srvAdditional
        ptr = draft.ptr
        txt = draft.txt
        ns = draft.ns
        nsAdditional = draft.nsAdditional
        soa = draft.soa
        cname = draft.cname
        cnameList = draft.cname.map { [$0] } ?? []
    }

    /// The records that answer `type` directly, and what goes in the additional section with them.
    func records(for type: DNSType) -> (answer: [DNSRecord], additional: [DNSRecord]) {
        switch type {
        case .a: (a, [])
        case .aaaa: (aaaa, [])
        case .srv: (srv, srvAdditional)
        case .ptr: (ptr, [])
        case .txt: (txt, [])
        case .ns: (ns, nsAdditional)
        case .soa: (soa, [])
        case .cname: (cnameList, [])
        default: ([], [])
        }
    }

    /// True for an empty non-terminal.
    public var isEmpty: Bool {
        a.isEmpty && aaaa.isEmpty && srv.isEmpty && ptr.isEmpty && txt.isEmpty && ns.isEmpty && soa.isEmpty
            && cname == nil
    }

    /// All records, zone-file text, one a line; for debugging.
    public var description: String {
        let all = [a, aaaa, srv, srvAdditional, ptr, txt, ns, nsAdditional, soa, cnameList].joined()
        return all.isEmpty ? "\(name) (empty non-terminal)" : all.map(\.description).joined(separator: "\n")
    }

    public static func == (x: DNSNode, y: DNSNode) -> Bool {
        x.name == y.name && x.zone == y.zone && x.a == y.a && x.aaaa == y.aaaa && x.srv == y.srv
            && x.srvAdditional == y.srvAdditional && x.ptr == y.ptr && x.txt == y.txt && x.ns == y.ns
            && x.nsAdditional == y.nsAdditional && x.soa == y.soa && x.cname == y.cname
    }
}

/// A node while the builder fills it.
struct DNSNodeDraft {
    var name: DNSName
    var zone: DNSZoneKind
    var a: [DNSRecord] = []
    var aaaa: [DNSRecord] = []
    var srv: [DNSRecord] = []
    var srvAdditional: [DNSRecord] = []
    var ptr: [DNSRecord] = []
    var txt: [DNSRecord] = []
    var ns: [DNSRecord] = []
    var nsAdditional: [DNSRecord] = []
    var soa: [DNSRecord] = []
    var cname: DNSRecord?

    init(name: DNSName, zone: DNSZoneKind) {
        self.name = name
        self.zone = zone
    }
}
