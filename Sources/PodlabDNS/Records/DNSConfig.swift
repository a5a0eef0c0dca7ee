/// How the cluster DNS answers: the knobs kubeadm's Corefile sets for CoreDNS
/// (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa ip6.arpa; ttl 30 }`,
/// `forward . /etc/resolv.conf`, `loadbalance`), with the same defaults.
public struct DNSConfig: Sendable, Hashable {
    /// The cluster domain (`<zone>` in the Kubernetes DNS spec). A value that is not a valid name, or is the root,
    /// falls back to `cluster.local` when a snapshot is built.
    public var clusterDomain: String
    /// The TTL of every record podlab makes, and the negative-caching TTL in the SOA (CoreDNS's `ttl`).
    /// `dns-version` keeps CoreDNS's fixed 28800.
    public var ttl: UInt32
    /// Whether the server can relay queries to an upstream resolver. With one, names outside the cluster domain
    /// (and reverse names podlab has no record for) come back as `.forward`; without, they are REFUSED
    /// (outside names) or NXDOMAIN (reverse names).
    public var hasUpstream: Bool
    /// The cluster IP of the `kube-dns` Service: the address of the zone's name server, given as glue for NS
    /// queries at the apex and as the A record of `ns.dns.<zone>`. Nil leaves both without an address.
    public var dnsServiceIP: String?
    /// Which `<a-b-c-d>.<ns>.pod.<zone>` names exist (CoreDNS's `pods` option).
    public var podRecords: DNSPodRecords
    /// The largest UDP reply podlab sends to an EDNS client, and the size its own OPT record advertises.
    /// Clients without EDNS always get at most 512 bytes (RFC 1035 §4.2.1).
    public var maxUDPPayloadSize: UInt16
    /// Rotate A and AAAA answers with several records, as kubeadm's Corefile does with the `loadbalance` plugin,
    /// so clients that take the first address spread over a headless Service's endpoints. The rotation is picked
    /// from the query id, so a given query always gets the same reply.
    public var rotateAnswers: Bool

    public init(
        clusterDomain: String = "cluster.local", ttl: UInt32 = 30, hasUpstream: Bool = false,
        dnsServiceIP: String? = "10.96.0.10", podRecords: DNSPodRecords = .insecure,
        maxUDPPayloadSize: UInt16 = DNSLimits.recommendedEDNSSize, rotateAnswers: Bool = true
    ) {
        self.clusterDomain = clusterDomain
        self.ttl = ttl
        self.hasUpstream = hasUpstream
        self.dnsServiceIP = dnsServiceIP
        self.podRecords = podRecords
        self.maxUDPPayloadSize = maxUDPPayloadSize
        self.rotateAnswers = rotateAnswers
    }
}

/// CoreDNS's `pods` modes for `<a-b-c-d>.<ns>.pod.<zone>` names.
public enum DNSPodRecords: Sendable, Hashable {
    /// No pod names: they are NXDOMAIN.
    case disabled
    /// Any well-formed dashed address in an existing namespace answers with that address, pod or not (kubeadm's
    /// choice, kept for compatibility with kube-dns).
    case insecure
    /// Only the addresses of pods that exist in that namespace.
    case verified
}
