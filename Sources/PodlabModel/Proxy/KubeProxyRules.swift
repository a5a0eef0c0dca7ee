/// The nftables ruleset kube-proxy's nftables mode would write on one node, as a pure function of the Services
/// and EndpointSlices (upstream `pkg/proxy/nftables/proxier.go`, `syncProxyRules`). No syscalls: PodlabNet
/// applies the result with one libnftables transaction.
///
/// Where podlab departs from upstream, and why:
/// - Endpoint choice uses chained `numgen` rules instead of one anonymous `numgen … vmap { … }` per Service
///   (see `endpointChoiceRules`): the anonymous sets made a 5,000-Service load superlinear in kernel time.
/// - Optional localhost NodePorts (`KubeProxyConfig.localhostNodePorts`), which seed 003 relies on.
/// - No topology hints; the IPv4 family only.
public enum KubeProxyRules {
    /// The ruleset for `config.nodeName`. Headless and ExternalName Services get no rules; a Service without a
    /// selector uses whatever EndpointSlices are labelled `kubernetes.io/service-name: <its name>`.
    public static func desired(
        services: [Service], endpointSlices: [EndpointSlice], node config: KubeProxyConfig
    ) -> ProxyRuleset {
        let slicesByService = Self.slicesByService(endpointSlices)
        var builder = RulesetBuilder(config: config)
        let sorted = services.sorted {
            ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < (
                $1.metadata.namespace ?? "", $1.metadata.name ?? ""
            )
        }
        for service in sorted {
            let ports = ProxyServicePort.ports(of: service)
            guard let first = ports.first else { continue }
            let endpoints = ProxyEndpoint.byServicePort(
                namespace: first.name.namespace, service: first.name.name,
                slices: slicesByService["\(first.name.namespace)/\(first.name.name)"] ?? [], nodeName: config.nodeName)
            for port in ports { builder.addServicePort(port, endpoints: endpoints[port.name] ?? []) }
        }
        return builder.ruleset()
    }

    /// The same from objects as the store holds them. Objects that do not decode are skipped (the API server
    /// validated them on the way in, so this only guards against a kind mix-up).
    public static func desired(
        services: [JSONValue], endpointSlices: [JSONValue], node config: KubeProxyConfig
    ) -> ProxyRuleset {
        desired(
            services: services.compactMap { try? $0.decode(as: Service.self) },
            endpointSlices: endpointSlices.compactMap { try? $0.decode(as: EndpointSlice.self) }, node: config)
    }

    /// discovery/v1 `LabelServiceName`.
    static let serviceNameLabel = "kubernetes.io/service-name"

    /// `namespace/service` of the Service an EndpointSlice belongs to (its `kubernetes.io/service-name` label),
    /// or nil for a slice without one.
    static func owner(ofSlice slice: EndpointSlice) -> String? {
        guard let owner = slice.metadata.labels?[serviceNameLabel], !owner.isEmpty else { return nil }
        return "\(slice.metadata.namespace ?? "default")/\(owner)"
    }

    /// The same for a slice as the store holds it.
    public static func owner(ofSlice slice: JSONValue) -> String? {
        guard let owner = slice["metadata"]["labels"][serviceNameLabel].string, !owner.isEmpty else { return nil }
        return "\(slice["metadata"]["namespace"].string ?? "default")/\(owner)"
    }

    /// Slices by `namespace/service` of their owner; slices without one are left out.
    static func slicesByService<Slice>(_ slices: [Slice], owner: (Slice) -> String?) -> [String: [Slice]] {
        var out: [String: [Slice]] = [:]
        for slice in slices {
            if let key = owner(slice) { out[key, default: []].append(slice) }
        }
        return out
    }

    static func slicesByService(_ slices: [EndpointSlice]) -> [String: [EndpointSlice]] {
        slicesByService(slices, owner: { owner(ofSlice: $0) })
    }
}

// MARK: - The fixed part of the table

extension KubeProxyRules {
    typealias N = KubeProxyNames

    /// Base chains in upstream's order. Filter chains run at dstnat-10 so they see the destination before DNAT;
    /// filter-output-post-dnat runs at dstnat+10 so cluster-ips-check sees it after.
    static let baseChains: [NftChain] = [
        NftChain(name: N.filterPrerouting, base: NftBaseChain(type: "filter", hook: "prerouting", priority: -110)),
        NftChain(name: N.filterInput, base: NftBaseChain(type: "filter", hook: "input", priority: -110)),
        NftChain(name: N.filterForward, base: NftBaseChain(type: "filter", hook: "forward", priority: -110)),
        NftChain(name: N.filterOutput, base: NftBaseChain(type: "filter", hook: "output", priority: -110)),
        NftChain(name: N.filterOutputPostDNAT, base: NftBaseChain(type: "filter", hook: "output", priority: -90)),
        NftChain(name: N.natPrerouting, base: NftBaseChain(type: "nat", hook: "prerouting", priority: -100)),
        NftChain(name: N.natOutput, base: NftBaseChain(type: "nat", hook: "output", priority: -100)),
        NftChain(name: N.natPostrouting, base: NftBaseChain(type: "nat", hook: "postrouting", priority: 100)),
    ]

