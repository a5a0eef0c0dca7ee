import PodlabModel

/// The identity fields the agent reads from a stored object.
struct PodKey: Sendable, Hashable {
    var uid: String
    var namespace: String
    var name: String
}

extension JSONValue {
    var podKey: PodKey {
        PodKey(
            uid: at("metadata.uid").string ?? "", namespace: at("metadata.namespace").string ?? "",
            name: at("metadata.name").string ?? "")
    }
}
