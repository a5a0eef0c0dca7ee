import PodlabModel

/// A route in a plan: `destination` via `gateway` out of `device` (on-link when `onLink`).
public struct RoutePlan: Sendable, Hashable, CustomStringConvertible {
    public var destination: IPv4CIDR
    public var gateway: IPv4Address
    public var device: InterfaceName
    public var onLink: Bool

    public init(destination: IPv4CIDR, gateway: IPv4Address, device: InterfaceName, onLink: Bool = false) {
        self.destination = destination
        self.gateway = gateway
        self.device = device
        self.onLink = onLink
    }

    public var description: String {
        "\(destination.prefixLength == 0 ? "default" : "\(destination)") via \(gateway) dev \(device)"
            + (onLink ? " onlink" : "")
    }
}

/// An Ethernet address.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) {
        precondition(bytes.count == 6, "a MAC address has 6 bytes")
        self.bytes = bytes
    }
    public var description: String { bytes.map { String(format: "%02x", $0) }.joined(separator: ":") }
}

/// One node's network: its netns, wire address, pod bridge and routes to the other nodes' pods.
public struct NodeNetworkPlan: Sendable, Hashable {
    public var nodeName: String
    public var netns: NetnsName
    /// The node's `eth0` address on the wire, e.g. 172.18.0.2 (prefix `wirePrefixLength`).
    public var wireAddress: IPv4Address
    public var wirePrefixLength: Int
    /// The veth end in the wire netns, enslaved to `br0`; its peer is the node's `eth0`.
    public var wirePort: InterfaceName
    /// The node's pod CIDR, e.g. 10.244.1.0/24.
    public var podCIDR: IPv4CIDR
    /// The first address of `podCIDR`, on `cni0`: every pod's default gateway.
    public var gateway: IPv4Address
    public var bridge: InterfaceName
    /// `bridge`'s MAC address, set explicitly. A Linux bridge left to itself takes the lowest MAC among its
    /// ports, so it changes as pods come and go, and every pod's ARP entry for `gateway` then points at an
    /// address nobody has: their packets to other nodes and Services vanish until the entry expires, seconds
    /// later. A set address stays. Locally administered (02:..), then the gateway's four bytes.
    public var bridgeMAC: MACAddress {
        let v = gateway.value
        return MACAddress([0x02, 0x70, UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)])
    }
    /// One route per other node: its pod CIDR via its wire address, out of eth0.
    public var routes: [RoutePlan]
    public var sysctls: [Sysctl]
}

/// The wire netns: a bridge with one port per node and one for the outside; no address, no routing.
public struct WireNetworkPlan: Sendable, Hashable {
    public var netns: NetnsName
    public var bridge: InterfaceName
    /// The ports on `bridge`, in the order nodes come, the outside's last.
    public var ports: [InterfaceName]
    public var sysctls: [Sysctl]
}

/// The outside netns: the user's laptop on the wire (`eth0`, the wire's first address); it has no
/// routes to pod CIDRs, as a laptop next to a kind cluster has none.
public struct OutsideNetworkPlan: Sendable, Hashable {
    public var netns: NetnsName
    public var address: IPv4Address
    public var prefixLength: Int
    public var wirePort: InterfaceName
    public var sysctls: [Sysctl]
}

/// The whole node network, computed from a prefix and the node names; pure, tested without root.
///
/// Defaults follow kind: a 172.18.0.0/16 "docker network" (the outside is .1 like docker's gateway,
/// nodes from .2), pod CIDRs 10.244.N.0/24 from 10.244.0.0/16 in node order.
public struct TopologyPlan: Sendable, Hashable {
    public var names: NetNames
    public var wire: WireNetworkPlan
    public var outside: OutsideNetworkPlan
    public var nodes: [NodeNetworkPlan]

    public var prefix: String { names.prefix }

    /// Every netns of the topology: wire, outside, then nodes (the order `buildTopology` creates them).
    public var allNetns: [NetnsName] { [wire.netns, outside.netns] + nodes.map(\.netns) }

