/// nft scripts for `nft_run_cmd_from_buffer`: each is one transaction, applied whole or not at all.
extension PolicyRuleset {
    /// The whole table from nothing: `add table` (so the delete cannot fail on a first run), `delete table`, then
    /// every set, map, chain, rule and element. Use it at start, after a failed transaction, and whenever a chain
    /// or a rule changes. Established connections are unaffected: their packets match the first rule again.
    public func render() -> String {
        let ref = Self.tableRef
        var out = "add table \(ref)\ndelete table \(ref)\nadd table \(ref)\n"
        for set in sets { out += "add set \(ref) \(set.name) { type \(set.type) ; }\n" }
        out += "add map \(ref) \(Self.egressMap) { type ipv4_addr : verdict ; }\n"
        out += "add map \(ref) \(Self.ingressMap) { type ipv4_addr : verdict ; }\n"
        out += "add chain \(ref) forward { type filter hook forward priority filter ; policy accept ; }\n"
        for chain in chains { out += "add chain \(ref) \(chain.name)\n" }
        for rule in Self.forwardRules { out += "add rule \(ref) forward \(rule)\n" }
        for chain in chains {
            for rule in chain.rules { out += "add rule \(ref) \(chain.name) \(rule)\n" }
        }
        for set in sets { out += Self.elements("add", set.name, set.elements) }
        out += Self.elements("add", Self.egressMap, Self.mapElements(egressPods))
        out += Self.elements("add", Self.ingressMap, Self.mapElements(ingressPods))
        return out
    }

    /// The script that takes the kernel from `old` (what the last successful transaction installed) to `self` by
    /// adding and deleting set and map elements only, or nil when a chain, a rule or a set's existence changed
    /// (then `render()` is the way). A pod whose labels change moves in and out of peer sets this way, without
    /// rewriting any chain. An empty string means nothing to do.
    public func elementUpdate(from old: PolicyRuleset) -> String? {
        guard chains == old.chains,
              sets.map({ [$0.name, $0.type] }) == old.sets.map({ [$0.name, $0.type] })
        else { return nil }
        var out = ""
        for (new, was) in zip(sets, old.sets) where new.elements != was.elements {
            let before = Set(was.elements)
            let after = Set(new.elements)
            out += Self.elements("delete", new.name, was.elements.filter { !after.contains($0) })
            out += Self.elements("add", new.name, new.elements.filter { !before.contains($0) })
        }
        for (map, new, was) in [(Self.egressMap, egressPods, old.egressPods), (Self.ingressMap, ingressPods, old.ingressPods)]
        where new != was {
            let gone = was.filter { new[$0.key] != $0.value }
            out += Self.elements("delete", map, gone.keys.sorted())
            out += Self.elements("add", map, Self.mapElements(new.filter { was[$0.key] != $0.value }))
        }
        return out
    }

    /// `ip : jump chain`, sorted by address.
    static func mapElements(_ map: [String: String]) -> [String] {
        map.map { (IPv4Address($0.key)?.value ?? 0, "\($0.key) : jump \($0.value)") }
            .sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// One `add|delete element` command for all of `elements`, or nothing when there are none.
    static func elements(_ verb: String, _ name: String, _ elements: [String]) -> String {
        elements.isEmpty ? "" : "\(verb) element \(tableRef) \(name) { \(elements.joined(separator: ", ")) }\n"
    }
}
