/// core/v1 ServiceAccount.
public struct ServiceAccount: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.serviceAccounts }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var secrets: [ObjectReference]?
    public var imagePullSecrets: [LocalObjectReference]?
    public var automountServiceAccountToken: Bool?

    public init(metadata: ObjectMeta = ObjectMeta()) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
    }
}
