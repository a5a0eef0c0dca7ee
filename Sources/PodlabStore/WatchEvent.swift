import PodlabModel

/// One change to one object, as a watch delivers it.
public struct WatchEvent: Sendable, Equatable {
    /// The watch event type, spelled as on the wire.
    public enum Kind: String, Sendable, Equatable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
    }

    public var kind: Kind
    public var resource: ResourceInfo
    /// The object after the change; for DELETED, the object as deleted, with the deletion's resourceVersion.
    public var object: JSONValue
    /// The cluster resourceVersion of the change.
    public var resourceVersion: Int64

    public init(kind: Kind, resource: ResourceInfo, object: JSONValue, resourceVersion: Int64) {
        self.kind = kind
        self.resource = resource
        self.object = object
        self.resourceVersion = resourceVersion
    }
}
