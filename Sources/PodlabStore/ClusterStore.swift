import PodlabModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// podlab's etcd: every object, the cluster-wide resourceVersion, watches, and their persistence.
///
/// Objects are keyed by (resource, namespace, name). Every change takes the next resourceVersion (one counter for
/// the whole cluster, as etcd's revision), is appended to the write-ahead log and synced before the call returns
/// (see WriteAheadLog.swift), and is then applied in memory and sent to watchers. Each mutation runs without a
/// suspension point, so it is atomic with respect to every other call.
///
/// The store is raw storage with kube-apiserver's storage-level rules (system fields, resourceVersion
/// preconditions, namespace lifecycle on create). Validation, defaulting, status/spec separation, finalizers and
/// graceful deletion belong to the API layer, which builds them on `modify` and `delete`.
///
/// Errors: `StatusError` for API outcomes (404, 409, 403, 410, 422); `StoreError` when persistence fails (the API
/// answers those with 500 InternalError).
public actor ClusterStore {
    /// Whether writes wait for the disk.
    public enum Durability: Sendable {
        /// fdatasync every log append before acknowledging it (the default; what etcd does).
        case fsync
        /// Never sync: a crash may lose acknowledged writes. For benchmarks against a peer that does not sync.
        case none
    }

    /// Tuning knobs; the defaults suit a teaching cluster.
    public struct Options: Sendable {
        /// Events kept for replaying watches from a resourceVersion.
        public var historySize = 20_000
        /// Events a watcher may have queued before its stream is ended (its client then re-lists).
        public var watchQueueLimit = 10_000
        /// Log size at which the state is written as a snapshot and the log emptied.
        public var compactAfterBytes = 16 << 20
        /// Seconds since the epoch, for creationTimestamp.
        public var clock: @Sendable () -> Int64 = { Int64(time(nil)) }

        public init() {}
    }

    /// Kinds whose registry strategy sets metadata.generation (PrepareForCreate: `Generation = 1`); other kinds
    /// have none, as on a real cluster (Service, ConfigMap, Namespace, Pod before 1.33).
    static let generationTracked: Set<String> = [
        "deployments.apps", "replicasets.apps", "endpointslices.discovery.k8s.io",
        "networkpolicies.networking.k8s.io", "ingresses.networking.k8s.io",
    ]

    var table: ObjectTable
    var resourceVersion: Int64
    /// The resourceVersion of the latest write per resource (see `lastChange(excluding:)`).
    var lastWriteByResource: [ResourceInfo: Int64] = [:]
    var history: EventHistory
    var watchers: [Int: Watcher] = [:]
    var nextWatcherID = 0
    let terminatedWatchers = TerminationInbox()
    let options: Options
    let resources: [ResourceInfo]
    /// `groupResource` of every resource in `resources`: the only ones the log can name and read back.
    private let known: Set<String>
    private let state: StateDirectory?
    /// Set when a write failed in a way that leaves the log's content unknown; every later write throws it.
    private var failure: StoreError?
    /// The log size at which the next compaction is tried (moves forward after a failed one, so a full disk does
    /// not make every write retry a whole snapshot).
    private var nextCompactionAt: Int
    private var rng = SystemRandomNumberGenerator()

    /// What opening the state directory found or repaired (a new directory, a dropped torn record), for the log.
    public let recoveryNotes: [String]
    /// The last compaction failure, if the latest attempt failed; writes stay durable in the log meanwhile.
    public private(set) var compactionError: StoreError?

    /// Opens the store: in memory only when `directory` is nil, else loads (or creates) the state there.
    ///
    /// Throws `StoreError` naming the file and offset of any damage (see WriteAheadLog.swift for what is repaired
    /// automatically), or `.inUse` when another store holds the directory.
    public init(
        directory: String?, durability: Durability = .fsync, resources: [ResourceInfo] = Resources.all,
        options: Options = Options()
    ) throws {
        self.options = options
        self.resources = resources
        known = Set(resources.map(\.groupResource))
        var loaded = StateDirectory.Loaded()
        if let directory {
            state = try StateDirectory(
                directory: directory, durable: durability == .fsync, resources: resources, loaded: &loaded)
        } else {
            state = nil
        }
        table = loaded.table
        resourceVersion = loaded.resourceVersion
        recoveryNotes = loaded.notes
        history = EventHistory(capacity: options.historySize, floor: loaded.resourceVersion)
        nextCompactionAt = options.compactAfterBytes
    }

    /// Cuts `directory`'s log at its first damaged record, after copying the whole log to `wal.log.corrupt-<time>`.
    ///
    /// For an operator who has read the error from `init` and accepts losing the records from that point on (they
    /// may include acknowledged writes). Refuses while a store has the directory open; a damaged snapshot is not
    /// repairable and rethrows.
    public static func repair(directory: String, resources: [ResourceInfo] = Resources.all) throws -> RepairReport {
        try StateDirectory.repair(directory: directory, resources: resources, now: Int64(time(nil)))
    }

    // MARK: - Reads

    /// The latest resourceVersion given to any change.
    public var currentResourceVersion: Int64 { resourceVersion }

    /// The resourceVersion of the last write to anything but `excluded` resources. The controller loop asks
    /// with `[Resources.events]`: the Events the controllers record themselves need no further pass.
    public func lastChange(excluding excluded: Set<ResourceInfo>) -> Int64 {
        var latest: Int64 = 0
        for (r, rv) in lastWriteByResource where !excluded.contains(r) { latest = max(latest, rv) }
        return latest
    }

    /// The object, or nil. `namespace` is ignored for cluster-scoped resources and required for namespaced ones.
    public func get(_ r: ResourceInfo, namespace: String?, name: String) -> JSONValue? {
        table.get(r, namespace: namespace, name: name)
    }

    /// The objects of `r` in `namespace` (all namespaces when nil), sorted by namespace then name, and the
    /// resourceVersion they are current at.
    public func list(_ r: ResourceInfo, namespace: String?) -> (items: [JSONValue], resourceVersion: Int64) {
        (table.list(r, namespace: namespace), resourceVersion)
    }

    /// Every object of every resource, each list sorted as `list` sorts: a consistent snapshot for controllers.
    public func all() -> [ResourceInfo: [JSONValue]] {
        var out: [ResourceInfo: [JSONValue]] = [:]
        for r in resources { out[r] = table.list(r, namespace: nil) }
        return out
    }

    // MARK: - Writes

    /// Stores a new object and returns it as stored.
    ///
    /// Fills in uid, creationTimestamp, resourceVersion, apiVersion/kind, generation 1 (for kinds that track it)
    /// and a name from `generateName` plus 5 random characters; clears deletionTimestamp. Throws 409 AlreadyExists,
    /// 404 `namespaces "x" not found`, 403 Forbidden in a terminating namespace, 422 when there is no name.
    public func create(_ r: ResourceInfo, _ object: JSONValue) throws -> JSONValue {
        try checkWritable()
        // An object of a resource the store was not opened with could be written but never read back.
        guard known.contains(r.groupResource) else {
            throw StatusError(
                code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        guard case .object = object else {
            throw StatusError.badRequest("the \(r.kind) must be a JSON object, not \(object.typeName)")
        }
        var obj = object
        let givenName = obj.at("metadata.name").string ?? ""
        if r.namespaced {
            let ns = obj.at("metadata.namespace").string ?? ""
            guard !ns.isEmpty else {
                throw StatusError.badRequest("the \(r.kind) \"\(givenName)\" has no metadata.namespace")
            }
            // kube-apiserver's NamespaceLifecycle admission, which runs before the name is generated.
            guard let namespace = table.get(Resources.namespaces, namespace: nil, name: ns) else {
                throw StatusError.notFound(Resources.namespaces, ns)
            }
            if namespace.at("status.phase").string == "Terminating"
                || !namespace.at("metadata.deletionTimestamp").isNull
            {
                throw StatusError(
                    code: 403, reason: "Forbidden",
                    message: "\(r.groupResource) \"\(givenName)\" is forbidden: unable to create new content in "
                        + "namespace \(ns) because it is being terminated",
                    details: .init(name: givenName, group: r.group, kind: r.plural))
            }
        } else {
            obj.remove("metadata.namespace")
        }
        let namespace = r.namespaced ? obj.at("metadata.namespace").string : nil
        var name = givenName
        if name.isEmpty {
            let base = obj.at("metadata.generateName").string ?? ""
            guard !base.isEmpty else {
                throw StatusError.invalid(
                    r, "", [FieldError(.required, "metadata.name", nil, "name or generateName is required")])
            }
            // Five characters from 27 give 14 million names; a few retries make a collision vanishingly rare.
            for _ in 0..<8 {
                name = ObjectDefaults.generatedName(base, using: &rng)
                if table.get(r, namespace: namespace, name: name) == nil { break }
            }
            obj.set("metadata.name", .string(name))
        }
        if table.get(r, namespace: namespace, name: name) != nil { throw StatusError.alreadyExists(r, name) }

        let rv = resourceVersion + 1
        obj["apiVersion"] = .string(r.apiVersion)
        obj["kind"] = .string(r.kind)
        obj.set("metadata.uid", .string(ObjectDefaults.uuid(using: &rng)))
        obj.set("metadata.creationTimestamp", .string(ObjectDefaults.timestamp(options.clock())))
        obj.set("metadata.resourceVersion", .string(String(rv)))
        if ClusterStore.generationTracked.contains(r.groupResource) {
            obj.set("metadata.generation", .int(1))
        } else {
            obj.remove("metadata.generation")
        }
        obj.remove("metadata.deletionTimestamp")
        obj.remove("metadata.deletionGracePeriodSeconds")
        try commit(.added, r, obj, rv: rv)
        return obj
    }

    /// Replaces an object and returns it as stored.
    ///
    /// A set metadata.resourceVersion must equal the stored one (else 409 Conflict); so must a set metadata.uid.
    /// Keeps uid and creationTimestamp; generation is the stored one, plus 1 when anything outside metadata and
    /// status changed (for kinds that track it). An update that changes nothing returns the stored object without
    /// a new resourceVersion or event, as kube-apiserver does. Throws 404 if the object does not exist.
    public func update(_ r: ResourceInfo, _ object: JSONValue) throws -> JSONValue {
        try checkWritable()
        let id = try identity(r, object)
        guard let old = table.get(r, namespace: id.namespace, name: id.name) else {
            throw StatusError.notFound(r, id.name)
        }
        if let rv = object.at("metadata.resourceVersion").string, !rv.isEmpty,
            rv != old.at("metadata.resourceVersion").string
        {
            throw StatusError.conflict(r, id.name)
        }
        return try replace(r, old: old, with: object)
    }

    /// Atomic read-modify-write: `body` gets the stored object (404 if there is none) and returns its new content,
    /// which is then stored as by `update`, without the resourceVersion check (nothing can change in between).
    ///
    /// `body` must not change the name or namespace (400) and must not call back into the store.
    public func modify(
        _ r: ResourceInfo, namespace: String?, name: String, _ body: (JSONValue) throws -> JSONValue
    ) throws -> JSONValue {
        try checkWritable()
        guard let old = table.get(r, namespace: namespace, name: name) else { throw StatusError.notFound(r, name) }
        let new = try body(old)
        let id = try identity(r, new)
        guard id.name == name, !r.namespaced || id.namespace == namespace else {
            throw StatusError.badRequest(
                "modify of \(r.groupResource) \"\(name)\" must not change its name or namespace")
        }
        return try replace(r, old: old, with: new)
    }

    /// Removes an object and returns it as deleted: with the deletion's own resourceVersion, which its DELETED
    /// event carries too (as the etcd3 storage does).
    ///
    /// The preconditions, when given, must match the stored uid / resourceVersion (else 409 Conflict). Throws 404
    /// if there is no such object. Finalizers and graceful deletion are the API layer's (via `modify`).
    public func delete(
        _ r: ResourceInfo, namespace: String?, name: String, preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil
    ) throws -> JSONValue {
        try checkWritable()
        guard var obj = table.get(r, namespace: namespace, name: name) else { throw StatusError.notFound(r, name) }
        let uid = obj.at("metadata.uid").string ?? ""
        if let want = preconditionUID, want != uid {
            throw preconditionFailed(r, name, "UID in precondition: \(want), UID in object meta: \(uid)")
        }
        let current = obj.at("metadata.resourceVersion").string ?? ""
        if let want = preconditionResourceVersion, want != current {
            throw preconditionFailed(
                r, name, "ResourceVersion in precondition: \(want), ResourceVersion in object meta: \(current)")
        }
        let rv = resourceVersion + 1
        obj.set("metadata.resourceVersion", .string(String(rv)))
        try commit(.deleted, r, obj, rv: rv)
        return obj
    }

    /// Writes a snapshot of the whole state and empties the log now (it also happens on its own as the log grows).
    public func compact() throws {
        try checkWritable()
        guard let state else { return }
        try state.compact(table, resourceVersion: resourceVersion)
        compactionError = nil
        nextCompactionAt = options.compactAfterBytes
    }

    /// Ends every watch stream and closes the state files; later writes throw. Reads keep working.
    public func close() {
        for watcher in watchers.values { watcher.continuation.finish() }
        watchers.removeAll()
        state?.close()
        if failure == nil {
            failure = StoreError(.failed, path: state?.directory ?? "(memory)", "the store is closed")
        }
    }

    // MARK: - Internals

    private func checkWritable() throws {
        if let failure { throw failure }
    }

    private func identity(_ r: ResourceInfo, _ object: JSONValue) throws -> (namespace: String?, name: String) {
        guard case .object = object else {
            throw StatusError.badRequest("the \(r.kind) must be a JSON object, not \(object.typeName)")
        }
        let id = ObjectTable.identity(of: object, in: r)
        guard !id.name.isEmpty else {
            throw StatusError.invalid(r, "", [FieldError(.required, "metadata.name", nil, "name is required")])
        }
        if r.namespaced, (id.namespace ?? "").isEmpty {
            throw StatusError.badRequest("the \(r.kind) \"\(id.name)\" has no metadata.namespace")
        }
        return id
    }

    private func preconditionFailed(_ r: ResourceInfo, _ name: String, _ detail: String) -> StatusError {
        StatusError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(r.groupResource) \"\(name)\": Precondition failed: \(detail)",
            details: .init(name: name, group: r.group, kind: r.plural))
    }

    /// The shared tail of update and modify: system fields from `old`, generation, no-op detection, commit.
    private func replace(_ r: ResourceInfo, old: JSONValue, with object: JSONValue) throws -> JSONValue {
        let name = old.at("metadata.name").string ?? ""
        let oldUID = old.at("metadata.uid")
        if let uid = object.at("metadata.uid").string, !uid.isEmpty, uid != oldUID.string {
            throw preconditionFailed(r, name, "UID in precondition: \(uid), UID in object meta: \(oldUID.string ?? "")")
        }
        var obj = object
        obj["apiVersion"] = .string(r.apiVersion)
        obj["kind"] = .string(r.kind)
        if !r.namespaced { obj.remove("metadata.namespace") }
        obj.set("metadata.uid", oldUID)
        obj.set("metadata.creationTimestamp", old.at("metadata.creationTimestamp"))
        obj.set("metadata.resourceVersion", old.at("metadata.resourceVersion"))
        // Clients cannot set generation; the storage moves it when the desired state changes.
        let oldGeneration = old.at("metadata.generation")
        if oldGeneration.isNull {
            obj.remove("metadata.generation")
        } else {
            obj.set("metadata.generation", oldGeneration)
        }
        if obj == old { return old }
        if ClusterStore.generationTracked.contains(r.groupResource), let generation = oldGeneration.int,
            ClusterStore.desiredState(obj) != ClusterStore.desiredState(old)
        {
            obj.set("metadata.generation", .int(Int64(generation) + 1))
        }
        let rv = resourceVersion + 1
        obj.set("metadata.resourceVersion", .string(String(rv)))
        try commit(.modified, r, obj, rv: rv, previous: old)
        return obj
    }

    /// Everything but metadata and status: what a change of bumps generation.
    private static func desiredState(_ object: JSONValue) -> JSONValue {
        var rest = object
        rest.remove("metadata")
        rest.remove("status")
        return rest
    }

    /// Makes one change durable, then visible: log first, so nothing unacknowledged is ever observed.
    private func commit(
        _ kind: WatchEvent.Kind, _ r: ResourceInfo, _ object: JSONValue, rv: Int64, previous: JSONValue? = nil
    ) throws {
        if let state {
            do {
                try state.append(kind == .deleted ? .delete(r, object, rv: rv) : .put(r, object, rv: rv))
            } catch {
                if error.kind == .failed { failure = error }
                throw error
            }
        }
        if kind == .deleted {
            let id = ObjectTable.identity(of: object, in: r)
            table.remove(r, namespace: id.namespace, name: id.name)
        } else {
            table.put(r, object)
        }
        resourceVersion = rv
        lastWriteByResource[r] = rv
        publish(WatchEvent(kind: kind, resource: r, object: object, resourceVersion: rv, previous: previous))
        compactIfDue()
    }

    /// Compacts once the log has grown past the threshold. A failure is kept in `compactionError`, not thrown:
    /// the write that triggered it is already durable in the log.
    private func compactIfDue() {
        guard let state, state.wal.size >= nextCompactionAt else { return }
        do {
            try state.compact(table, resourceVersion: resourceVersion)
            compactionError = nil
            nextCompactionAt = options.compactAfterBytes
        } catch {
            compactionError = error
            nextCompactionAt = state.wal.size + options.compactAfterBytes
        }
    }
}
