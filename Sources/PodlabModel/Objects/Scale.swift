/// autoscaling/v1 Scale: the `scale` subresource of Deployments and ReplicaSets.
public struct Scale: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.scale }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ScaleSpec?
    public var status: ScaleStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ScaleSpec? = nil, status: ScaleStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// autoscaling/v1 ScaleSpec.
public struct ScaleSpec: Codable, Sendable, Hashable {
    public var replicas: Int32?
    public init(replicas: Int32? = nil) { self.replicas = replicas }
}

/// autoscaling/v1 ScaleStatus; `selector` is the label selector in its string form (`app=web`).
public struct ScaleStatus: Codable, Sendable, Hashable {
    public var replicas: Int32?
    public var selector: String?
    public init(replicas: Int32? = nil, selector: String? = nil) {
        self.replicas = replicas
        self.selector = selector
    }
}

extension Resources {
    /// autoscaling/v1 Scale: a subresource kind, so it is not in `Resources.all` (nothing is stored as a Scale).
    public static let scale = ResourceInfo(
        group: "autoscaling", kind: "Scale", plural: "scale", verbs: ["get", "patch", "update"])
}
