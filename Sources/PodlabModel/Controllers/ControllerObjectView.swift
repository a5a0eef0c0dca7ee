import Foundation

/// Read-only accessors the controllers use on untyped objects (metadata, owners, pod state).
///
/// Kept behind one `ctl` property so these names cannot clash with other extensions of `JSONValue`.
struct ControllerObjectView {
    let o: JSONValue

    var name: String { o["metadata"]["name"].string ?? "" }
    var namespace: String { o["metadata"]["namespace"].string ?? "" }
    var uid: String { o["metadata"]["uid"].string ?? "" }
    var generation: Int { o["metadata"]["generation"].int ?? 0 }
    var labels: [String: String] { o["metadata"]["labels"].stringMap ?? [:] }
    var annotations: [String: String] { o["metadata"]["annotations"].stringMap ?? [:] }
    var isDeleting: Bool { !o["metadata"]["deletionTimestamp"].isNull }
    var creationTimestamp: Date? { o["metadata"]["creationTimestamp"].string.flatMap(Timestamps.parse) }
    var ownerReferences: [JSONValue] { o["metadata"]["ownerReferences"].array ?? [] }

    /// The owner reference with `controller: true`, if any.
    var controllerRef: JSONValue? { ownerReferences.first { $0["controller"].bool == true } }

    /// Whether `owner` (by uid) is this object's controller.
    func isControlled(by owner: JSONValue) -> Bool {
        guard let ref = controllerRef, let uid = ref["uid"].string else { return false }
        return uid == owner.ctl.uid
    }

    // MARK: - Pods

    var phase: String { o["status"]["phase"].string ?? "" }
    var nodeName: String { o["spec"]["nodeName"].string ?? "" }
    /// Neither Succeeded nor Failed: the pod still runs or may run.
    var isNonTerminal: Bool { phase != "Succeeded" && phase != "Failed" }
    /// Counted by ReplicaSets (upstream `FilterActivePods`): non-terminal and not being deleted.
    var isActivePod: Bool { isNonTerminal && !isDeleting }

    func condition(_ type: String) -> JSONValue? {
        (o["status"]["conditions"].array ?? []).first { $0["type"].string == type }
    }

    /// Upstream `IsPodReady`: the Ready condition is True.
    var isReady: Bool { condition("Ready")?["status"].string == "True" }
    /// When the pod last became ready (the Ready condition's lastTransitionTime).
    var readySince: Date? { condition("Ready")?["lastTransitionTime"].string.flatMap(Timestamps.parse) }

    /// Upstream `IsPodAvailable`: ready for at least `minReadySeconds` at `now`.
    func isAvailable(minReadySeconds: Int, now: Date) -> Bool {
        guard isReady else { return false }
        if minReadySeconds == 0 { return true }
        guard let since = readySince else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) < now
    }

    /// The pod's IPv4 address (`status.podIP`, else the first IPv4 of `status.podIPs`).
    var podIPv4: String? {
        if let ip = o["status"]["podIP"].string, ip.contains(".") { return ip }
        for entry in o["status"]["podIPs"].array ?? [] {
            if let ip = entry["ip"].string, ip.contains(".") { return ip }
        }
        return nil
    }
}

extension JSONValue {
    /// Controller accessors for this object (see `ControllerObjectView`).
    var ctl: ControllerObjectView { ControllerObjectView(o: self) }
}

// MARK: - Shared building blocks

enum ControllerSupport {
    /// An ownerReference to `owner` as a controller makes it (controller and blockOwnerDeletion true).
    static func controllerRef(to owner: JSONValue, resource: ResourceInfo) -> JSONValue {
        [
            "apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind),
            "name": .string(owner.ctl.name), "uid": .string(owner.ctl.uid),
            "controller": true, "blockOwnerDeletion": true,
        ]
    }

