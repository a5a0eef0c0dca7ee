import PodlabModel

/// One pod's network: a pinned netns with `eth0` (a veth whose other end, `hostVeth`, is an isolated port
/// of `cni0` in the node netns), an address in the node's pod CIDR and a default route via the bridge.
public struct PodNetworkPlan: Sendable, Hashable {
    public var netns: NetnsName
    public var nodeNetns: NetnsName
    public var hostVeth: InterfaceName
    public var address: IPv4Address
    public var prefixLength: Int
    public var gateway: IPv4Address
    public var sysctls: [Sysctl]

    public init(
        netns: NetnsName, nodeNetns: NetnsName, hostVeth: InterfaceName, address: IPv4Address,
        prefixLength: Int = 24, gateway: IPv4Address, sysctls: [Sysctl] = SysctlPlan.pod
    ) {
        self.netns = netns
        self.nodeNetns = nodeNetns
        self.hostVeth = hostVeth
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.sysctls = sysctls
    }

    /// A pod's plan from its identity and its node's plan, with podlab's names (`NetNames`).
    public init(
        names: NetNames, namespace: String, name: String, uid: String, node: NodeNetworkPlan, address: IPv4Address
    ) {
        self.init(
            netns: names.pod(namespace: namespace, name: name), nodeNetns: node.netns,
            hostVeth: names.hostVeth(podUID: uid), address: address, prefixLength: node.podCIDR.prefixLength,
            gateway: node.gateway)
    }

    /// The pod's address with its prefix, e.g. 10.244.1.5/24.
    public var addressWithPrefix: String { "\(address)/\(prefixLength)" }

    /// The pod's default route: via the node's bridge address, out of eth0.
    public var defaultRoute: RoutePlan {
        RoutePlan(
            destination: IPv4CIDR(clamping: IPv4Address(0), prefixLength: 0), gateway: gateway, device: .eth0)
    }
}