    /// Every chain that does not belong to a Service, with its rules.
    static func fixedChains(_ config: KubeProxyConfig) -> [NftChain] {
        let newJump = "ct state new jump "
        let threeTuple = "ip daddr . meta l4proto . th dport"
        let noLocalhost = "ip daddr != 127.0.0.0/8"
        // NodePorts answer on the node's own addresses (the nodeport-ips set), or on any local address but
        // loopback when none is configured (upstream's `--nodeport-addresses` unset).
        let nodePortMatch =
            config.nodeIPs.isEmpty ? "fib daddr type local \(noLocalhost)" : "ip daddr @\(N.nodePortIPs)"
        let nodePortCheckMatch = config.nodeIPs.isEmpty ? noLocalhost : "ip daddr @\(N.nodePortIPs)"
        var nodePortChecks = ["\(nodePortCheckMatch) meta l4proto . th dport vmap @\(N.noEndpointNodePorts)"]
        var natOutput = ["jump \(N.services)"]
        if config.localhostNodePorts {
            // podlab's addition. Locally generated traffic to 127.0.0.0/8 reaches NodePorts. Masquerading needs no
            // rule of its own: an `external-` chain marks everything under the Cluster policy, and under Local its
            // `fib saddr type local` rule marks it (127.0.0.1 is local). Without SNAT the DNATed packet would
            // leave with a loopback source, which route_localnet only tolerates inside the node.
            natOutput.insert(
                "ip daddr 127.0.0.0/8 meta l4proto . th dport vmap @\(N.serviceNodePorts)"
                    + " comment \"podlab: localhost NodePorts\"", at: 0)
            if !config.nodeIPs.isEmpty {
                nodePortChecks.append("ip daddr 127.0.0.0/8 meta l4proto . th dport vmap @\(N.noEndpointNodePorts)")
            } else {
                nodePortChecks = ["meta l4proto . th dport vmap @\(N.noEndpointNodePorts)"]
            }
        }
        let rules: [String: [String]] = [
            N.filterPrerouting: [newJump + N.firewallCheck],
            N.filterInput: [newJump + N.nodePortEndpointsCheck, newJump + N.serviceEndpointsCheck],
            N.filterForward: [newJump + N.serviceEndpointsCheck, newJump + N.clusterIPsCheck],
            N.filterOutput: [newJump + N.serviceEndpointsCheck, newJump + N.firewallCheck],
            N.filterOutputPostDNAT: [newJump + N.clusterIPsCheck],
            N.natPrerouting: ["jump \(N.services)"],
            N.natOutput: natOutput,
            N.natPostrouting: ["jump \(N.masquerading)"],
        ]
        let base = baseChains.map { chain in
            var c = chain
            c.rules = rules[c.name] ?? []
            return c
        }
        return base + [
            NftChain(
                name: N.services,
                rules: [
                    "\(threeTuple) vmap @\(N.serviceIPs)",
                    "\(nodePortMatch) meta l4proto . th dport vmap @\(N.serviceNodePorts)",
                ]),
            NftChain(name: N.serviceEndpointsCheck, rules: ["\(threeTuple) vmap @\(N.noEndpointServices)"]),
            NftChain(name: N.nodePortEndpointsCheck, rules: nodePortChecks),
            NftChain(
                name: N.clusterIPsCheck,
                rules: [
                    "ip daddr @\(N.clusterIPs) reject comment \"Reject traffic to invalid ports of ClusterIPs\"",
                    "ip daddr { \(config.serviceCIDR) } drop comment \"Drop traffic to unallocated ClusterIPs\"",
                ]),
            NftChain(name: N.firewallCheck, rules: ["\(threeTuple) vmap @\(N.firewallIPs)"]),
            // `reject` cannot be a map verdict, so the no-endpoint maps say `goto reject-chain`.
            NftChain(
                name: N.rejectChain, comment: "helper for @no-endpoint-services / @no-endpoint-nodeports",
                rules: ["reject"]),
            NftChain(name: N.markForMasquerade, rules: ["mark set mark or \(config.markText)"]),
            NftChain(
                name: N.masquerading,
                rules: [
                    "mark and \(config.markText) == 0 return",
                    // Clear the bit so a packet that is routed on through another node's rules starts clean.
                    "mark set mark xor \(config.markText)",
                    "masquerade fully-random",
                ]),
        ]
    }

    /// The sets and maps every node has, empty; `RulesetBuilder` fills in the elements.
    static func fixedSets(_ config: KubeProxyConfig) -> [NftSet] {
        let threeTuple = "ipv4_addr . inet_proto . inet_service : verdict"
        let twoTuple = "inet_proto . inet_service : verdict"
        var sets = [NftSet(name: N.clusterIPs, type: "ipv4_addr", comment: "Active ClusterIPs")]
        if !config.nodeIPs.isEmpty {
            sets.append(
                NftSet(
                    name: N.nodePortIPs, type: "ipv4_addr", comment: "IPs that accept NodePort traffic",
                    elements: config.nodeIPs.map { NftElement(key: "\($0)") }))
        }
        return sets + [
            NftSet(
                name: N.firewallIPs, type: threeTuple, isMap: true,
                comment: "destinations that are subject to LoadBalancerSourceRanges"),
            NftSet(
                name: N.noEndpointNodePorts, type: twoTuple, isMap: true,
                comment: "vmap to drop or reject packets to service nodeports with no endpoints"),
            NftSet(
                name: N.noEndpointServices, type: threeTuple, isMap: true,
                comment: "vmap to drop or reject packets to services with no endpoints"),
            NftSet(
                name: N.serviceIPs, type: threeTuple, isMap: true,
                comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic"),
            NftSet(name: N.serviceNodePorts, type: twoTuple, isMap: true, comment: "NodePort traffic"),
        ]
    }
}
