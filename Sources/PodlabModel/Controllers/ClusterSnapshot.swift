import Foundation

/// Every stored object at one moment, grouped by resource: what the controllers read.
///
/// Controllers never change a snapshot; they return `ControllerAction`s that a runner applies to the store.
public struct ClusterSnapshot: Sendable {
    public var objects: [ResourceInfo: [JSONValue]] {
        didSet { index = Index(objects) }
    }
    private var index: Index

    /// A snapshot of these objects.
    public init(objects: [ResourceInfo: [JSONValue]]) {
        self.objects = objects
        self.index = Index(objects)
    }

    /// The objects of resource `r`, in `namespace` when given, sorted by namespace then name (so that
    /// controllers visit them in a stable order and their output is deterministic).
    public func list(_ r: ResourceInfo, namespace: String? = nil) -> [JSONValue] {
        guard let namespace else { return index.sorted[r] ?? [] }
        return index.byNamespace[r]?[namespace] ?? []
    }

    /// The object of resource `r` called `name` (in `namespace` for namespaced resources), if stored.
    public func get(_ r: ResourceInfo, namespace: String?, name: String) -> JSONValue? {
        index.byKey[r]?[r.namespaced ? "\(namespace ?? "")/\(name)" : name]
    }

    /// The object of resource `r` with this uid, if stored.
    func get(_ r: ResourceInfo, uid: String) -> JSONValue? {
        index.byUID[r]?[uid]
    }

    /// Lookups built once per snapshot: controllers list and get thousands of times per pass.
    private struct Index: Sendable {
        var sorted: [ResourceInfo: [JSONValue]] = [:]
        var byNamespace: [ResourceInfo: [String: [JSONValue]]] = [:]
        var byKey: [ResourceInfo: [String: JSONValue]] = [:]
        var byUID: [ResourceInfo: [String: JSONValue]] = [:]

        init(_ objects: [ResourceInfo: [JSONValue]]) {
            for (r, list) in objects {
                let ordered = list.map { (key: ($0.ctl.namespace, $0.ctl.name), obj: $0) }.sorted { $0.key < $1.key }
                sorted[r] = ordered.map(\.obj)
                var groups: [String: [JSONValue]] = [:]
                var keys: [String: JSONValue] = [:]
                var uids: [String: JSONValue] = [:]
                for (key, obj) in ordered {
                    groups[key.0, default: []].append(obj)
                    keys[r.namespaced ? "\(key.0)/\(key.1)" : key.1] = obj
                    if !obj.ctl.uid.isEmpty { uids[obj.ctl.uid] = obj }
                }
                byNamespace[r] = groups
                byKey[r] = keys
                byUID[r] = uids
            }
        }
    }
}

/// One change a controller asks the runner to make.
///
/// The runner applies the actions of one pass in order. `Controllers.reconcile` returns at most one write
/// (`update`, `updateStatus`, `delete`) per object in a pass, so a resourceVersion precondition taken from the
/// snapshot never conflicts with another action of the same pass.
public enum ControllerAction: Sendable, Equatable {
    /// Create the object (it has `metadata.namespace` and `metadata.name`; `generateName` is kept for display).
    case create(ResourceInfo, JSONValue)
    /// Replace the whole object; `metadata.resourceVersion` is the one it was read at.
    case update(ResourceInfo, JSONValue)
    /// Replace only `.status` of the stored object with this object's `.status`.
    case updateStatus(ResourceInfo, JSONValue)
    /// Delete the object in the background (dependents are left to the garbage collector);
    /// `uid` is a precondition when given. For a Terminating Namespace this means "finalize and remove".
    case delete(ResourceInfo, namespace: String?, name: String, uid: String?)
    /// Record this core/v1 Event (create it in its namespace).
    case event(JSONValue)
}

/// Cluster-wide settings the controllers need and cannot read from objects.
public struct ClusterConfig: Sendable {
    /// Node names, the control plane first.
    public var nodes: [String]
    /// First and last IPv4 address of the LoadBalancer pool (inclusive).
    public var lbPoolFirst: String
    public var lbPoolLast: String
    /// The address the `kubernetes` Service's endpoints point at (the API server on the control-plane node).
    public var apiServerIP: String?
    public var apiServerPort: Int
    /// PEM of the cluster CA, published as ConfigMap `kube-root-ca.crt` in every namespace when set.
    public var rootCACertificate: String?
    /// Node wire addresses by node name, reported as `InternalIP` in the bootstrap Node objects.
    public var nodeAddresses: [String: String]
    /// `status.nodeInfo.kubeletVersion` of bootstrap Nodes.
    public var kubeletVersion: String
    /// `kubernetes.io/arch` label and `status.nodeInfo.architecture` of bootstrap Nodes.
    public var architecture: String
    /// Upstream resolvers (`podlab up --dns-upstream`) that cluster DNS forwards outside names to; empty means
    /// it refuses them, so no query leaves the VM.
    public var dnsUpstreams: [String] = []

    /// Settings with podlab's defaults (pool 172.18.255.200-250, API server port 6443).
    public init(
        nodes: [String], lbPoolFirst: String = "172.18.255.200", lbPoolLast: String = "172.18.255.250",
        apiServerIP: String? = nil, apiServerPort: Int = 6443, rootCACertificate: String? = nil,
        nodeAddresses: [String: String] = [:], kubeletVersion: String = "v1.31.0-podlab",
        architecture: String = ClusterConfig.hostArchitecture
    ) {
        self.nodes = nodes
        self.lbPoolFirst = lbPoolFirst
        self.lbPoolLast = lbPoolLast
        self.apiServerIP = apiServerIP
        self.apiServerPort = apiServerPort
        self.rootCACertificate = rootCACertificate
        self.nodeAddresses = nodeAddresses
        self.kubeletVersion = kubeletVersion
        self.architecture = architecture
    }

    /// The Go architecture name of the machine podlab was built for (`amd64`, `arm64`).
    public static var hostArchitecture: String {
        #if arch(arm64)
            return "arm64"
        #else
            return "amd64"
        #endif
    }
}
