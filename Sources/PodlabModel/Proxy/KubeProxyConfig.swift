/// What one node's proxy needs beyond the Service and EndpointSlice objects (kube-proxy's flags, in effect).
public struct KubeProxyConfig: Sendable, Hashable {
    /// The node these rules are for; endpoints with this `nodeName` are local (externalTrafficPolicy and
    /// internalTrafficPolicy `Local`).
    public var nodeName: String
    /// The node's own addresses (its wire IP). NodePorts answer on these, as kube-proxy's default
    /// `--nodeport-addresses primary` does; empty means every local address except 127.0.0.0/8.
    public var nodeIPs: [IPv4Address]
    /// The Service CIDR: traffic to an unallocated address inside it is dropped.
    public var serviceCIDR: IPv4CIDR
    /// The pod CIDR (kube-proxy's `--cluster-cidr` local detector): ClusterIP traffic from outside it is
    /// masqueraded, and under externalTrafficPolicy Local pod traffic short-circuits to all endpoints.
    /// nil turns both off, as a kube-proxy with no local detector.
    public var clusterCIDR: IPv4CIDR?
    /// The packet mark bit that asks `masquerading` to SNAT (kube-proxy's `--masquerade-bit 14`).
    public var masqueradeMark: UInt32
    /// Whether `localhost:<nodePort>` works inside the node (podlab's addition; kube-proxy's nftables mode has
    /// no localhost NodePorts). It needs `route_localnet=1` in the node netns, which podlab sets there only.
    public var localhostNodePorts: Bool

    /// podlab's defaults: Service CIDR 10.96.0.0/12, pod CIDR 10.244.0.0/16, mark 0x4000, localhost NodePorts on.
    public init(
        nodeName: String, nodeIPs: [IPv4Address],
        serviceCIDR: IPv4CIDR = IPv4CIDR(clamping: IPv4Address(0x0A60_0000), prefixLength: 12),
        clusterCIDR: IPv4CIDR? = IPv4CIDR(clamping: IPv4Address(0x0AF4_0000), prefixLength: 16),
        masqueradeMark: UInt32 = 0x4000, localhostNodePorts: Bool = true
    ) {
        self.nodeName = nodeName
        self.nodeIPs = nodeIPs
        self.serviceCIDR = serviceCIDR
        self.clusterCIDR = clusterCIDR
        self.masqueradeMark = masqueradeMark
        self.localhostNodePorts = localhostNodePorts
    }

    /// The mark as nft prints it: `0x4000`.
    var markText: String { "0x" + String(masqueradeMark, radix: 16) }
}