    /// Whether labels satisfy a metav1.LabelSelector (matchLabels and matchExpressions).
    /// A missing or empty selector matches everything, as `LabelSelectorAsSelector` does.
    static func matches(selector: JSONValue, labels: [String: String]) -> Bool {
        for (k, v) in selector["matchLabels"].stringMap ?? [:] where labels[k] != v { return false }
        for req in selector["matchExpressions"].array ?? [] {
            let key = req["key"].string ?? ""
            let values = (req["values"].array ?? []).compactMap(\.string)
            let value = labels[key]
            switch req["operator"].string ?? "" {
            case "In": if value.map({ !values.contains($0) }) ?? true { return false }
            case "NotIn": if let value, values.contains(value) { return false }
            case "Exists": if value == nil { return false }
            case "DoesNotExist": if value != nil { return false }
            default: return false
            }
        }
        return true
    }

    /// Whether labels contain every pair of a Service-style `map[string]string` selector.
    static func matches(mapSelector: [String: String], labels: [String: String]) -> Bool {
        mapSelector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// A `<prefix><5 random chars>` name for which `isTaken` is false, as the API server makes for generateName.
    static func generatedName(
        prefix: String, isTaken: (String) -> Bool, rng: inout some RandomNumberGenerator
    ) -> String {
        // apimachinery names.SimpleNameGenerator: base truncated to 58 chars + 5 random alphanumerics.
        let base = String(prefix.prefix(58))
        while true {
            let name = base + SafeEncoding.randomString(length: 5, rng: &rng)
            if !isTaken(name) { return name }
        }
    }

    /// Resolves an IntOrString (`3` or `"25%"`) against `total`, rounding a percentage up or down
    /// (upstream `intstr.GetScaledValueFromIntOrPercent`). A malformed value counts as 0.
    static func scaledValue(_ v: JSONValue, total: Int, roundUp: Bool) -> Int {
        if let i = v.int { return i }
        guard let s = v.string, s.hasSuffix("%"), let pct = Int(s.dropLast()) else { return 0 }
        let product = pct * total
        return roundUp ? (product + 99) / 100 : product / 100
    }

    /// Sets one annotation; keys contain dots, so `JSONValue.set` with a dotted path cannot be used.
    static func setAnnotation(_ o: inout JSONValue, _ key: String, _ value: String) {
        var ann = o["metadata"]["annotations"].object ?? [:]
        ann[key] = .string(value)
        o.set("metadata.annotations", .object(ann))
    }

    /// Objects' names by namespace, to keep generated names unique.
    static func names(_ objects: [JSONValue], namespace: String) -> Set<String> {
        Set(objects.filter { $0.ctl.namespace == namespace }.map(\.ctl.name))
    }
}

/// Pods by namespace and by `key=value` label, so that thousands of Service selectors can be matched
/// without scanning every pod for each Service.
struct PodSelectorIndex {
    private var pods: [String: [(pod: JSONValue, labels: [String: String])]] = [:]
    private var byPair: [String: [String: [Int]]] = [:]

    init(_ s: ClusterSnapshot) {
        for pod in s.list(Resources.pods) {
            let ns = pod.ctl.namespace
            let labels = pod.ctl.labels
            let i = pods[ns, default: []].count
            pods[ns, default: []].append((pod, labels))
            for (k, v) in labels { byPair[ns, default: [:]]["\(k)=\(v)", default: []].append(i) }
        }
    }

    /// The pods in `namespace` whose labels contain every pair of `selector`, in name order.
    func select(namespace: String, selector: [String: String]) -> [JSONValue] {
        guard let all = pods[namespace] else { return [] }
        guard let first = selector.min(by: { $0.key < $1.key }) else { return all.map(\.pod) }
        let candidates = byPair[namespace]?["\(first.key)=\(first.value)"] ?? []
        return candidates.map { all[$0] }.filter { ControllerSupport.matches(mapSelector: selector, labels: $0.labels) }
            .map(\.pod)
    }
}
