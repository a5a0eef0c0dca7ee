/// Collects chains, rules and elements while `KubeProxyRules.desired` walks the Services, then puts them in a
/// deterministic order: the fixed chains and sets first, then per-Service ones sorted by name.
struct RulesetBuilder {
    let config: KubeProxyConfig
    private var fixedChains: [NftChain]
    private var fixedSets: [NftSet]
    private var serviceChains: [String: NftChain] = [:]
    private var affinitySets: [String: NftSet] = [:]
    /// Elements by set name, then by key. The first Service (in namespace/name order) to claim a key keeps
    /// it, so two Services sharing an external IP and port give a stable result instead of a failed load.
    private var elements: [String: [String: NftElement]] = [:]

    init(config: KubeProxyConfig) {
        self.config = config
        fixedChains = KubeProxyRules.fixedChains(config)
        fixedSets = KubeProxyRules.fixedSets(config)
    }

    /// Makes sure the per-Service chain `name` exists, even if it ends up with no rules.
    mutating func ensureChain(_ name: String) {
        if serviceChains[name] == nil { serviceChains[name] = NftChain(name: name) }
    }

    /// Appends `rule` to the per-Service chain `chain`, creating it if needed.
    mutating func rule(_ chain: String, _ rule: String) {
        ensureChain(chain)
        serviceChains[chain]?.rules.append(rule)
    }

    mutating func element(_ set: String, key: String, value: String? = nil, comment: String? = nil) {
        if elements[set]?[key] == nil {
            elements[set, default: [:]][key] = NftElement(key: key, value: value, comment: comment)
        }
    }

    /// A ClientIP affinity set: the kernel adds each client's address (`update @set { ip saddr }`) and forgets it
    /// `timeout` seconds after its last packet. `dynamic` is set too, as upstream does, because some kernels add
    /// it on their own and a later `add set` without it would then fail as a redefinition.
    mutating func affinitySet(_ name: String, timeout: Int) {
        affinitySets[name] = NftSet(name: name, type: "ipv4_addr", flags: ["dynamic", "timeout"], timeout: timeout)
    }

    /// What the Services added so far contributed, without the fixed part: the piece `ProxyRulesTracker` keeps
    /// per Service. Elements stay keyed, so two Services claiming one key can be settled when they are merged.
    func fragment() -> ProxyServiceFragment {
        ProxyServiceFragment(
            chains: serviceChains.values.sorted { $0.name < $1.name },
            affinitySets: affinitySets.values.sorted { $0.name < $1.name },
            elements: elements)
    }

    func ruleset() -> ProxyRuleset {
        let sets = fixedSets.map { set in
            var s = set
            let added = elements[s.name].map { Array($0.values) } ?? []
            s.elements = (s.elements + added).sorted { $0.key < $1.key }
            return s
        }
        return ProxyRuleset(
            chains: fixedChains + serviceChains.values.sorted { $0.name < $1.name },
            sets: sets + affinitySets.values.sorted { $0.name < $1.name })
    }
}
