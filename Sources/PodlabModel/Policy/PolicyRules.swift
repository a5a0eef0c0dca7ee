/// Computes a node's `PolicyRuleset` from a `PolicyModel`: a chain per local pod isolated in a direction,
/// a named set per distinct pods peer. Pure.
public enum PolicyRules {
    /// The ruleset for `node`: ingress chains for its pods that policies isolate for ingress, egress chains for
    /// those isolated for egress; pods without an address yet get nothing (no packet can carry it).
    public static func desired(_ model: PolicyModel, node: String) -> PolicyRuleset {
        var builder = Builder(model: model)
        var chains: [PolicyRuleset.Chain] = []
        var ingress: [String: String] = [:]
        var egress: [String: String] = [:]
        for pod in model.pods where pod.node == node {
            guard let ip = pod.ip else { continue }
            for isEgress in [true, false] {
                let policies = model.isolating(pod, egress: isEgress)
                if policies.isEmpty { continue }
                let name = chainName(pod, egress: isEgress)
                chains.append(PolicyRuleset.Chain(name: name, rules: builder.rules(for: pod, ip: ip, policies, egress: isEgress)))
                if isEgress { egress[ip.description] = name } else { ingress[ip.description] = name }
            }
        }
        return PolicyRuleset(
            node: node, sets: builder.sets.values.sorted { $0.name < $1.name }, ingressPods: ingress,
            egressPods: egress, chains: chains)
    }

    /// `ingress-<ns>/<pod>` or `egress-<ns>/<pod>`.
    public static func chainName(_ pod: PolicyPod, egress: Bool) -> String {
        (egress ? "egress-" : "ingress-") + pod.key
    }

    /// `pods-HASH8` / `ports-HASH8`: the first 8 base32 characters of sha256 of the set's meaning.
    static func setName(_ prefix: String, _ meaning: String) -> String {
        prefix + "-" + Base32.encode(SHA256.digest(Array(meaning.utf8))).prefix(8).lowercased()
    }

    struct Builder {
        let model: PolicyModel
        var sets: [String: PolicyRuleset.NamedSet] = [:]
        /// Set names by meaning: the hash is computed once per distinct peer, not once per rule using it.
        var names: [String: String] = [:]

        /// The set for `meaning`, made with `elements()` the first time it is asked for.
        mutating func set(_ prefix: String, _ meaning: String, type: String, _ elements: () -> [String]) -> String {
            if let name = names[meaning] { return name }
            let name = PolicyRules.setName(prefix, meaning)
            names[meaning] = name
            sets[name] = PolicyRuleset.NamedSet(name: name, type: type, comment: meaning, elements: elements())
            return name
        }

        /// The rules of one pod's chain: its own traffic first (a pod reaching itself through a Service), then
        /// one `return` per peer and port of every rule of every isolating policy, then the drop.
        mutating func rules(for pod: PolicyPod, ip: IPv4Address, _ policies: [CompiledPolicy], egress: Bool) -> [String] {
            let peerField = egress ? "ip daddr" : "ip saddr"
            var out = ["\(peerField) \(ip) return"]
            for policy in policies {
                let comment = "comment \"\(policy.key)\""
                for rule in (egress ? policy.egress : policy.ingress) ?? [] {
                    let peers: [CompiledPolicy.Peer?] = rule.peers ?? [nil]
                    let ports: [CompiledPolicy.Port?] = rule.ports.isEmpty ? [nil] : rule.ports
                    for peer in peers {
                        for port in ports {
                            if case .named(let portName)? = port?.match, let port {
                                if egress {
                                    // The number differs per destination pod: one set of (pod, proto, port).
                                    let set = namedPortSet(peer: peer, policy: policy, name: portName, protocol: port.protocol)
                                    out.append("ip daddr . meta l4proto . th dport @\(set) counter return \(comment)")
                                    continue
                                }
                                // Ingress: the destination is this pod, so the name resolves here or nowhere.
                                guard let n = pod.port(named: portName, protocol: port.protocol) else { continue }
                                let match = [peerMatch(peer, field: peerField, policy: policy), portMatch(port.protocol, n, n)]
                                out.append((match.filter { !$0.isEmpty } + ["counter return \(comment)"]).joined(separator: " "))
                                continue
                            }
                            var match = [peerMatch(peer, field: peerField, policy: policy)]
                            if let port {
                                switch port.match {
                                case .all: match.append("meta l4proto \(port.protocol.lowercased())")
                                case .range(let lo, let hi): match.append(portMatch(port.protocol, lo, hi))
                                case .named: break
                                }
                            }
                            out.append((match.filter { !$0.isEmpty } + ["counter return \(comment)"]).joined(separator: " "))
                        }
                    }
                }
            }
            out.append("counter drop comment \"no policy allows it\"")
            return out
        }

        func portMatch(_ proto: String, _ lo: Int, _ hi: Int) -> String {
            "meta l4proto \(proto.lowercased()) th dport " + (lo == hi ? "\(lo)" : "\(lo)-\(hi)")
        }

        /// The peer's address match: nothing for any peer, a named set for pods, the CIDR minus its exceptions.
        mutating func peerMatch(_ peer: CompiledPolicy.Peer?, field: String, policy: CompiledPolicy) -> String {
            switch peer {
            case nil: return ""
            case .ipBlock(let cidr, let except)?:
                return "\(field) \(cidr)"
                    + (except.isEmpty ? "" : " \(field) != { \(except.map(\.description).joined(separator: ", ")) }")
            case .pods(let nsSel, let podSel)?:
                let model = self.model
                let name = set("pods", Self.meaning(nsSel, podSel, policy: policy), type: "ipv4_addr") {
                    model.members(namespaces: nsSel, pods: podSel, policyNamespace: policy.namespace)
                        .compactMap(\.ip).sorted().map(\.description)
                }
                return "\(field) @\(name)"
            }
        }

        /// `pods {pod=a} in namespace x` / `pods {} in namespaces {team=y}`.
        static func meaning(_ nsSel: LabelSelectorQuery?, _ podSel: LabelSelectorQuery, policy: CompiledPolicy) -> String {
            "pods {\(podSel)} in " + (nsSel.map { "namespaces {\($0)}" } ?? "namespace \(policy.namespace)")
        }

        /// A set of `ip . proto . port` for every pod the peer covers that has container port `name`.
        mutating func namedPortSet(peer: CompiledPolicy.Peer?, policy: CompiledPolicy, name: String, protocol proto: String)
            -> String
        {
            let peerText: String
            let candidates: [PolicyPod]
            switch peer {
            case nil:
                peerText = "any pod"
                candidates = model.pods
            case .pods(let nsSel, let podSel)?:
                peerText = Self.meaning(nsSel, podSel, policy: policy)
                candidates = model.members(namespaces: nsSel, pods: podSel, policyNamespace: policy.namespace)
            case .ipBlock(let cidr, let except)?:
                peerText = "pods in \(cidr) except \(except.map(\.description))"
                candidates = model.pods.filter { p in
                    guard let ip = p.ip else { return false }
                    return cidr.contains(ip) && !except.contains { $0.contains(ip) }
                }
            }
            let setName = set("ports", "\(peerText) port \(name)/\(proto)", type: "ipv4_addr . inet_proto . inet_service") {
                candidates.compactMap { p -> String? in
                    guard let ip = p.ip, let n = p.port(named: name, protocol: proto) else { return nil }
                    return "\(ip) . \(proto.lowercased()) . \(n)"
                }.sorted()
            }
            return setName
        }
    }
}
