/// The chains, affinity sets and map elements one Service contributes to a node's ruleset.
public struct ProxyServiceFragment: Sendable, Hashable {
    var chains: [NftChain]
    var affinitySets: [NftSet]
    /// Set name, then element key. Within one Service the first claim of a key already won.
    var elements: [String: [String: NftElement]]

    static let empty = ProxyServiceFragment(chains: [], affinitySets: [], elements: [:])
}

/// `KubeProxyRules.desired` kept up to date one Service at a time, for one node.
///
/// A full recomputation decodes every Service and EndpointSlice and rebuilds every chain: at 5,000 Services that
/// is most of a second, for a change that touches one Service. The tracker remembers, per Service, the versions of
/// the objects it was built from and the fragment they produced; `update` rebuilds only the Services whose
/// Service or EndpointSlices changed, and writes the nft commands for just those fragments. `ruleset()` assembles
/// the same ruleset `KubeProxyRules.desired` computes from the same objects (a test holds the two equal).
///
/// Two Services may claim one map key (the same external IP and port); as in a full computation the first in
/// namespace/name order keeps it, and when it lets go the next one's element is written.
public struct ProxyRulesTracker: Sendable {
    public let config: KubeProxyConfig
    private let fixedChains: [NftChain]
    private let fixedSets: [NftSet]
    private var versions: [ServiceKey: Fingerprint] = [:]
    private var fragments: [ServiceKey: ProxyServiceFragment] = [:]
    /// For every claimed element (set name, key): the Services that claim it. The smallest wins.
    private var claims: [ElementKey: Set<ServiceKey>] = [:]
    /// Which Service owns each per-Service chain.
    private var chainOwners: [String: ServiceKey] = [:]

    public init(config: KubeProxyConfig) {
        self.config = config
        fixedChains = KubeProxyRules.fixedChains(config)
        fixedSets = KubeProxyRules.fixedSets(config)
    }

    /// What one `update` changed.
    public struct Update: Sendable {
        /// nft commands turning the previous ruleset into the new one (empty when nothing changed), with chains
        /// that are no longer used only flushed: delete them later with `deleteChainsScript`.
        public var script: String
        /// Chains the previous ruleset had and the new one does not.
        public var removedChains: [String]
        /// How many Services were rebuilt.
        public var rebuilt: Int
    }

    /// Brings the tracker to `services` and `endpointSlices` (as the store holds them) and returns the partial
    /// sync from the previous state. The first call's script adds everything to an empty table's per-Service
    /// part; callers that do not know the kernel's state use `ruleset().render()` instead.
    public mutating func update(services: [JSONValue], endpointSlices: [JSONValue]) -> Update {
        let slicesByService = KubeProxyRules.slicesByService(endpointSlices, owner: { KubeProxyRules.owner(ofSlice: $0) })
        var seen = Set<ServiceKey>()
        var changed: [ServiceKey: ProxyServiceFragment] = [:]
        for service in services {
            guard let name = service["metadata"]["name"].string else { continue }
            let key = ServiceKey(service["metadata"]["namespace"].string ?? "default", name)
            guard seen.insert(key).inserted else { continue }
            let slices = slicesByService["\(key.namespace)/\(key.name)"] ?? []
            let print = Fingerprint(service: service, slices: slices)
            if versions[key] == print { continue }
            versions[key] = print
            changed[key] = Self.fragment(service: service, slices: slices, config: config)
        }
        for key in versions.keys where !seen.contains(key) {
            versions[key] = nil
            changed[key] = .empty
        }
        return apply(changed)
    }

    /// The whole ruleset, as `KubeProxyRules.desired` would compute it from the objects last given to `update`.
    public func ruleset() -> ProxyRuleset {
        var chains = fixedChains
        var affinity: [NftSet] = []
        for key in fragments.keys.sorted() {
            chains += fragments[key]!.chains
            affinity += fragments[key]!.affinitySets
        }
        let fixedPrefix = fixedChains.count
        chains[fixedPrefix...].sort { $0.name < $1.name }
        var bySet: [String: [NftElement]] = [:]
        for (element, owners) in claims {
            guard let winner = owners.min(), let e = fragments[winner]?.elements[element.set]?[element.key] else {
                continue
            }
            bySet[element.set, default: []].append(e)
        }
        let sets = fixedSets.map { set in
            var s = set
            s.elements = (s.elements + (bySet[s.name] ?? [])).sorted { $0.key < $1.key }
            return s
        }
        return ProxyRuleset(chains: chains, sets: sets + affinity.sorted { $0.name < $1.name })
    }

    /// Whether the current ruleset has a chain called `name`.
    public func hasChain(_ name: String) -> Bool {
        chainOwners[name] != nil || fixedChains.contains { $0.name == name }
    }

    /// `delete chain` for each of `names` the current ruleset does not use (again).
    public func deleteChainsScript(_ names: [String]) -> String {
        let ref = ProxyRuleset().tableRef
        return names.sorted().filter { !hasChain($0) }.map { "delete chain \(ref) \($0)\n" }.joined()
    }

    // MARK: - Internals

