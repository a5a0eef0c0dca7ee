import PodlabModel

/// The objects of every resource, in memory: one dictionary per resource keyed by namespace and name.
///
/// Lookups and writes are one hash each. Lists walk a sorted key array that is rebuilt only after an object is
/// added or removed (updates keep it), so listing 1,000 pods is a copy of 1,000 references.
struct ObjectTable {
    struct Bucket {
        var resource: ResourceInfo
        var objects: [String: JSONValue] = [:]
        /// `objects`' keys in list order, or nil after a key was added or removed.
        var sortedKeys: [String]? = []

        init(resource: ResourceInfo) { self.resource = resource }
    }

    /// Keyed by `groupResource` (`pods`, `deployments.apps`): cheaper to hash than a whole `ResourceInfo`.
    private(set) var buckets: [String: Bucket] = [:]

    /// The dictionary key of an object: namespace, NUL, name. NUL sorts before every character a namespace may
    /// hold, so sorting keys sorts by (namespace, name); with "/" instead, "a-b/x" would sort before "a/x".
    static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return namespace + "\u{0}" + name }
        return name
    }

    /// The namespace (nil for cluster-scoped resources) and name an object is stored under.
    static func identity(of object: JSONValue, in r: ResourceInfo) -> (namespace: String?, name: String) {
        let metadata = object["metadata"]
        return (r.namespaced ? metadata["namespace"].string : nil, metadata["name"].string ?? "")
    }

    func get(_ r: ResourceInfo, namespace: String?, name: String) -> JSONValue? {
        if r.namespaced, namespace == nil { return nil }
        return buckets[r.groupResource]?.objects[ObjectTable.key(namespace: r.namespaced ? namespace : nil, name: name)]
    }

    /// Inserts or replaces `object` under its own namespace and name.
    mutating func put(_ r: ResourceInfo, _ object: JSONValue) {
        let id = ObjectTable.identity(of: object, in: r)
        let key = ObjectTable.key(namespace: id.namespace, name: id.name)
        if buckets[r.groupResource] == nil { buckets[r.groupResource] = Bucket(resource: r) }
        if buckets[r.groupResource]?.objects.updateValue(object, forKey: key) == nil {
            buckets[r.groupResource]?.sortedKeys = nil
        }
    }

    /// Removes and returns the object, if present.
    @discardableResult
    mutating func remove(_ r: ResourceInfo, namespace: String?, name: String) -> JSONValue? {
        let key = ObjectTable.key(namespace: r.namespaced ? namespace : nil, name: name)
        guard let old = buckets[r.groupResource]?.objects.removeValue(forKey: key) else { return nil }
        buckets[r.groupResource]?.sortedKeys = nil
        return old
    }

    /// The objects of `r` (in `namespace` if given), sorted by namespace then name as kube-apiserver lists them.
    /// Mutating only to cache the key order.
    mutating func list(_ r: ResourceInfo, namespace: String?) -> [JSONValue] {
        guard var bucket = buckets[r.groupResource] else { return [] }
        let keys: [String]
        if let cached = bucket.sortedKeys {
            keys = cached
        } else {
            keys = bucket.objects.keys.sorted()
            bucket.sortedKeys = keys
            buckets[r.groupResource] = bucket
        }
        if r.namespaced, let namespace {
            let prefix = namespace + "\u{0}"
            return keys.lazy.filter { $0.hasPrefix(prefix) }.compactMap { bucket.objects[$0] }
        }
        return keys.compactMap { bucket.objects[$0] }
    }

    /// The number of objects of all resources.
    var count: Int { buckets.values.reduce(0) { $0 + $1.objects.count } }
}
