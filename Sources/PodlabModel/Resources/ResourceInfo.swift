/// What the API knows about one resource: where it is served, what it is called and how it is scoped.
public struct ResourceInfo: Sendable, Hashable {
    /// API group; "" is the legacy core group served under /api/v1.
    public var group: String
    public var version: String
    public var kind: String
    /// Plural, lower case: the path segment (`pods`, `deployments`).
    public var plural: String
    public var singular: String
    public var namespaced: Bool
    public var shortNames: [String]
    public var categories: [String]
    public var verbs: [String]
    /// Subresources served under this resource (`status`, `scale`).
    public var subresources: [String]

    public init(
        group: String, version: String = "v1", kind: String, plural: String, namespaced: Bool = true,
        shortNames: [String] = [], categories: [String] = [],
        verbs: [String] = ResourceInfo.allVerbs, subresources: [String] = []
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.verbs = verbs
        self.subresources = subresources
    }

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// `apps/v1`, or `v1` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `deployments.apps`, or `pods` for the core group: how kubectl names the resource in messages.
    public var groupResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// The path prefix of the group version: `/api/v1` or `/apis/apps/v1`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }
}

/// Every resource podlab serves, in discovery order.
public enum Resources {
    public static let namespaces = ResourceInfo(
        group: "", kind: "Namespace", plural: "namespaces", namespaced: false, shortNames: ["ns"],
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], subresources: ["status"])
    public static let pods = ResourceInfo(
        group: "", kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"],
        subresources: ["status", "log", "exec", "attach"])
    public static let services = ResourceInfo(
        group: "", kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"],
        verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        subresources: ["status"])
    public static let endpoints = ResourceInfo(group: "", kind: "Endpoints", plural: "endpoints", shortNames: ["ep"])
    public static let events = ResourceInfo(group: "", kind: "Event", plural: "events", shortNames: ["ev"])
    public static let configMaps = ResourceInfo(group: "", kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"])
    public static let secrets = ResourceInfo(group: "", kind: "Secret", plural: "secrets")
    public static let serviceAccounts = ResourceInfo(
        group: "", kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"])
    public static let nodes = ResourceInfo(
        group: "", kind: "Node", plural: "nodes", namespaced: false, shortNames: ["no"], subresources: ["status"])
    public static let deployments = ResourceInfo(
        group: "apps", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"],
        subresources: ["status", "scale"])
    public static let replicaSets = ResourceInfo(
        group: "apps", kind: "ReplicaSet", plural: "replicasets", shortNames: ["rs"], categories: ["all"],
        subresources: ["status", "scale"])
    public static let endpointSlices = ResourceInfo(
        group: "discovery.k8s.io", kind: "EndpointSlice", plural: "endpointslices")
    public static let networkPolicies = ResourceInfo(
        group: "networking.k8s.io", kind: "NetworkPolicy", plural: "networkpolicies", shortNames: ["netpol"])
    public static let ingresses = ResourceInfo(
        group: "networking.k8s.io", kind: "Ingress", plural: "ingresses", shortNames: ["ing"],
        subresources: ["status"])
    public static let ingressClasses = ResourceInfo(
        group: "networking.k8s.io", kind: "IngressClass", plural: "ingressclasses", namespaced: false)
    public static let roles = ResourceInfo(group: "rbac.authorization.k8s.io", kind: "Role", plural: "roles")
    public static let clusterRoles = ResourceInfo(
        group: "rbac.authorization.k8s.io", kind: "ClusterRole", plural: "clusterroles", namespaced: false)
    public static let roleBindings = ResourceInfo(
        group: "rbac.authorization.k8s.io", kind: "RoleBinding", plural: "rolebindings")
    public static let clusterRoleBindings = ResourceInfo(
        group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", plural: "clusterrolebindings",
        namespaced: false)

    /// All stored resources.
    public static let all: [ResourceInfo] = [
        namespaces, pods, services, endpoints, events, configMaps, secrets, serviceAccounts, nodes,
        deployments, replicaSets, endpointSlices, networkPolicies, ingresses, ingressClasses,
        roles, clusterRoles, roleBindings, clusterRoleBindings,
    ]

    /// The group versions served, in discovery order.
    public static var groupVersions: [(group: String, version: String)] {
        var seen: [String] = []
        var out: [(String, String)] = []
        for r in all where !seen.contains(r.apiVersion) {
            seen.append(r.apiVersion)
            out.append((r.group, r.version))
        }
        return out
    }

    /// The resource served at `apiVersion` with `plural` (`apps/v1`, `deployments`).
    public static func lookup(apiVersion: String, plural: String) -> ResourceInfo? {
        all.first { $0.apiVersion == apiVersion && $0.plural == plural }
    }

    /// The resource for `apiVersion` + `kind` (`v1`, `Service`).
    public static func lookup(apiVersion: String, kind: String) -> ResourceInfo? {
        all.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }

    /// Any served resource with this kind, whatever its version (for "wrong apiVersion" errors).
    public static func lookup(kind: String) -> ResourceInfo? {
        all.first { $0.kind == kind }
    }
}
