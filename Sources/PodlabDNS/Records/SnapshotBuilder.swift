import PodlabModel

/// Collects nodes while `DNSRecordsBuilder` walks the objects, then freezes them into a `DNSSnapshot`.
/// Records are deduplicated as they are added, so a name never answers the same data twice.
struct SnapshotBuilder {
    let config: DNSConfig
    let serial: UInt32
    let zone: DNSName
    let ttl: UInt32
    private(set) var nodes: [DNSNameKey: DNSNodeDraft] = [:]
    private var seen: Set<Seen> = []

    init(config: DNSConfig, serial: UInt32) {
        self.config = config
        self.serial = serial
        // The root cannot be the cluster domain: every name would then be the cluster's.
        let given = DNSName(config.clusterDomain).flatMap { $0.labelCount > 0 ? $0 : nil }
        self.zone = (given ?? DNSName(uncheckedWire: Self.clusterLocalWire)).lowercased
        self.ttl = config.ttl
    }

    static let clusterLocalWire: [UInt8] = [7] + Array("cluster".utf8) + [5] + Array("local".utf8) + [0]

    // MARK: - Adding

    /// Makes sure `name` exists (as an empty node if new) and returns nothing; used for empty non-terminals.
    mutating func touch(_ name: DNSName, zone kind: DNSZoneKind = .cluster) {
        let key = name.key
        if nodes[key] == nil { nodes[key] = DNSNodeDraft(name: name.lowercased, zone: kind) }
    }

    /// The record lists of a node that `add` fills.
    enum Field: Hashable {
        case a, aaaa, srv, srvAdditional, ptr, txt

        var keyPath: WritableKeyPath<DNSNodeDraft, [DNSRecord]> {
            switch self {
            case .a: \.a
            case .aaaa: \.aaaa
            case .srv: \.srv
            case .srvAdditional: \.srvAdditional
            case .ptr: \.ptr
            case .txt: \.txt
            }
        }

        /// A or AAAA, by the address family.
        static func address(_ ip: IPAddress) -> Field { ip.isV4 ? .a : .aaaa }
    }

    private struct Seen: Hashable {
        var node: DNSNameKey
        var field: Field
        var record: DNSRecord
    }

    /// Adds `data`, owned by `name`, to the list `field` of `name`'s node, unless it is there already.
    mutating func add(
        _ data: DNSRData, at name: DNSName, to field: Field, zone kind: DNSZoneKind = .cluster, ttl: UInt32? = nil
    ) {
        let owner = name.lowercased
        add(DNSRecord(name: owner, ttl: ttl ?? self.ttl, data: data), to: field, of: owner, zone: kind)
    }

    /// Adds `record` to the list `field` of `node`'s node, unless it is there already. The record's owner may be
    /// another name: SRV glue is owned by the SRV target but served with the SRV's owner.
    mutating func add(_ record: DNSRecord, to field: Field, of node: DNSName, zone kind: DNSZoneKind = .cluster) {
        let key = node.key
        guard seen.insert(Seen(node: key, field: field, record: record)).inserted else { return }
        nodes[key, default: DNSNodeDraft(name: node.lowercased, zone: kind)][keyPath: field.keyPath].append(record)
    }

    /// Appends already-deduplicated records to `field` of `name`.
    mutating func append(
        _ records: [DNSRecord], at name: DNSName, to field: WritableKeyPath<DNSNodeDraft, [DNSRecord]>,
        zone kind: DNSZoneKind = .cluster
    ) {
        let owner = name.lowercased
        nodes[owner.key, default: DNSNodeDraft(name: owner, zone: kind)][keyPath: field].append(contentsOf: records)
    }

    mutating func setCNAME(_ target: DNSName, at name: DNSName) {
        let owner = name.lowercased
        let record = DNSRecord(name: owner, ttl: ttl, data: .cname(target))
        nodes[owner.key, default: DNSNodeDraft(name: owner, zone: .cluster)].cname = record
    }

    /// `<label>.<label>…<zone>` from the given labels, most specific first; nil if too long for DNS.
    func name(_ labels: String...) -> DNSName? { name(labels) }

    func name(_ labels: [String]) -> DNSName? {
        guard let prefix = DNSName(labels: labels) else { return nil }
        return prefix.appending(zone)
    }

    // MARK: - Fixed names

