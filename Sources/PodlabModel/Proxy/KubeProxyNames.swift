/// The names kube-proxy's nftables mode gives its table, chains, sets and maps, so that
/// `nft list table ip kube-proxy` inside a podlab node reads like a real node's.
public enum KubeProxyNames {
    public static let table = "kube-proxy"

    // Base chains: `<type>-<hook>`.
    public static let filterPrerouting = "filter-prerouting"
    public static let filterInput = "filter-input"
    public static let filterForward = "filter-forward"
    public static let filterOutput = "filter-output"
    public static let filterOutputPostDNAT = "filter-output-post-dnat"
    public static let natPrerouting = "nat-prerouting"
    public static let natOutput = "nat-output"
    public static let natPostrouting = "nat-postrouting"

    // Regular chains every node has.
    public static let services = "services"
    public static let serviceEndpointsCheck = "service-endpoints-check"
    public static let nodePortEndpointsCheck = "nodeport-endpoints-check"
    public static let clusterIPsCheck = "cluster-ips-check"
    public static let firewallCheck = "firewall-check"
    public static let rejectChain = "reject-chain"
    public static let markForMasquerade = "mark-for-masquerade"
    public static let masquerading = "masquerading"

    // Sets and maps every node has.
    public static let serviceIPs = "service-ips"
    public static let serviceNodePorts = "service-nodeports"
    public static let noEndpointServices = "no-endpoint-services"
    public static let noEndpointNodePorts = "no-endpoint-nodeports"
    public static let firewallIPs = "firewall-ips"
    public static let clusterIPs = "cluster-ips"
    public static let nodePortIPs = "nodeport-ips"

    /// The longest name nftables accepts (NFT_NAME_MAXLEN 256 with its NUL) less 16 for a prefix such as `endpoint-`:
    /// the 240 of upstream's `chainNameBaseLengthMax`.
    static let nameBaseLengthMax = 256 - 16

    /// `HASH8-name`: the first 8 characters of base32(sha256(name)), a dash, then `name`; cut to 240 characters
    /// with a `...` end if longer (upstream `hashAndTruncate`). The hash keeps a cut name unique and makes chains
    /// that differ in one digit easy to tell apart.
    public static func hashAndTruncate(_ name: String) -> String {
        let hash = Base32.encode(SHA256.digest(Array(name.utf8))).prefix(8)
        let full = "\(hash)-\(name)"
        guard full.utf8.count > nameBaseLengthMax else { return full }
        return String(decoding: full.utf8.prefix(nameBaseLengthMax - 3), as: UTF8.self) + "..."
    }

    /// `HASH8-ns/name/proto/port` for a Service port: the part after `service-`, `local-`, `external-`, `firewall-`.
    /// Namespace, Service and port names use only `[a-z0-9-]`, so they are safe in an nft chain name; `/` separates
    /// them because it cannot occur inside any of them.
    public static func servicePortBase(_ port: ServicePortName) -> String {
        hashAndTruncate("\(port.namespace)/\(port.name)/\(port.protocol.nftName)/\(port.port)")
    }

    /// `HASH8-ns/name/proto/port__IP/PORT` for one endpoint of a Service port (after `endpoint-` or `affinity-`).
    /// The hash is over the whole string, so every endpoint chain gets its own.
    public static func endpointBase(_ port: ServicePortName, ip: IPv4Address, port endpointPort: Int) -> String {
        let name = "\(port.namespace)/\(port.name)/\(port.protocol.nftName)/\(port.port)__\(ip)/\(endpointPort)"
        return hashAndTruncate(name)
    }
}

/// A Service port as kube-proxy keys it: namespace, Service name, port name (may be empty) and protocol.
public struct ServicePortName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public var port: String
    public var `protocol`: L4Protocol

    public init(namespace: String, name: String, port: String, protocol: L4Protocol) {
        self.namespace = namespace
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }

    /// `ns/name:port` (or `ns/name` for an unnamed port), as upstream prints it in element comments.
    public var description: String { port.isEmpty ? "\(namespace)/\(name)" : "\(namespace)/\(name):\(port)" }

    public static func < (a: ServicePortName, b: ServicePortName) -> Bool {
        (a.namespace, a.name, a.port, a.protocol.nftName) < (b.namespace, b.name, b.port, b.protocol.nftName)
    }
}

/// The transport protocols a Service port may use.
public enum L4Protocol: String, Sendable, Hashable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// The lower-case name nft uses for `meta l4proto` and `inet_proto` (`tcp`, `udp`, `sctp`).
    public var nftName: String { rawValue.lowercased() }
}
