/// Full-sync scripts: one nft transaction each, for `nft_run_cmd_from_buffer`.
extension ProxyRuleset {
    /// The whole table from nothing: `add table` (so the delete cannot fail on a first run), `delete table`, then
    /// every set, chain, rule and element. The kernel applies all of it or none.
    ///
    /// Use it when the kernel's state is unknown: at daemon start, or after a failed transaction. Deleting the
    /// table is the only way to be sure nothing stale is left (a chain from a crashed podlab that no ruleset
    /// remembers). Its cost: ClientIP affinity entries are forgotten, so a sticky client may land on another
    /// endpoint once. Established connections are unaffected (their NAT lives in conntrack) and there is no gap,
    /// since the swap is atomic. When the previous ruleset is known, `fullSync(replacing:)` keeps affinity.
    public func render() -> String {
        var s = NftScript(self)
        s.line("add table \(tableRef)")
        s.line("delete table \(tableRef)")
        s.addTable()
        for set in sets { s.addSet(set) }
        for chain in chains { s.addChain(chain) }
        for chain in chains { s.addRules(chain) }
        for set in sets { s.addElements(set.elements, to: set) }
        return s.text
    }

    /// A full rewrite in place over `old`, the ruleset the last successful transaction installed: every chain is
    /// created if missing and flushed, every set and map but the affinity sets is flushed, and all of `self` is
    /// written again; what `old` had and `self` lacks is deleted. Affinity sets are created if missing but never
    /// flushed, so stickiness survives. With `old` nil this is `render()`.
    ///
    /// Anything in the kernel that neither ruleset names stays; use `render()` when that may be the case.
    /// `deferChainDeletion` works as in `diff(from:to:deferChainDeletion:)`.
    public func fullSync(replacing old: ProxyRuleset?, deferChainDeletion: Bool = false) -> String {
        guard let old else { return render() }
        return SyncPlan(old: old, new: self, full: true, deferChainDeletion: deferChainDeletion).script()
    }

    /// `delete chain` for each of `names` that this ruleset does not use (again): the second step of a sync
    /// that deferred chain deletion. Run it in a later transaction, at least a second after the one that stopped
    /// referencing them.
    public func deleteStaleChains(_ names: [String]) -> String {
        var s = NftScript(self)
        let inUse = Set(chains.map(\.name))
        for name in names.sorted() where !inUse.contains(name) { s.line("delete chain \(tableRef) \(name)") }
        return s.text
    }
}

/// Builds nft command text for one table.
struct NftScript {
    let ruleset: ProxyRuleset
    private(set) var text = ""

    init(_ ruleset: ProxyRuleset) { self.ruleset = ruleset }

    private var ref: String { ruleset.tableRef }

    mutating func line(_ l: String) { text += l + "\n" }

    mutating func addTable() {
        line("add table \(ref)" + (ruleset.comment.map { " { comment \(NftText.quoted($0)) ; }" } ?? ""))
    }

    mutating func addChain(_ c: NftChain) { line("add chain \(ref) \(c.name)\(c.definition)") }
    mutating func flushChain(_ name: String) { line("flush chain \(ref) \(name)") }
    mutating func deleteChain(_ name: String) { line("delete chain \(ref) \(name)") }
    mutating func addRules(_ c: NftChain) { for r in c.rules { line("add rule \(ref) \(c.name) \(r)") } }

    mutating func addSet(_ s: NftSet) { line("add \(kind(s)) \(ref) \(s.name) \(s.definition)") }
    mutating func flushSet(_ s: NftSet) { line("flush \(kind(s)) \(ref) \(s.name)") }
    mutating func deleteSet(_ s: NftSet) { line("delete \(kind(s)) \(ref) \(s.name)") }

    mutating func addElements(_ elements: [NftElement], to s: NftSet) {
        for e in elements { line("add element \(ref) \(s.name) { \(e.text) }") }
    }
    mutating func deleteElements(_ elements: [NftElement], from s: NftSet) {
        for e in elements { line("delete element \(ref) \(s.name) { \(e.key) }") }
    }

    private func kind(_ s: NftSet) -> String { s.isMap ? "map" : "set" }
}
