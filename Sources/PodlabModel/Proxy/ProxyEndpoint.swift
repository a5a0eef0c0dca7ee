/// One endpoint of one Service port (upstream `BaseEndpointInfo`): an address, the port it listens on for that
/// Service port, and its EndpointSlice conditions.
struct ProxyEndpoint: Sendable, Hashable {
    var ip: IPv4Address
    var port: Int
    var isLocal: Bool
    var isReady: Bool
    var isServing: Bool
    var isTerminating: Bool

    /// `10.244.1.5:8080`: the dnat target and the identity upstream sorts and deduplicates by.
    var text: String { "\(ip):\(port)" }

    /// The endpoints of every Service port named in `slices`, keyed by Service port (upstream
    /// `EndpointSliceCache.endpointInfoByServicePort`). Each Service port matches the slice ports of the same
    /// name and protocol, and takes its port number from there: this is how a named `targetPort` resolves per
    /// endpoint, since the EndpointSlice controller puts pods that resolve it differently in different slices.
    ///
    /// `slices` must belong to one Service (same namespace, same `kubernetes.io/service-name`). Only IPv4 slices
    /// count. An endpoint seen twice (moving between slices) is kept once, the non-terminating copy winning.
    /// Endpoints are sorted by `text`, as upstream sorts them.
    static func byServicePort(
        namespace: String, service: String, slices: [EndpointSlice], nodeName: String
    ) -> [ServicePortName: [ProxyEndpoint]] {
        var found: [ServicePortName: [String: ProxyEndpoint]] = [:]
        for slice in slices.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            guard slice.addressType == nil || slice.addressType == "IPv4" else { continue }
            for p in slice.ports ?? [] {
                // Upstream ignores a port with a nil name; podlab reads it as the unnamed port "" (what the
                // controller writes), so a hand-written slice without names still serves a one-port Service.
                guard let number = p.port, number > 0, let proto = L4Protocol(rawValue: p.protocol ?? "TCP") else {
                    continue
                }
                let key = ServicePortName(namespace: namespace, name: service, port: p.name ?? "", protocol: proto)
                for e in slice.endpoints ?? [] {
                    guard let first = e.addresses?.first, let ip = IPv4Address(first) else { continue }
                    // EndpointConditions: a missing ready or serving means true, a missing terminating false.
                    let c = e.conditions
                    let ep = ProxyEndpoint(
                        ip: ip, port: Int(number), isLocal: !nodeName.isEmpty && e.nodeName == nodeName,
                        isReady: c?.ready ?? true, isServing: c?.serving ?? true,
                        isTerminating: c?.terminating ?? false)
                    if found[key]?[ep.text] == nil || !ep.isTerminating { found[key, default: [:]][ep.text] = ep }
                }
            }
        }
        return found.mapValues { $0.values.sorted { $0.text < $1.text } }
    }
}

/// Which endpoints each kind of traffic may use on this node (upstream `CategorizeEndpoints`, without
/// topology hints: podlab has no zones, and trafficDistribution is not honoured).
struct EndpointCategories: Sendable, Hashable {
    /// Used under the Cluster policy: ready endpoints, or if none is ready anywhere, the serving terminating
    /// ones. Empty when no traffic uses Cluster policy.
    var cluster: [ProxyEndpoint] = []
    /// Used under the Local policy: this node's ready endpoints, else its serving terminating ones.
    var local: [ProxyEndpoint] = []
    /// The union of the two: every endpoint that gets an `endpoint-` chain.
    var reachable: [ProxyEndpoint] = []
    /// Whether any usable endpoint exists anywhere in the cluster (false means REJECT).
    var hasAny = false

    init(_ endpoints: [ProxyEndpoint], for svc: ProxyServicePort) {
        guard !endpoints.isEmpty else { return }
        if svc.usesClusterEndpoints {
            cluster = endpoints.filter(\.isReady)
            // Fall back to terminating endpoints that still serve, so a rolling update of the last
            // pods does not reject connections while they drain.
            if cluster.isEmpty { cluster = endpoints.filter { $0.isServing && $0.isTerminating } }
            hasAny = !cluster.isEmpty
        }
        guard svc.usesLocalEndpoints else {
            reachable = cluster
            return
        }
        let usable = endpoints.filter { $0.isReady || ($0.isServing && $0.isTerminating) }
        hasAny = hasAny || !usable.isEmpty
        let localReady = endpoints.filter { $0.isLocal && $0.isReady }
        local = localReady.isEmpty ? endpoints.filter { $0.isLocal && $0.isServing && $0.isTerminating } : localReady
        guard svc.usesClusterEndpoints else {
            reachable = local
            return
        }
        var union: [String: ProxyEndpoint] = [:]
        for ep in cluster + local { union[ep.text] = ep }
        reachable = union.values.sorted { $0.text < $1.text }
    }
}
