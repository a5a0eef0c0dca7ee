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
    /// For a live MODIFIED event, the object before the change, so a filtered watch can tell an object that
    /// entered or left its selector (sent as ADDED or DELETED, as kube-apiserver does). Events replayed from
    /// the history do not keep it, so the history holds one copy of each object, not two.
    public var previous: JSONValue?

    public init(
        kind: Kind, resource: ResourceInfo, object: JSONValue, resourceVersion: Int64, previous: JSONValue? = nil
    ) {
        self.kind = kind
        self.resource = resource
        self.object = object
        self.resourceVersion = resourceVersion
        self.previous = previous
    }
}