    mutating func addNamespaces(_ namespaces: Set<String>) {
        touch(zone)
        if let svc = name("svc") { touch(svc) }
        if let pod = name("pod") { touch(pod) }
        for namespace in namespaces {
            if let n = name(namespace, "svc") { touch(n) }
            if let n = name(namespace, "pod") { touch(n) }
        }
    }

    /// The zone apex (SOA, NS), `ns.dns.<zone>`, `dns-version.<zone>`, and the reverse zones' apexes.
    mutating func addApex(services: [Service]) {
        append([soaRecord(zone: zone)], at: zone, to: \.soa)
        append([soaRecord(zone: ReverseName.inAddrArpa)], at: ReverseName.inAddrArpa, to: \.soa, zone: .reverseIPv4)
        append([soaRecord(zone: ReverseName.ip6Arpa)], at: ReverseName.ip6Arpa, to: \.soa, zone: .reverseIPv6)

        if let version = name("dns-version") {
            let text = Array(DNSRecordsBuilder.schemaVersion.utf8)
            add(.txt([text]), at: version, to: .txt, ttl: DNSRecordsBuilder.schemaVersionTTL)
        }

        // CoreDNS names its own Service as the zone's name server when it finds it (nsAddrs), and falls back to
        // ns.dns.<zone>; ns.dns.<zone> itself always resolves to the server's address.
        let defaultNS = name("ns", "dns") ?? zone
        touch(defaultNS)
        let address = config.dnsServiceIP.flatMap(IPAddress.init)
        var server = defaultNS
        if let address {
            add(address.rdata, at: defaultNS, to: .address(address))
            let owner = services.first { service in
                service.spec?.type != "ExternalName" && Self.clusterIPs(of: service).contains(address)
            }
            if let owner, let n = owner.metadata.name, let ns = owner.metadata.namespace, let svc = name(n, ns, "svc") {
                server = svc
            }
        }
        append([DNSRecord(name: zone, ttl: ttl, data: .ns(server))], at: zone, to: \.ns)
        if let address {
            append([DNSRecord(name: server, ttl: ttl, data: address.rdata)], at: zone, to: \.nsAdditional)
        }
    }

    /// CoreDNS's SOA (plugin/backend_lookup.go): `ns.dns.<zone>`, `hostmaster.<zone>`, refresh 7200, retry 1800,
    /// expire 86400, minimum = the TTL option; the record's own TTL is min(TTL, 300).
    func soaRecord(zone: DNSName) -> DNSRecord {
        let primary = DNSName(labels: ["ns", "dns"])?.appending(zone) ?? zone
        let mailbox = DNSName(labels: ["hostmaster"])?.appending(zone) ?? zone
        let soa = DNSSOA(
            primary: primary, mailbox: mailbox, serial: serial, refresh: 7200, retry: 1800, expire: 86400,
            minimum: ttl)
        return DNSRecord(name: zone, ttl: min(ttl, 300), data: .soa(soa))
    }

    // MARK: - Finishing

    /// Adds every missing ancestor of every cluster-zone name, up to the apex, as an empty node: a name with
    /// children exists even without records of its own (RFC 8020), so `_tcp.<svc>.<ns>.svc.<zone>` is NODATA.
    /// Reverse zones get none: there podlab only knows whole addresses, and anything else goes upstream.
    mutating func addEmptyNonTerminals() {
        let zoneLabels = zone.labelCount
        for node in Array(nodes.values) where node.zone == .cluster {
            var name = node.name
            var depth = name.labelCount
            while depth > zoneLabels + 1 {
                name = name.droppingFirst(1)
                depth -= 1
                touch(name)
            }
        }
    }

    func snapshot() -> DNSSnapshot {
        DNSSnapshot(
            config: config, serial: serial, clusterZone: zone, nodes: nodes.mapValues(DNSNode.init),
            clusterSOA: soaRecord(zone: zone),
            reverseIPv4SOA: soaRecord(zone: ReverseName.inAddrArpa),
            reverseIPv6SOA: soaRecord(zone: ReverseName.ip6Arpa))
    }

    // MARK: - Helpers

    /// A Service's cluster IPs as addresses (`clusterIPs`, else `clusterIP`); empty for headless and unallocated.
    static func clusterIPs(of service: Service) -> [IPAddress] {
        let texts = service.spec?.clusterIPs.flatMap { $0.isEmpty ? nil : $0 } ?? [service.spec?.clusterIP ?? ""]
        return texts.compactMap(IPAddress.init)
    }
}

extension IPAddress {
    var isV4: Bool {
        if case .v4 = self { return true }
        return false
    }
}
