/// One node's desired nftables state for Services: a table with its chains, sets and maps, as values.
///
/// Built by `KubeProxyRules.desired`; turned into nft scripts by `render()`, `fullSync(replacing:)` and
/// `ProxyRuleset.diff(from:to:)`. Being structured (not text) is what lets a sync rewrite only what changed.
/// Chains and sets keep the order they were built in, which is deterministic, so scripts can be compared as text.
public struct ProxyRuleset: Sendable, Hashable {
    /// The nft address family: `ip` (kube-proxy keeps IPv6 in a separate `ip6` table).
    public var family: String
    /// The table name, `kube-proxy`.
    public var table: String
    public var comment: String?
    /// Base chains first, then the regular chains.
    public var chains: [NftChain]
    /// Sets and maps.
    public var sets: [NftSet]

    public init(
        family: String = "ip", table: String = KubeProxyNames.table, comment: String? = "rules for kube-proxy",
        chains: [NftChain] = [], sets: [NftSet] = []
    ) {
        self.family = family
        self.table = table
        self.comment = comment
        self.chains = chains
        self.sets = sets
    }

    /// The chain called `name`, if any.
    public func chain(_ name: String) -> NftChain? { chains.first { $0.name == name } }
    /// The set or map called `name`, if any.
    public func set(_ name: String) -> NftSet? { sets.first { $0.name == name } }

    /// `ip kube-proxy`: what every nft command names after its verb and object kind.
    var tableRef: String { "\(family) \(table)" }
}

/// A chain: a base chain when `base` is set (attached to a netfilter hook), else a regular chain that rules
/// jump or go to. Rules are nft rule text without the `add rule ip kube-proxy CHAIN` prefix.
public struct NftChain: Sendable, Hashable {
    public var name: String
    public var base: NftBaseChain?
    public var comment: String?
    public var rules: [String]

    public init(name: String, base: NftBaseChain? = nil, comment: String? = nil, rules: [String] = []) {
        self.name = name
        self.base = base
        self.comment = comment
        self.rules = rules
    }

    /// Everything about the chain but its rules: if this differs, the chain must be deleted and created again.
    var definition: String {
        var parts: [String] = []
        if let base { parts.append("type \(base.type) hook \(base.hook) priority \(base.priority) ;") }
        if let comment { parts.append("comment \(NftText.quoted(comment)) ;") }
        return parts.isEmpty ? "" : " { " + parts.joined(separator: " ") + " }"
    }
}

/// Where a base chain hooks in. The priority is a number because nft 1.0.6 rejects the name `dstnat` on the
/// output hook (dataplane-notes gotcha 13): dstnat is -100 and srcnat 100.
public struct NftBaseChain: Sendable, Hashable {
    public var type: String
    public var hook: String
    public var priority: Int

    public init(type: String, hook: String, priority: Int) {
        self.type = type
        self.hook = hook
        self.priority = priority
    }
}

/// A named set (`value` of every element nil) or map (`isMap`, every element has a value, e.g. a verdict).
public struct NftSet: Sendable, Hashable {
    public var name: String
    /// The key type, for a map followed by ` : <value type>`: `ipv4_addr . inet_proto . inet_service : verdict`.
    public var type: String
    public var isMap: Bool
    public var flags: [String]
    /// The element timeout in seconds (affinity sets).
    public var timeout: Int?
    public var comment: String?
    /// Elements sorted by key. Empty for sets the kernel fills itself (`flags dynamic`).
    public var elements: [NftElement]

    public init(
        name: String, type: String, isMap: Bool = false, flags: [String] = [], timeout: Int? = nil,
        comment: String? = nil, elements: [NftElement] = []
    ) {
        self.name = name
        self.type = type
        self.isMap = isMap
        self.flags = flags
        self.timeout = timeout
        self.comment = comment
        self.elements = elements.sorted { $0.key < $1.key }
    }

    /// Whether the kernel adds the elements (`update @set` from a rule): podlab never writes or flushes them, so
    /// ClientIP affinity survives a sync.
    public var isDynamic: Bool { flags.contains("dynamic") }

    /// Everything but the elements, in nft syntax: `{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }`.
    var definition: String {
        var parts = ["type \(type) ;"]
        if !flags.isEmpty { parts.append("flags \(flags.joined(separator: ",")) ;") }
        if let timeout { parts.append("timeout \(timeout)s ;") }
        if let comment { parts.append("comment \(NftText.quoted(comment)) ;") }
        return "{ " + parts.joined(separator: " ") + " }"
    }
}

/// One element of a set or map: `10.96.0.10 . udp . 53` with, in a map, a value such as `goto service-…`.
public struct NftElement: Sendable, Hashable {
    public var key: String
    public var value: String?
    /// Shown by `nft list` (upstream names the Service port on no-endpoint elements).
    public var comment: String?

    public init(key: String, value: String? = nil, comment: String? = nil) {
        self.key = key
        self.value = value
        self.comment = comment
    }

    /// The element as it goes between braces in `add element`.
    var text: String {
        var t = key
        if let comment { t += " comment \(NftText.quoted(comment))" }
        if let value { t += " : \(value)" }
        return t
    }
}

enum NftText {
    /// A double-quoted nft string. Comments here come from object names, which cannot hold quotes; any
    /// quote or backslash is dropped rather than escaped, since nft has no escape syntax for them.
    static func quoted(_ s: String) -> String {
        "\"" + s.filter { $0 != "\"" && $0 != "\\" } + "\""
    }
}
