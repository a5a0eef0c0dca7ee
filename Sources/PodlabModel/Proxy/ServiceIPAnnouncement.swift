/// Which node answers ARP for each LoadBalancer IP and each external IP inside the node network, as MetalLB's
/// layer-2 mode picks one speaker per address.
///
/// Under externalTrafficPolicy Cluster any node will do, because every node's rules forward to every endpoint:
/// the first node in `nodes` (the control plane) announces. Under Local a node without a ready endpoint of the
/// Service drops the traffic (it keeps the client address, so it cannot forward), so MetalLB announces from a
/// node that has one; so does podlab, preferring nodes in `nodes` order. With no ready endpoint anywhere the
/// address is not announced at all, and a client sees the same silence a real cluster's would give it.
public enum ServiceIPAnnouncement {
    /// The addresses each node must hold (on its loopback), by node name. Every name in `nodes` is a key, so an
    /// address a node must give up is seen as gone.
    public static func assign(services: [JSONValue], endpointSlices: [JSONValue], nodes: [String])
        -> [String: Set<IPv4Address>]
    {
        var out = Dictionary(uniqueKeysWithValues: nodes.map { ($0, Set<IPv4Address>()) })
        guard let first = nodes.first else { return out }
        var readyNodes: [String: Set<String>] = [:]
        for slice in endpointSlices {
            guard let key = KubeProxyRules.owner(ofSlice: slice) else { continue }
            for ep in slice["endpoints"].array ?? [] where ep["conditions"]["ready"].bool != false {
                if let node = ep["nodeName"].string { readyNodes[key, default: []].insert(node) }
            }
        }
        for svc in services {
            let ips = addresses(of: svc)
            guard !ips.isEmpty else { continue }
            var node = first
            if svc["spec"]["externalTrafficPolicy"].string == "Local" {
                let key = (svc["metadata"]["namespace"].string ?? "default") + "/" + (svc["metadata"]["name"].string ?? "")
                let ready = readyNodes[key] ?? []
                guard let chosen = nodes.first(where: { ready.contains($0) }) else { continue }
                node = chosen
            }
            out[node, default: []].formUnion(ips)
        }
        return out
    }

    /// The node network (`172.18.0.0/16`): external IPs outside it are the user's business to route.
    static let wire = IPv4CIDR(clamping: IPv4Address(0xAC12_0000), prefixLength: 16)

    /// status.loadBalancer.ingress IPs of a LoadBalancer Service, and its externalIPs inside the node network.
    static func addresses(of svc: JSONValue) -> Set<IPv4Address> {
        var ips: Set<IPv4Address> = []
        if svc["spec"]["type"].string == "LoadBalancer" {
            for ingress in svc["status"]["loadBalancer"]["ingress"].array ?? [] {
                if let ip = ingress["ip"].string.flatMap(IPv4Address.init) { ips.insert(ip) }
            }
        }
        for text in svc["spec"]["externalIPs"].array ?? [] {
            if let ip = text.string.flatMap(IPv4Address.init), wire.contains(ip) { ips.insert(ip) }
        }
        return ips
    }
}
