/// One sysctl to write in a namespace: `path` is relative to `/proc/sys` (`net/ipv4/ip_forward`).
///
/// Every value podlab relies on is written explicitly in each namespace, because a new netns copies
/// root's IPv4 `conf/all` and `conf/default` (devinet.c, `devconf_inherit_init_net`=0): on a Docker host
/// with ip_forward=1, pods would otherwise forward.
public struct Sysctl: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var value: String
    /// Skip silently when the file does not exist (the `net/bridge` files exist only where
    /// br_netfilter is built in or loaded; a stock Debian 12 kernel has it as an unloaded module).
    public var onlyIfPresent: Bool

    public init(_ path: String, _ value: String, onlyIfPresent: Bool = false) {
        self.path = path
        self.value = value
        self.onlyIfPresent = onlyIfPresent
    }

    /// `/proc/sys/<path>`.
    public var procPath: String { "/proc/sys/" + path }

    public var description: String { "\(path)=\(value)" + (onlyIfPresent ? " (if present)" : "") }
}

/// The sysctls of each kind of podlab namespace, as data so tests can check them.
public enum SysctlPlan {
    /// bridge-nf-call-* pinned to 0: this CI kernel has br_netfilter built in and on in every new netns,
    /// and br_netfilter plus isolated ports breaks same-node Services (dataplane-notes gotcha 3).
    static let bridgeNetfilterOff: [Sysctl] = ["iptables", "ip6tables", "arptables"].map {
        Sysctl("net/bridge/bridge-nf-call-\($0)", "0", onlyIfPresent: true)
    }

    /// A node netns: forwarding on, loose rp_filter (LoadBalancer and NodePort paths arrive on one
    /// interface and leave by another), no redirects (routing back out of cni0 would send them),
    /// proxy ARP between isolated cni0 ports with no delay (gotcha 4: 0.5-1 s first-connection stalls),
    /// arp_ignore 0 so an LB /32 on lo is answered (gotcha 7), route_localnet for localhost NodePorts.
    public static let node: [Sysctl] = {
        var list = [Sysctl("net/ipv4/ip_forward", "1")]
        for dev in ["all", "default", "eth0", "cni0"] { list.append(Sysctl("net/ipv4/conf/\(dev)/rp_filter", "2")) }
        for dev in ["all", "default"] { list.append(Sysctl("net/ipv4/conf/\(dev)/arp_ignore", "0")) }
        for dev in ["all", "default", "cni0"] {
            list.append(Sysctl("net/ipv4/conf/\(dev)/send_redirects", "0"))
            list.append(Sysctl("net/ipv4/conf/\(dev)/accept_redirects", "0"))
        }
        // localhost:<nodePort> inside a node (seed 003): DNAT of 127.0.0.0/8 needs route_localnet, set in
        // node namespaces only, never in the root namespace.
        for dev in ["all", "default"] { list.append(Sysctl("net/ipv4/conf/\(dev)/route_localnet", "1")) }
        list.append(Sysctl("net/ipv4/conf/cni0/proxy_arp_pvlan", "1"))
        list.append(Sysctl("net/ipv4/neigh/cni0/proxy_delay", "0"))
        return list + bridgeNetfilterOff
    }()

    /// The wire netns: a plain L2 bridge, no routing, no bridge netfilter.
    public static let wire: [Sysctl] = [Sysctl("net/ipv4/ip_forward", "0")] + bridgeNetfilterOff

    /// The outside netns: a host, not a router; loose rp_filter for replies from LB paths.
    public static let outside: [Sysctl] = [
        Sysctl("net/ipv4/ip_forward", "0"),
        Sysctl("net/ipv4/conf/all/rp_filter", "2"),
        Sysctl("net/ipv4/conf/default/rp_filter", "2"),
        Sysctl("net/ipv4/conf/eth0/rp_filter", "2"),
    ]

    /// A pod netns: a host, not a router.
    public static let pod: [Sysctl] = [Sysctl("net/ipv4/ip_forward", "0")]
}
