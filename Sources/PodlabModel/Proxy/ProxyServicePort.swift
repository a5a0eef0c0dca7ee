import Foundation

/// One port of one Service as the proxy sees it (upstream `BaseServicePortInfo`), IPv4 only.
struct ProxyServicePort: Sendable, Hashable {
    var name: ServicePortName
    var clusterIP: IPv4Address
    var port: Int
    /// 0 when the port has no NodePort.
    var nodePort: Int
    var externalIPs: [IPv4Address]
    /// `status.loadBalancer.ingress[].ip`, VIP mode only (an ingress with `ipMode: Proxy` is the load
    /// balancer's own business, as upstream skips it).
    var loadBalancerIPs: [IPv4Address]
    var loadBalancerSourceRanges: [IPv4CIDR]
    /// Seconds of ClientIP affinity, or nil without affinity.
    var affinityTimeout: Int?
    var externalPolicyLocal: Bool
    var internalPolicyLocal: Bool

    /// Reachable other than by ClusterIP: NodePort, LoadBalancer IP or external IP.
    var externallyAccessible: Bool { nodePort != 0 || !loadBalancerIPs.isEmpty || !externalIPs.isEmpty }
    /// Whether some traffic uses every endpoint in the cluster. Even under externalTrafficPolicy Local, the
    /// short-circuit for pod and node traffic needs them.
    var usesClusterEndpoints: Bool { !internalPolicyLocal || externallyAccessible }
    /// Whether some traffic uses only this node's endpoints.
    var usesLocalEndpoints: Bool { internalPolicyLocal || (externalPolicyLocal && externallyAccessible) }

    /// ClientIP affinity's default stickiness, 3 hours (core/v1 `DefaultClientIPServiceAffinitySeconds`).
    static let defaultAffinityTimeout = 10800

    /// The proxied ports of `service`; none for a headless or ExternalName Service, or one without an IPv4
    /// ClusterIP. Ports with an unknown protocol or no port number are left out.
    static func ports(of service: Service) -> [ProxyServicePort] {
        guard let spec = service.spec, spec.type != "ExternalName", let clusterIP = ipv4ClusterIP(spec) else {
            return []
        }
        let externalPolicyLocal =
            (spec.type == "NodePort" || spec.type == "LoadBalancer") && spec.externalTrafficPolicy == "Local"
        let affinity: Int? =
            spec.sessionAffinity == "ClientIP"
            ? Int(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? Int32(defaultAffinityTimeout)) : nil
        let lbIPs = (service.status?.loadBalancer?.ingress ?? []).filter { $0.ipMode != "Proxy" }
            .compactMap { $0.ip.flatMap { IPv4Address($0) } }
        // Upstream tolerates stray whitespace in source ranges ("  203.0.113.0/25") for compatibility.
        let ranges = (spec.loadBalancerSourceRanges ?? []).compactMap {
            IPv4CIDR($0.trimmingCharacters(in: .whitespaces))
        }
        let namespace = service.metadata.namespace ?? "default"
        let name = service.metadata.name ?? ""
        return (spec.ports ?? []).compactMap { p in
            guard let port = p.port, port > 0, let proto = L4Protocol(rawValue: p.protocol ?? "TCP") else { return nil }
            return ProxyServicePort(
                name: ServicePortName(namespace: namespace, name: name, port: p.name ?? "", protocol: proto),
                clusterIP: clusterIP, port: Int(port), nodePort: Int(p.nodePort ?? 0),
                externalIPs: (spec.externalIPs ?? []).compactMap { IPv4Address($0) },
                loadBalancerIPs: lbIPs, loadBalancerSourceRanges: ranges, affinityTimeout: affinity,
                externalPolicyLocal: externalPolicyLocal, internalPolicyLocal: spec.internalTrafficPolicy == "Local")
        }
    }

    /// The IPv4 entry of `clusterIPs` (or `clusterIP` when that list is empty); nil for `None`, empty or IPv6.
    private static func ipv4ClusterIP(_ spec: ServiceSpec) -> IPv4Address? {
        let candidates = (spec.clusterIPs ?? []).isEmpty ? [spec.clusterIP ?? ""] : spec.clusterIPs ?? []
        return candidates.lazy.compactMap { IPv4Address($0) }.first
    }
}
