/// The cluster as NetworkPolicy sees it, and the semantics of networking.k8s.io/v1 over it, as pure functions.
///
/// A pod is isolated for ingress (egress) when some policy of its namespace selects it with that policyType;
/// then a connection is allowed in that direction only when a rule of one of those policies allows it (the
/// allows of all policies add up; nothing ever denies). A connection needs both: the egress side of its
/// source pod and the ingress side of its destination pod. Replies to an allowed connection are always allowed
/// (conntrack), and so is what a pod sends to itself.
public struct PolicyModel: Sendable {
    public private(set) var pods: [PolicyPod]
    public private(set) var namespaces: [String: PolicyNamespace]
    public private(set) var policies: [CompiledPolicy]
    /// Policies that did not compile, with why: they are left out (and `podlab explain` shows the error).
    public private(set) var errors: [PolicyError]
    /// Indexes, so that a sync of many pods and policies does not match every selector against every pod.
    private var podsByNamespace: [String: [PolicyPod]] = [:]
    private var policiesByNamespace: [String: [CompiledPolicy]] = [:]

    public init(pods: [PolicyPod], namespaces: [PolicyNamespace], policies: [CompiledPolicy], errors: [PolicyError] = []) {
        self.pods = pods.filter { !$0.hostNetwork }.sorted { $0.key < $1.key }
        self.namespaces = Dictionary(namespaces.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.policies = policies.sorted { $0.key < $1.key }
        self.errors = errors
        for pod in self.pods { podsByNamespace[pod.namespace, default: []].append(pod) }
        for policy in self.policies { policiesByNamespace[policy.namespace, default: []].append(policy) }
    }

    /// From objects as the store holds them. Pods that are done or being deleted are left out; policies that do
    /// not decode or compile are recorded in `errors`. `cache` keeps compiled policies between calls.
    public init(policies: [JSONValue], pods: [JSONValue], namespaces: [JSONValue], cache: inout PolicyCompileCache) {
        let (compiled, errors) = cache.compile(policies)
        self.init(
            pods: pods.compactMap(PolicyPod.init(json:)),
            namespaces: namespaces.compactMap { ns in
                ns["metadata"]["name"].string.map { PolicyNamespace(name: $0, labels: ns["metadata"]["labels"].stringMap ?? [:]) }
            },
            policies: compiled, errors: errors)
    }

    /// The same without a cache kept between calls.
    public init(policies: [JSONValue], pods: [JSONValue], namespaces: [JSONValue]) {
        var cache = PolicyCompileCache()
        self.init(policies: policies, pods: pods, namespaces: namespaces, cache: &cache)
    }

    // MARK: - Selection

    /// Labels of namespace `name` (with `kubernetes.io/metadata.name` even when the object is missing).
    func namespaceLabels(_ name: String) -> [String: String] {
        namespaces[name]?.labels ?? PolicyNamespace(name: name).labels
    }

    /// Whether `policy` selects `pod`.
    public func selects(_ policy: CompiledPolicy, _ pod: PolicyPod) -> Bool {
        !pod.hostNetwork && pod.namespace == policy.namespace && policy.podSelector.matches(pod.labels)
    }

    /// The policies that isolate `pod` for ingress (`egress: false`) or egress.
    public func isolating(_ pod: PolicyPod, egress: Bool) -> [CompiledPolicy] {
        (policiesByNamespace[pod.namespace] ?? []).filter { selects($0, pod) && (egress ? $0.egress : $0.ingress) != nil }
    }

    /// Whether `pod` matches a pods peer of a policy in `policyNamespace`.
    public func matches(
        namespaces nsSelector: LabelSelectorQuery?, pods podSelector: LabelSelectorQuery, policyNamespace: String,
        pod: PolicyPod
    ) -> Bool {
        guard !pod.hostNetwork, podSelector.matches(pod.labels) else { return false }
        if let nsSelector { return nsSelector.matches(namespaceLabels(pod.namespace)) }
        return pod.namespace == policyNamespace
    }

    /// The pods a pods peer stands for (those with an address), sorted by key.
    public func members(namespaces: LabelSelectorQuery?, pods: LabelSelectorQuery, policyNamespace: String) -> [PolicyPod] {
        // Only the namespaces the peer can match, in name order (so the result stays sorted by key).
        let names = namespaces == nil
            ? [policyNamespace] : podsByNamespace.keys.sorted().filter { namespaces?.matches(namespaceLabels($0)) == true }
        return names.flatMap { ns in
            (podsByNamespace[ns] ?? []).filter { !$0.hostNetwork && $0.ip != nil && pods.matches($0.labels) }
        }
    }

    /// The pod holding `ip`, if any.
    public func pod(at ip: IPv4Address) -> PolicyPod? { pods.first { $0.ip == ip } }

    /// The pod `namespace/name`, if any.
    public func pod(_ key: String) -> PolicyPod? { pods.first { $0.key == key } }
}
