/// What `podlab explain netpol/NAME` prints: whom a policy isolates and which pods and addresses it admits.
extension PolicyModel {
    /// Lines describing `policy` over the current pods and namespaces: the pods it selects, then per direction
    /// each rule's peers (pods resolved to `ns/name (ip)`, ipBlocks as CIDRs) and ports (named ports resolved on
    /// the pods that have them).
    public func describe(_ policy: CompiledPolicy) -> [String] {
        let selected = pods.filter { selects(policy, $0) }
        var out = ["NetworkPolicy \(policy.key)"]
        out.append("  selects \(selected.count) pod(s) in \(policy.namespace) with {\(policy.podSelector)}: "
            + (selected.isEmpty ? "none" : selected.map { "\($0.name) (\($0.ip?.description ?? "no IP"))" }.joined(separator: ", ")))
        for (direction, rules, word) in [("ingress", policy.ingress, "from"), ("egress", policy.egress, "to")] {
            guard let rules else {
                out.append("  \(direction): not affected (policyTypes)")
                continue
            }
            if rules.isEmpty {
                out.append("  \(direction): isolated, nothing allowed (every new connection is dropped)")
                continue
            }
            out.append("  \(direction): isolated; allowed:")
            for (i, rule) in rules.enumerated() {
                let ports = rule.ports.isEmpty ? "any port" : rule.ports.map(Self.portText).joined(separator: ", ")
                out.append("    rule \(i): \(word) " + (rule.peers == nil ? "anywhere" : "these peers") + " on \(ports)")
                for peer in rule.peers ?? [] {
                    switch peer {
                    case .ipBlock(let cidr, let except):
                        out.append("      ipBlock \(cidr)" + (except.isEmpty ? "" : " except \(except.map(\.description).joined(separator: ", "))"))
                    case .pods(let nsSel, let podSel):
                        let members = self.members(namespaces: nsSel, pods: podSel, policyNamespace: policy.namespace)
                        out.append("      " + PolicyRules.Builder.meaning(nsSel, podSel, policy: policy) + ": "
                            + (members.isEmpty ? "no pods now"
                                : members.map { "\($0.key) (\($0.ip?.description ?? "-"))" }.joined(separator: ", ")))
                    }
                }
            }
        }
        return out
    }

    static func portText(_ p: CompiledPolicy.Port) -> String {
        switch p.match {
        case .all: return "all \(p.protocol)"
        case .range(let lo, let hi): return lo == hi ? "\(lo)/\(p.protocol)" : "\(lo)-\(hi)/\(p.protocol)"
        case .named(let n): return "\(n)/\(p.protocol) (named)"
        }
    }
}
