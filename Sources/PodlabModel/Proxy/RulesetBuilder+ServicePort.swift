/// The chains, sets and map elements of one Service port (the loop body of upstream `syncProxyRules`).
extension RulesetBuilder {
    private typealias N = KubeProxyNames

    mutating func addServicePort(_ svc: ProxyServicePort, endpoints: [ProxyEndpoint]) {
        let eps = EndpointCategories(endpoints, for: svc)
        let proto = svc.name.protocol.nftName
        let base = N.servicePortBase(svc.name)
        let clusterChain = "service-" + base
        let localChain = "local-" + base
        let externalChain = "external-" + base
        let firewallChain = "firewall-" + base
        let comment = svc.name.description
        // Each endpoint's `HASH8-…__IP/PORT` part, hashed once: its chain and affinity set share it.
        var endpointBases: [String: String] = [:]
        for ep in eps.reachable { endpointBases[ep.text] = N.endpointBase(svc.name, ip: ep.ip, port: ep.port) }
        func endpointChain(_ ep: ProxyEndpoint) -> String { "endpoint-" + endpointBases[ep.text, default: ""] }
        func affinitySetName(_ ep: ProxyEndpoint) -> String { "affinity-" + endpointBases[ep.text, default: ""] }
        func key(_ ip: IPv4Address) -> String { "\(ip) . \(proto) . \(svc.port)" }

        let usesClusterChain = !eps.cluster.isEmpty && svc.usesClusterEndpoints
        let usesLocalChain = !eps.local.isEmpty && svc.usesLocalEndpoints
        // ClusterIP traffic goes to the internal policy's chain, NodePort / LoadBalancer / external-IP traffic
        // to the `external-` chain, which handles the special cases and then goes to the external policy's chain.
        let internalChain = svc.internalPolicyLocal ? localChain : clusterChain
        let hasInternalEndpoints = eps.hasAny && !(svc.internalPolicyLocal && eps.local.isEmpty)
        let externalPolicyChain = svc.externalPolicyLocal ? localChain : clusterChain
        let hasExternalEndpoints = eps.hasAny && !(svc.externalPolicyLocal && eps.local.isEmpty)
        // Built from hasAny, not hasExternalEndpoints: with Local policy and no local endpoint, pod and node
        // traffic must still short-circuit to the cluster-wide endpoints.
        let usesExternalChain = eps.hasAny && svc.externallyAccessible
        // No endpoint anywhere: REJECT (the client learns at once). Local policy with none here: DROP, as a
        // load balancer's health check would have taken this node out of rotation.
        let noEndpointVerdict = eps.hasAny ? "drop" : "goto \(N.rejectChain)"

        for ep in eps.reachable { ensureChain(endpointChain(ep)) }
        if usesClusterChain { ensureChain(clusterChain) }
        if usesLocalChain { ensureChain(localChain) }
        if usesExternalChain { ensureChain(externalChain) }

        // MARK: Map elements
        element(N.clusterIPs, key: "\(svc.clusterIP)")
        if hasInternalEndpoints {
            element(N.serviceIPs, key: key(svc.clusterIP), value: "goto \(internalChain)")
        } else {
            element(N.noEndpointServices, key: key(svc.clusterIP), value: noEndpointVerdict, comment: comment)
        }
        for ip in svc.externalIPs {
            if eps.hasAny { element(N.serviceIPs, key: key(ip), value: "goto \(externalChain)") }
            if !hasExternalEndpoints {
                element(N.noEndpointServices, key: key(ip), value: noEndpointVerdict, comment: comment)
            }
        }
        let usesFirewall = !svc.loadBalancerIPs.isEmpty && !svc.loadBalancerSourceRanges.isEmpty
        if usesFirewall { ensureChain(firewallChain) }
        for ip in svc.loadBalancerIPs {
            if eps.hasAny { element(N.serviceIPs, key: key(ip), value: "goto \(externalChain)") }
            if usesFirewall { element(N.firewallIPs, key: key(ip), value: "goto \(firewallChain)") }
            if !hasExternalEndpoints {
                element(N.noEndpointServices, key: key(ip), value: noEndpointVerdict, comment: comment)
            }
        }
        if svc.nodePort != 0 {
            let nodePortKey = "\(proto) . \(svc.nodePort)"
            // NodePorts are not subject to loadBalancerSourceRanges (upstream keeps it so for compatibility).
            if eps.hasAny { element(N.serviceNodePorts, key: nodePortKey, value: "goto \(externalChain)") }
            if !hasExternalEndpoints {
                element(N.noEndpointNodePorts, key: nodePortKey, value: noEndpointVerdict, comment: comment)
            }
        }

        // MARK: Service chains
        if hasInternalEndpoints, let podCIDR = config.clusterCIDR {
            // ClusterIP traffic from outside the pod network (a node, or a route to the Service CIDR from
            // outside) may be sent to another node: masquerade it so the reply comes back this way.
            rule(internalChain, "ip daddr \(svc.clusterIP) ip saddr != \(podCIDR) jump \(N.markForMasquerade)")
        }
        if usesExternalChain {
            if !svc.externalPolicyLocal {
                // Cluster policy: the endpoint may be on another node, so the client address is given up.
                rule(externalChain, "jump \(N.markForMasquerade)")
            } else {
                // Local policy keeps the client address. Pods and the node itself are short-circuited to every
                // endpoint, as if they had gone out to the load balancer and come back.
                if let podCIDR = config.clusterCIDR {
                    rule(
                        externalChain, "ip saddr \(podCIDR) goto \(clusterChain) comment \"short-circuit pod traffic\"")
                }
                rule(
                    externalChain,
                    "fib saddr type local jump \(N.markForMasquerade) comment \"masquerade local traffic\"")
                rule(externalChain, "fib saddr type local goto \(clusterChain) comment \"short-circuit local traffic\"")
            }
            if hasExternalEndpoints { rule(externalChain, "goto \(externalPolicyChain)") }
        }
        if usesFirewall {
            var sources = svc.loadBalancerSourceRanges.map(\.description)
            // A node that owns the LB IP (on its lo) reaches it with the LB IP as source: let it through when
            // the node itself is inside an allowed range.
            let nodeAllowed = svc.loadBalancerSourceRanges.contains { r in config.nodeIPs.contains { r.contains($0) } }
            if nodeAllowed { sources += svc.loadBalancerIPs.map(\.description) }
            rule(firewallChain, "ip saddr != { \(sources.joined(separator: ", ")) } drop")
        }
        if let timeout = svc.affinityTimeout {
            for ep in eps.reachable { affinitySet(affinitySetName(ep), timeout: timeout) }
        }
        let affinity = svc.affinityTimeout != nil
        if usesClusterChain {
            writeEndpointChoice(chain: clusterChain, endpoints: eps.cluster, affinity: affinity, bases: endpointBases)
        }
        if usesLocalChain {
            writeEndpointChoice(chain: localChain, endpoints: eps.local, affinity: affinity, bases: endpointBases)
        }

        // MARK: Endpoint chains
        for ep in eps.reachable {
            let chain = endpointChain(ep)
            // Hairpin: a pod reaching itself through the Service must see the reply come from the Service,
            // so masquerade it (to the node's address on the pod's bridge).
            rule(chain, "ip saddr \(ep.ip) jump \(N.markForMasquerade)")
            if svc.affinityTimeout != nil { rule(chain, "update @\(affinitySetName(ep)) { ip saddr }") }
            // The counter is podlab's addition (upstream has none): `podlab explain` reads it to show where packets went.
            rule(chain, "meta l4proto \(proto) counter dnat to \(ep.text)")
        }
    }

