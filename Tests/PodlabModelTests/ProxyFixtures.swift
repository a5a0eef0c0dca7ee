@testable import PodlabModel

/// Services, EndpointSlices and a node config for the proxy tests.
enum ProxyFixtures {
    static let nodeName = "podlab-worker"
    static let nodeIP = IPv4Address(0xAC12_0003)  // 172.18.0.3

    static func config(localhost: Bool = true, nodeIPs: [IPv4Address]? = nil) -> KubeProxyConfig {
        KubeProxyConfig(nodeName: nodeName, nodeIPs: nodeIPs ?? [nodeIP], localhostNodePorts: localhost)
    }

    static func service(
        _ namespace: String = "default", _ name: String, type: String = "ClusterIP", clusterIP: String?,
        ports: [ServicePort], externalIPs: [String]? = nil, lbIPs: [String] = [], sourceRanges: [String]? = nil,
        externalPolicy: String? = nil, internalPolicy: String? = nil, affinityTimeout: Int32?? = .none
    ) -> Service {
        var spec = ServiceSpec(ports: ports, selector: ["app": name], type: type)
        spec.clusterIP = clusterIP
        spec.clusterIPs = clusterIP.map { [$0] }
        spec.externalIPs = externalIPs
        spec.loadBalancerSourceRanges = sourceRanges
        spec.externalTrafficPolicy = externalPolicy
        spec.internalTrafficPolicy = internalPolicy
        if case .some(let timeout) = affinityTimeout {
            spec.sessionAffinity = "ClientIP"
            spec.sessionAffinityConfig = timeout.map {
                SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: $0))
            }
        }
        let status =
            lbIPs.isEmpty
            ? nil : ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: lbIPs.map { LoadBalancerIngress(ip: $0) }))
        return Service(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec, status: status)
    }

    static func port(
        _ name: String? = nil, _ port: Int32, _ proto: String = "TCP", target: IntOrString? = nil,
        nodePort: Int32? = nil
    ) -> ServicePort {
        var p = ServicePort(name: name, protocol: proto, port: port, targetPort: target)
        p.nodePort = nodePort
        return p
    }

    /// An endpoint: address, node, and conditions (nil = absent, which counts as ready/serving, not terminating).
    struct EP {
        var ip: String
        var node: String? = "podlab-worker2"
        var ready: Bool? = true
        var serving: Bool? = nil
        var terminating: Bool? = nil
    }

    static func slice(
        _ namespace: String = "default", service: String, name: String? = nil,
        ports: [(name: String, port: Int32, proto: String)], endpoints: [EP]
    ) -> EndpointSlice {
        EndpointSlice(
            metadata: ObjectMeta(
                name: name ?? "\(service)-abcde", namespace: namespace,
                labels: ["kubernetes.io/service-name": service]),
            addressType: "IPv4",
            endpoints: endpoints.map {
                EndpointSlice.Endpoint(
                    addresses: [$0.ip],
                    conditions: .init(ready: $0.ready, serving: $0.serving, terminating: $0.terminating),
                    nodeName: $0.node)
            },
            ports: ports.map { EndpointSlice.Port(name: $0.name, protocol: $0.proto, port: $0.port) })
    }

    /// The chain or set name kube-proxy gives a Service port (`service-`, `external-`, …).
    static func chain(
        _ prefix: String, _ ns: String = "default", _ svc: String, _ proto: String = "tcp", _ port: String
    )
        -> String
    {
        let p = ServicePortName(
            namespace: ns, name: svc, port: port, protocol: L4Protocol(rawValue: proto.uppercased())!)
        return prefix + KubeProxyNames.servicePortBase(p)
    }

    /// The `endpoint-` (or `affinity-`) name for one endpoint of a Service port.
    static func endpoint(
        _ prefix: String = "endpoint-", ns: String = "default", svc: String, _ proto: String = "tcp",
        _ port: String, ip: String, targetPort: Int
    ) -> String {
        let p = ServicePortName(
            namespace: ns, name: svc, port: port, protocol: L4Protocol(rawValue: proto.uppercased())!)
        return prefix + KubeProxyNames.endpointBase(p, ip: IPv4Address(ip)!, port: targetPort)
    }

    static func desired(_ services: [Service], _ slices: [EndpointSlice], config: KubeProxyConfig? = nil)
        -> ProxyRuleset
    {
        KubeProxyRules.desired(services: services, endpointSlices: slices, node: config ?? self.config())
    }
}

extension ProxyRuleset {
    /// The elements of set or map `name`, as `key : value` text.
    func elements(of name: String) -> [String] {
        (set(name)?.elements ?? []).map { e in e.value.map { "\(e.key) : \($0)" } ?? e.key }
    }
    /// The names of the per-Service chains (they contain a `/`).
    var serviceChainNames: [String] { chains.filter { $0.base == nil && $0.name.contains("/") }.map(\.name) }
}
