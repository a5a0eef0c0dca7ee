/// The typed Swift struct for each served resource.
public enum KubeObjects {
    /// Every object type, in the order of `Resources.all`, plus Scale.
    public static let types: [any KubeObject.Type] = [
        Namespace.self, Pod.self, Service.self, Endpoints.self, Event.self, ConfigMap.self, Secret.self,
        ServiceAccount.self, Node.self, Deployment.self, ReplicaSet.self, EndpointSlice.self, NetworkPolicy.self,
        Ingress.self, IngressClass.self, Role.self, ClusterRole.self, RoleBinding.self, ClusterRoleBinding.self,
        Scale.self,
    ]

    /// The struct that decodes objects of `resource`; `GenericObject` for a resource with no typed struct.
    public static func type(for resource: ResourceInfo) -> any KubeObject.Type {
        types.first { $0.resource.apiVersion == resource.apiVersion && $0.resource.kind == resource.kind }
            ?? GenericObject.self
    }

    /// Whether `resource` has a typed struct (so unknown fields can be found).
    public static func hasType(for resource: ResourceInfo) -> Bool {
        types.contains { $0.resource.apiVersion == resource.apiVersion && $0.resource.kind == resource.kind }
    }
}

/// An object of a kind podlab has no struct for: metadata is typed, every other member is kept as given.
public struct GenericObject: KubeObject, Hashable {
    /// A placeholder: a generic object answers to whatever resource it was looked up for.
    public static var resource: ResourceInfo { ResourceInfo(group: "", kind: "", plural: "") }
    public var metadata: ObjectMeta
    /// Every top-level member other than `metadata` (apiVersion and kind included).
    public var members: [String: JSONValue]

    public init(metadata: ObjectMeta = ObjectMeta(), members: [String: JSONValue] = [:]) {
        self.metadata = metadata
        self.members = members
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: Key(stringValue: "metadata")) ?? ObjectMeta()
        var m: [String: JSONValue] = [:]
        for key in c.allKeys where key.stringValue != "metadata" {
            m[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
        }
        members = m
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(metadata, forKey: Key(stringValue: "metadata"))
        for (k, v) in members where k != "metadata" { try c.encode(v, forKey: Key(stringValue: k)) }
    }
}