    /// Affinity first (a known client goes back to its endpoint), then one random pick. `bases` holds each
    /// endpoint's hashed name part, by `ProxyEndpoint.text`.
    private mutating func writeEndpointChoice(
        chain: String, endpoints: [ProxyEndpoint], affinity: Bool, bases: [String: String]
    ) {
        let names = endpoints.map { bases[$0.text, default: ""] }
        if affinity {
            for base in names { rule(chain, "ip saddr @affinity-\(base) goto endpoint-\(base)") }
        }
        for r in KubeProxyRules.endpointChoiceRules(names.map { "endpoint-" + $0 }) { rule(chain, r) }
    }
}

extension KubeProxyRules {
    /// Rules that pick one of `targets` uniformly at random, one rule per target:
    ///
    ///     numgen random mod 3 == 0 goto A
    ///     numgen random mod 2 == 0 goto B
    ///     goto C
    ///
    /// Rule i (counting from 0) draws a fresh number and matches with probability 1/(N-i). It is reached only if
    /// rules 0..<i all missed, which happens with probability (N-1)/N · (N-2)/(N-1) · … · (N-i)/(N-i+1) = (N-i)/N
    /// (the product telescopes). So target i is chosen with probability (N-i)/N · 1/(N-i) = 1/N, for every i,
    /// the last (unconditional) rule included. upstream writes one `numgen random mod N vmap { 0 : goto A, … }`
    /// instead, which gives the same distribution, but each such rule carries an anonymous set and those made a
    /// 5,000-Service load take 21 s of kernel time against 2 s for this shape (dataplane-notes).
    public static func endpointChoiceRules(_ targets: [String]) -> [String] {
        targets.enumerated().map { i, target in
            let remaining = targets.count - i
            return remaining == 1 ? "goto \(target)" : "numgen random mod \(remaining) == 0 goto \(target)"
        }
    }
}
