/// core/v1 ConfigMap.
public struct ConfigMap: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.configMaps }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    /// Base64 text per key, as on the wire.
    public var binaryData: [String: String]?
    public var immutable: Bool?

    public init(metadata: ObjectMeta = ObjectMeta(), data: [String: String]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
    }
}