    private static func fragment(service: JSONValue, slices: [JSONValue], config: KubeProxyConfig)
        -> ProxyServiceFragment
    {
        guard let svc = try? service.decode(as: Service.self) else { return .empty }
        let typed = slices.compactMap { try? $0.decode(as: EndpointSlice.self) }
        let ports = ProxyServicePort.ports(of: svc)
        guard let first = ports.first else { return .empty }
        let endpoints = ProxyEndpoint.byServicePort(
            namespace: first.name.namespace, service: first.name.name, slices: typed, nodeName: config.nodeName)
        var builder = RulesetBuilder(config: config)
        for port in ports { builder.addServicePort(port, endpoints: endpoints[port.name] ?? []) }
        return builder.fragment()
    }

    /// Replaces the fragments of `changed` and writes the commands for exactly what that changes.
    private mutating func apply(_ changed: [ServiceKey: ProxyServiceFragment]) -> Update {
        guard !changed.isEmpty else { return Update(script: "", removedChains: [], rebuilt: 0) }
        // Every element key any changed Service claims, before or after: its winner may change.
        var touched = Set<ElementKey>()
        for (key, new) in changed {
            for fragment in [fragments[key] ?? .empty, new] {
                for (set, elements) in fragment.elements {
                    for k in elements.keys { touched.insert(ElementKey(set: set, key: k)) }
                }
            }
        }
        let before = winners(of: touched)
        var oldChains: [NftChain] = []
        var newChains: [NftChain] = []
        var oldAffinity: [NftSet] = []
        var newAffinity: [NftSet] = []
        for (key, new) in changed.sorted(by: { $0.key < $1.key }) {
            let old = fragments[key] ?? .empty
            oldChains += old.chains
            newChains += new.chains
            oldAffinity += old.affinitySets
            newAffinity += new.affinitySets
            for (set, elements) in old.elements {
                for k in elements.keys { claims[ElementKey(set: set, key: k)]?.remove(key) }
            }
            for (set, elements) in new.elements {
                for k in elements.keys { claims[ElementKey(set: set, key: k), default: []].insert(key) }
            }
            for c in old.chains where chainOwners[c.name] == key { chainOwners[c.name] = nil }
            for c in new.chains { chainOwners[c.name] = key }
            fragments[key] = new.chains.isEmpty && new.elements.isEmpty && new.affinitySets.isEmpty ? nil : new
        }
        for element in touched where claims[element]?.isEmpty == true { claims[element] = nil }
        let after = winners(of: touched)

        let oldPart = partialRuleset(chains: oldChains, affinity: oldAffinity, elements: before)
        let newPart = partialRuleset(chains: newChains, affinity: newAffinity, elements: after)
        return Update(
            script: ProxyRuleset.diff(from: oldPart, to: newPart, deferChainDeletion: true),
            removedChains: ProxyRuleset.removedChains(from: oldPart, to: newPart), rebuilt: changed.count)
    }

    /// The element each of `keys` resolves to now (absent when nobody claims it).
    private func winners(of keys: Set<ElementKey>) -> [ElementKey: NftElement] {
        var out: [ElementKey: NftElement] = [:]
        for key in keys {
            if let winner = claims[key]?.min(), let e = fragments[winner]?.elements[key.set]?[key.key] {
                out[key] = e
            }
        }
        return out
    }

    /// A ruleset holding only the given chains and elements, with the fixed sets' definitions so that a diff
    /// between two of them adds and deletes elements in the right sets and never touches anything else.
    private func partialRuleset(chains: [NftChain], affinity: [NftSet], elements: [ElementKey: NftElement])
        -> ProxyRuleset
    {
        var bySet: [String: [NftElement]] = [:]
        for (key, e) in elements { bySet[key.set, default: []].append(e) }
        let sets = fixedSets.map { set in
            var s = set
            s.elements = (bySet[s.name] ?? []).sorted { $0.key < $1.key }
            return s
        }
        return ProxyRuleset(chains: chains, sets: sets + affinity)
    }

    struct ServiceKey: Hashable, Comparable, Sendable {
        var namespace: String
        var name: String
        init(_ namespace: String, _ name: String) {
            self.namespace = namespace
            self.name = name
        }
        static func < (a: ServiceKey, b: ServiceKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
    }

    struct ElementKey: Hashable, Sendable {
        var set: String
        var key: String
    }

    /// What a Service's fragment was built from: resourceVersions when the objects have them (the store always
    /// sets one), else the objects themselves.
    struct Fingerprint: Equatable, Sendable {
        var versions: [String]?
        var objects: [JSONValue]?

        init(service: JSONValue, slices: [JSONValue]) {
            let all = [service] + slices.sorted {
                ($0["metadata"]["name"].string ?? "") < ($1["metadata"]["name"].string ?? "")
            }
            let rvs = all.compactMap { $0["metadata"]["resourceVersion"].string }
            if rvs.count == all.count {
                versions = zip(all, rvs).map { "\($0["metadata"]["name"].string ?? "")@\($1)" }
            } else {
                objects = all
            }
        }
    }
}
