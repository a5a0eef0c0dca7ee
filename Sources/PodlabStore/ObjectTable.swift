import PodlabModel

/// The objects of every resource, in memory: one dictionary per resource keyed by `namespace/name`.
///
/// Lookups and writes are one hash each; a list is one pass over the resource plus a sort, which for 1,000 pods
/// is tens of microseconds. Object names cannot contain "/", so the key is unambiguous.
struct ObjectTable {
    struct Bucket {
        var resource: ResourceInfo
        var objects: [String: JSONValue] = [:]
    }

    /// Keyed by `groupResource` (`pods`, `deployments.apps`): cheaper to hash than a whole `ResourceInfo`.
    private(set) var buckets: [String: Bucket] = [:]

    /// The dictionary key of an object.
    static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return namespace + "/" + name }
        return name
    }

    /// The namespace (nil for cluster-scoped resources) and name an object is stored under.
    static func identity(of object: JSONValue, in r: ResourceInfo) -> (namespace: String?, name: String) {
        (r.namespaced ? object.at("metadata.namespace").string : nil, object.at("metadata.name").string ?? "")
    }

    func get(_ r: ResourceInfo, namespace: String?, name: String) -> JSONValue? {
        if r.namespaced, namespace == nil { return nil }
        return buckets[r.groupResource]?.objects[ObjectTable.key(namespace: r.namespaced ? namespace : nil, name: name)]
    }

    /// Inserts or replaces `object` under its own namespace and name.
    mutating func put(_ r: ResourceInfo, _ object: JSONValue) {
        let id = ObjectTable.identity(of: object, in: r)
        buckets[r.groupResource, default: Bucket(resource: r)].objects[ObjectTable.key(namespace: id.namespace, name: id.name)] =
            object
    }

    /// Removes and returns the object, if present.
    @discardableResult
    mutating func remove(_ r: ResourceInfo, namespace: String?, name: String) -> JSONValue? {
        buckets[r.groupResource]?.objects.removeValue(
            forKey: ObjectTable.key(namespace: r.namespaced ? namespace : nil, name: name))
    }

    /// The objects of `r` (in `namespace` if given), sorted by namespace then name as kube-apiserver lists them.
    func list(_ r: ResourceInfo, namespace: String?) -> [JSONValue] {
        guard let bucket = buckets[r.groupResource] else { return [] }
        var rows: [(namespace: String, name: String, object: JSONValue)] = []
        rows.reserveCapacity(bucket.objects.count)
        for object in bucket.objects.values {
            let ns = object.at("metadata.namespace").string ?? ""
            if r.namespaced, let namespace, ns != namespace { continue }
            rows.append((ns, object.at("metadata.name").string ?? "", object))
        }
        // Compare (namespace, name) as a pair: comparing "ns/name" strings would put "a-b/x" before "a/x".
        rows.sort { $0.namespace != $1.namespace ? $0.namespace < $1.namespace : $0.name < $1.name }
        return rows.map(\.object)
    }

    /// The number of objects of all resources.
    var count: Int { buckets.values.reduce(0) { $0 + $1.objects.count } }
}
