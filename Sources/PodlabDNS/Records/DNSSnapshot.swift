/// The cluster's DNS data at one moment, immutable and `Sendable`: the server publishes a new snapshot when the
/// objects change and answers from whichever one it holds, without locks (STYLE.md §4, "a hot path reads an
/// immutable snapshot"). Build one with `DNSRecordsBuilder.snapshot(...)`.
///
/// Names are indexed by their lower-cased wire form, so a lookup is one hash of the question's bytes.
public final class DNSSnapshot: Sendable {
    public let config: DNSConfig
    /// The SOA serial: the value the builder was given. CoreDNS uses the Unix time of the last change; the server
    /// passes the same (or any number that grows with each rebuild).
    public let serial: UInt32
    /// The cluster domain as a name, lower case.
    public let clusterZone: DNSName
    let nodes: [DNSNameKey: DNSNode]
    /// The SOA record of each zone, as a one-element array ready for the authority section.
    let clusterSOA: [DNSRecord]
    let reverseIPv4SOA: [DNSRecord]
    let reverseIPv6SOA: [DNSRecord]

    init(
        config: DNSConfig, serial: UInt32, clusterZone: DNSName, nodes: [DNSNameKey: DNSNode],
        clusterSOA: DNSRecord, reverseIPv4SOA: DNSRecord, reverseIPv6SOA: DNSRecord
    ) {
        self.config = config
        self.serial = serial
        self.clusterZone = clusterZone
        self.nodes = nodes
        self.clusterSOA = [clusterSOA]
        self.reverseIPv4SOA = [reverseIPv4SOA]
        self.reverseIPv6SOA = [reverseIPv6SOA]
    }

    /// How many names exist (empty non-terminals included); for logs and metrics.
    public var nameCount: Int { nodes.count }

    /// The node for `name`, matched ignoring case; nil when the name does not exist as a stored name. Pod names in
    /// `insecure` mode are made per query and never stored.
    public func node(named name: DNSName) -> DNSNode? { nodes[name.key] }

    /// The node for dotted text, for tests and debugging.
    public func node(named text: String) -> DNSNode? { DNSName(text).flatMap { nodes[$0.key] } }

    /// Every stored name in dotted text, sorted; for tests and debugging.
    public var names: [String] { nodes.values.map(\.name.description).sorted() }

    func soa(for zone: DNSZoneKind) -> [DNSRecord] {
        switch zone {
        case .cluster: clusterSOA
        case .reverseIPv4: reverseIPv4SOA
        case .reverseIPv6: reverseIPv6SOA
        }
    }
}
