/// Incremental sync: the nft transaction that turns one ruleset into the next.
extension ProxyRuleset {
    /// The commands that turn `old` (what the kernel has) into `new`, in one transaction: chains whose rules
    /// changed are flushed and rewritten, new chains are added, gone chains and sets deleted, and map and set
    /// elements added or removed one by one. A chain or set that did not change is not mentioned, so a change to
    /// one Service or EndpointSlice touches only that Service's chains and elements. `diff(old, old)` is "".
    ///
    /// On kernels before 6.2 a chain cannot be deleted in the transaction that deletes the map element pointing
    /// at it (the kernel learns only later that it is unreferenced), which is why kube-proxy deletes stale chains
    /// a second later. Debian 12's stock kernel is 6.1: pass `deferChainDeletion: true` there, and later run
    /// `new.deleteStaleChains(ProxyRuleset.removedChains(from: old, to: new))`. Gone chains are then only flushed.
    public static func diff(from old: ProxyRuleset, to new: ProxyRuleset, deferChainDeletion: Bool = false) -> String {
        SyncPlan(old: old, new: new, full: false, deferChainDeletion: deferChainDeletion).script()
    }

    /// Names of the chains `old` has and `new` does not, sorted.
    public static func removedChains(from old: ProxyRuleset, to new: ProxyRuleset) -> [String] {
        let kept = Set(new.chains.map(\.name))
        return old.chains.map(\.name).filter { !kept.contains($0) }.sorted()
    }
}

/// What changes between two rulesets, and the order nft needs to apply it in.
///
/// The order satisfies the kernel's reference counting inside one transaction:
/// 1. new chains are added before any rule or element can point at them;
/// 2. changed, gone and redefined chains are flushed, so their rules stop pointing at chains and sets;
/// 3. elements are deleted (removed, changed, or pointing at a redefined chain), so maps stop pointing at chains;
/// 4. gone and redefined sets are deleted (nothing refers to them after 2), then redefined chains;
/// 5. sets are added, redefined chains added again, rules written, elements added;
/// 6. gone chains are deleted last, when no rule and no element refers to them any more.
/// "Redefined" means the same name with other properties (a base chain's priority, a set's timeout): nft cannot
/// change those in place. Any unchanged chain whose rules refer to a deleted set or chain is rewritten too.
struct SyncPlan {
    let old: ProxyRuleset
    let new: ProxyRuleset
    /// Rewrite every chain and every non-dynamic set, rather than only what differs.
    let full: Bool
    let deferChainDeletion: Bool

    func script() -> String {
        let oldChains = Dictionary(old.chains.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newChains = Dictionary(new.chains.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let oldSets = Dictionary(old.sets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newSets = Dictionary(new.sets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        let goneChains = old.chains.filter { newChains[$0.name] == nil }
        let redefinedChains = Set(
            new.chains.filter { c in oldChains[c.name].map { $0.definition != c.definition } ?? false }.map(\.name))
        let goneSets = old.sets.filter { newSets[$0.name] == nil }
        let redefinedSets = new.sets.filter { s in oldSets[s.name].map { !sameDefinition($0, s) } ?? false }
        let redefinedSetNames = Set(redefinedSets.map(\.name))

        // Chains to flush and rewrite: changed rules, redefined, or rules naming something being deleted.
        let deletedNames = Set(goneSets.map(\.name)).union(redefinedSetNames).union(redefinedChains)
        var rewrite = Set<String>()
        for c in new.chains {
            guard let before = oldChains[c.name] else { continue }
            if full || before.rules != c.rules || redefinedChains.contains(c.name)
                || references(before.rules, anyOf: deletedNames)
            {
                rewrite.insert(c.name)
            }
        }

        var s = NftScript(new)
        if full { s.addTable() }
        // 1. Brand-new chains (in full mode, every chain: `add` is a no-op for one that exists).
        for c in new.chains where oldChains[c.name] == nil || (full && !redefinedChains.contains(c.name)) {
            s.addChain(c)
        }
        // 2. Flushes.
        for c in new.chains where rewrite.contains(c.name) { s.flushChain(c.name) }
        for c in goneChains { s.flushChain(c.name) }
        // 3. Elements that go (in full mode: flush whole sets instead, re-creating any that went missing).
        for set in new.sets {
            guard let before = oldSets[set.name], !redefinedSetNames.contains(set.name) else { continue }
            if full {
                s.addSet(set)
                if !set.isDynamic { s.flushSet(set) }
            } else if !set.isDynamic {
                let wanted = Set(set.elements)
                let pointsAtRedefined = { (e: NftElement) in references([e.value ?? ""], anyOf: redefinedChains) }
                s.deleteElements(before.elements.filter { !wanted.contains($0) || pointsAtRedefined($0) }, from: set)
            }
        }
        // 4. Deletions of sets, then of chains that change their definition.
        for set in goneSets { s.deleteSet(set) }
        for set in redefinedSets { if let before = oldSets[set.name] { s.deleteSet(before) } }
        for c in new.chains where redefinedChains.contains(c.name) { s.deleteChain(c.name) }
        // 5. Additions.
        for set in new.sets where oldSets[set.name] == nil || redefinedSetNames.contains(set.name) { s.addSet(set) }
        for c in new.chains where redefinedChains.contains(c.name) { s.addChain(c) }
        for c in new.chains where oldChains[c.name] == nil || rewrite.contains(c.name) { s.addRules(c) }
        for set in new.sets where !set.isDynamic {
            let before = oldSets[set.name]
            if full || before == nil || redefinedSetNames.contains(set.name) {
                s.addElements(set.elements, to: set)
            } else if let before {
                let had = Set(before.elements)
                let repoint = { (e: NftElement) in references([e.value ?? ""], anyOf: redefinedChains) }
                s.addElements(set.elements.filter { !had.contains($0) || repoint($0) }, to: set)
            }
        }
        // 6. Gone chains, now unreferenced.
        if !deferChainDeletion { for c in goneChains { s.deleteChain(c.name) } }
        return s.text
    }

    private func sameDefinition(_ a: NftSet, _ b: NftSet) -> Bool { a.definition == b.definition && a.isMap == b.isMap }

    /// Whether any of `texts` names one of `names` as a whole word (`goto X`, `@X`).
    private func references(_ texts: [String], anyOf names: Set<String>) -> Bool {
        guard !names.isEmpty else { return false }
        return texts.contains { text in
            text.split(separator: " ").contains { word in
                names.contains(String(word.hasPrefix("@") ? word.dropFirst() : word))
            }
        }
    }
}
