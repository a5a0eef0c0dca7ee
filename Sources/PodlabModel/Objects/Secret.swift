/// core/v1 Secret. `data` holds base64 text as on the wire; `stringData` is write-only plain text.
public struct Secret: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.secrets }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var stringData: [String: String]?
    public var type: String?
    public var immutable: Bool?

    public init(metadata: ObjectMeta = ObjectMeta(), data: [String: String]? = nil, type: String? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.type = type
    }
}