    /// Plans the topology. Throws `NameError` for a bad prefix, an empty, duplicate or too long node
    /// list (more nodes than /24s in `podNetwork` or addresses on the wire).
    public init(
        prefix: String,
        nodeNames: [String],
        wireNetwork: IPv4CIDR = TopologyPlan.defaultWireNetwork,
        podNetwork: IPv4CIDR = TopologyPlan.defaultPodNetwork
    ) throws(NameError) {
        let names = try NetNames(prefix: prefix)
        func fail(_ problem: String) -> NameError {
            NameError(kind: "node list", name: nodeNames.joined(separator: ","), problem: problem)
        }
        if nodeNames.isEmpty { throw fail("needs at least one node") }
        if Set(nodeNames).count != nodeNames.count { throw fail("node names must be unique") }
        let netnsNames = nodeNames.map(names.node)
        if Set(netnsNames).count != netnsNames.count { throw fail("node names map to the same netns name") }
        guard podNetwork.prefixLength <= 24, wireNetwork.prefixLength <= 30 else {
            throw fail("pod network must be /24 or wider and the wire /30 or wider")
        }
        let podSlots = UInt64(1) << UInt64(24 - podNetwork.prefixLength)
        // The wire's usable hosts: network and broadcast excluded, .1 for the outside.
        guard UInt64(nodeNames.count) <= podSlots, UInt64(nodeNames.count) + 3 <= wireNetwork.size,
            nodeNames.count <= 4096
        else { throw fail("too many nodes for \(podNetwork) and \(wireNetwork)") }

        var nodes: [NodeNetworkPlan] = []
        for (i, nodeName) in nodeNames.enumerated() {
            let cidr = IPv4CIDR(clamping: IPv4Address(podNetwork.network.value + UInt32(i) << 8), prefixLength: 24)
            nodes.append(
                NodeNetworkPlan(
                    nodeName: nodeName,
                    netns: netnsNames[i],
                    wireAddress: IPv4Address(wireNetwork.network.value + UInt32(2 + i)),
                    wirePrefixLength: wireNetwork.prefixLength,
                    wirePort: InterfaceName(known: "veth-n\(i)"),
                    podCIDR: cidr,
                    gateway: IPv4Address(cidr.network.value + 1),
                    bridge: .cni0,
                    routes: [],
                    sysctls: SysctlPlan.node))
        }
        let outsideAddress = IPv4Address(wireNetwork.network.value + 1)
        for i in nodes.indices {
            nodes[i].routes = nodes.indices.filter { $0 != i }.map { j in
                RoutePlan(destination: nodes[j].podCIDR, gateway: nodes[j].wireAddress, device: .eth0)
            }
            // A default route via the wire's gateway (`outside`), as a kind node has one via the docker network's:
            // without it a node's own packets to a ClusterIP find no route before kube-proxy's output hook DNATs them.
            nodes[i].routes.append(RoutePlan(
                destination: IPv4CIDR(clamping: IPv4Address(0), prefixLength: 0), gateway: outsideAddress, device: .eth0))
        }
        let outsidePort = InterfaceName(known: "veth-outside")
        self.names = names
        self.nodes = nodes
        self.outside = OutsideNetworkPlan(
            netns: names.outside, address: outsideAddress,
            prefixLength: wireNetwork.prefixLength, wirePort: outsidePort, sysctls: SysctlPlan.outside)
        self.wire = WireNetworkPlan(
            netns: names.wire, bridge: .br0, ports: nodes.map(\.wirePort) + [outsidePort], sysctls: SysctlPlan.wire)
    }

    // Literals that parse by construction.
    public static let defaultWireNetwork = IPv4CIDR(clamping: IPv4Address(172 << 24 | 18 << 16), prefixLength: 16)
    public static let defaultPodNetwork = IPv4CIDR(clamping: IPv4Address(10 << 24 | 244 << 16), prefixLength: 16)

    /// The plan of the node called `nodeName`, if it is in the topology.
    public func node(named nodeName: String) -> NodeNetworkPlan? { nodes.first { $0.nodeName == nodeName } }
}
