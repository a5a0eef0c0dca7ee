/// rbac/v1 PolicyRule: verbs allowed on resources or non-resource URLs.
public struct PolicyRule: Codable, Sendable, Hashable {
    public var verbs: [String]?
    public var apiGroups: [String]?
    public var resources: [String]?
    public var resourceNames: [String]?
    public var nonResourceURLs: [String]?
    public init(verbs: [String]? = nil, apiGroups: [String]? = nil, resources: [String]? = nil) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
    }
}

/// rbac.authorization.k8s.io/v1 Role.
public struct Role: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.roles }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?

    public init(metadata: ObjectMeta = ObjectMeta(), rules: [PolicyRule]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.rules = rules
    }
}

/// rbac.authorization.k8s.io/v1 ClusterRole.
public struct ClusterRole: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.clusterRoles }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?
    public var aggregationRule: AggregationRule?

    public init(metadata: ObjectMeta = ObjectMeta(), rules: [PolicyRule]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.rules = rules
    }
}

/// rbac/v1 AggregationRule: ClusterRoles whose rules are merged into this one.
public struct AggregationRule: Codable, Sendable, Hashable {
    public var clusterRoleSelectors: [LabelSelector]?
    public init(clusterRoleSelectors: [LabelSelector]? = nil) { self.clusterRoleSelectors = clusterRoleSelectors }
}

/// rbac/v1 Subject: a User, Group or ServiceAccount.
public struct Subject: Codable, Sendable, Hashable {
    public var kind: String?
    public var apiGroup: String?
    public var name: String?
    public var namespace: String?
    public init(kind: String? = nil, name: String? = nil, namespace: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}

/// rbac/v1 RoleRef.
public struct RoleRef: Codable, Sendable, Hashable {
    public var apiGroup: String?
    public var kind: String?
    public var name: String?
    public init(apiGroup: String? = nil, kind: String? = nil, name: String? = nil) {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
    }
}

/// rbac.authorization.k8s.io/v1 RoleBinding.
public struct RoleBinding: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.roleBindings }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subjects: [Subject]?
    public var roleRef: RoleRef?

    public init(metadata: ObjectMeta = ObjectMeta(), subjects: [Subject]? = nil, roleRef: RoleRef? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.subjects = subjects
        self.roleRef = roleRef
    }
}

/// rbac.authorization.k8s.io/v1 ClusterRoleBinding.
public struct ClusterRoleBinding: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.clusterRoleBindings }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subjects: [Subject]?
    public var roleRef: RoleRef?

    public init(metadata: ObjectMeta = ObjectMeta(), subjects: [Subject]? = nil, roleRef: RoleRef? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.subjects = subjects
        self.roleRef = roleRef
    }
}
