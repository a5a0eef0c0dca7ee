/// core/v1 Namespace.
public struct Namespace: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.namespaces }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NamespaceSpec?
    public var status: NamespaceStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: NamespaceSpec? = nil, status: NamespaceStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 NamespaceSpec.
public struct NamespaceSpec: Codable, Sendable, Hashable {
    public var finalizers: [String]?
    public init(finalizers: [String]? = nil) { self.finalizers = finalizers }
}

/// core/v1 NamespaceStatus. Conditions are kept as given.
public struct NamespaceStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var conditions: [JSONValue]?
    public init(phase: String? = nil) { self.phase = phase }
}
