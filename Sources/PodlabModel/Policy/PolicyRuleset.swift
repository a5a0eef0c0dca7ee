/// What one node's `table inet podlab-netpol` holds: the pure desired state of NetworkPolicy enforcement there.
///
/// Layout: base chain `forward` (hook forward, priority filter: after Service DNAT, so it sees the pod a
/// ClusterIP packet was sent to) accepts established and related packets first, then jumps through map
/// `egress-pods` (source IP of a local egress-isolated pod -> its chain) and map `ingress-pods` (destination IP of
/// a local ingress-isolated pod -> its chain). A pod's chain has one `return` rule per allowed peer and port
/// (with a counter and the policy's name as comment) and ends in a counted drop: a new connection no policy
/// allows is dropped, so the client times out, as with most CNIs. Egress is checked where the source pod lives,
/// ingress where the destination pod lives; a connection between two pods of one node passes both there.
public struct PolicyRuleset: Sendable, Hashable {
    public static let family = "inet"
    public static let table = "podlab-netpol"
    public static var tableRef: String { "\(family) \(table)" }
    public static let ingressMap = "ingress-pods"
    public static let egressMap = "egress-pods"

    /// A named set of peer addresses (`ipv4_addr`) or of destination address, protocol and port (named ports).
    public struct NamedSet: Sendable, Hashable {
        public var name: String
        public var type: String
        /// Which peer it stands for (`x/allow-a: pods {pod=a} in namespaces {ns=y}`), for `podlab explain`.
        public var comment: String
        public var elements: [String]
    }

    /// A pod's chain: `ingress-<ns>/<pod>` or `egress-<ns>/<pod>`.
    public struct Chain: Sendable, Hashable {
        public var name: String
        public var rules: [String]
    }

    public var node: String
    /// By name, each set once (peers that select the same pods in the same way share one set).
    public var sets: [NamedSet]
    /// `ip : jump chain` elements of the two maps, sorted.
    public var ingressPods: [String: String]
    public var egressPods: [String: String]
    public var chains: [Chain]

    /// The base chain's rules.
    public static let forwardRules = [
        "ct state established,related accept",
        "ip saddr vmap @\(egressMap)",
        "ip daddr vmap @\(ingressMap)",
    ]
}
