/// apps/v1 ReplicaSet.
public struct ReplicaSet: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.replicaSets }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ReplicaSetSpec?
    public var status: ReplicaSetStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ReplicaSetSpec? = nil, status: ReplicaSetStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// apps/v1 ReplicaSetSpec.
public struct ReplicaSetSpec: Codable, Sendable, Hashable {
    public var replicas: Int32?
    public var minReadySeconds: Int32?
    public var selector: LabelSelector?
    public var template: PodTemplateSpec?
    public init(replicas: Int32? = nil, selector: LabelSelector? = nil, template: PodTemplateSpec? = nil) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

/// apps/v1 ReplicaSetStatus.
public struct ReplicaSetStatus: Codable, Sendable, Hashable {
    public var replicas: Int32?
    public var fullyLabeledReplicas: Int32?
    public var readyReplicas: Int32?
    public var availableReplicas: Int32?
    public var terminatingReplicas: Int32?
    public var observedGeneration: Int64?
    public var conditions: [ReplicaSetCondition]?
    public init(replicas: Int32? = nil) { self.replicas = replicas }
}

/// apps/v1 ReplicaSetCondition.
public struct ReplicaSetCondition: Codable, Sendable, Hashable {
    public var type: String?
    public var status: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
    public init(type: String? = nil, status: String? = nil) {
        self.type = type
        self.status = status
    }
}
