import Foundation

/// Deletes objects whose owners are all gone (upstream pkg/controller/garbagecollector, background
/// propagation only; foreground and orphan deletion are handled where deletes are served).
///
/// An owner counts as present when an object of the referenced kind with that name and uid exists, in the
/// dependent's namespace for namespaced owners. References to kinds podlab does not serve are treated as
/// unresolvable and keep the object, as upstream does when it cannot map the kind. When some owners exist
/// and others are gone, the dangling references are removed instead (upstream patches them away).
public enum GarbageCollector {
    /// One pass over every object with ownerReferences.
    public static func reconcile(_ s: ClusterSnapshot) -> [ControllerAction] {
        var out: [ControllerAction] = []
        for resource in Resources.all {
            for obj in s.list(resource) where !obj.ctl.ownerReferences.isEmpty && !obj.ctl.isDeleting {
                var solid: [JSONValue] = []
                var dangling: [JSONValue] = []
                var unresolvable = false
                for ref in obj.ctl.ownerReferences {
                    switch ownerExists(ref, dependent: obj, dependentResource: resource, snapshot: s) {
                    case .some(true): solid.append(ref)
                    case .some(false): dangling.append(ref)
                    case .none: unresolvable = true
                    }
                }
                if dangling.isEmpty { continue }
                if solid.isEmpty && !unresolvable {
                    out.append(
                        .delete(
                            resource, namespace: resource.namespaced ? obj.ctl.namespace : nil, name: obj.ctl.name,
                            uid: obj.ctl.uid))
                } else {
                    let danglingUIDs = Set(dangling.compactMap { $0["uid"].string })
                    var updated = obj
                    updated.set(
                        "metadata.ownerReferences",
                        .array(obj.ctl.ownerReferences.filter { !danglingUIDs.contains($0["uid"].string ?? "") }))
                    out.append(.update(resource, updated))
                }
            }
        }
        return out
    }

    /// true/false when the owner's kind is known, nil when it cannot be resolved.
    static func ownerExists(
        _ ref: JSONValue, dependent: JSONValue, dependentResource: ResourceInfo, snapshot s: ClusterSnapshot
    ) -> Bool? {
        guard let apiVersion = ref["apiVersion"].string, let kind = ref["kind"].string else { return nil }
        // Any version of the same group names the same objects (apps/v1beta2 Deployment is apps/v1's).
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        guard let ownerResource = Resources.all.first(where: { $0.kind == kind && $0.group == group }) else {
            return nil
        }
        let name = ref["name"].string ?? ""
        let uid = ref["uid"].string ?? ""
        // A cluster-scoped dependent cannot have a namespaced owner: upstream treats that owner as absent.
        if ownerResource.namespaced && !dependentResource.namespaced { return false }
        let ns = ownerResource.namespaced ? dependent.ctl.namespace : nil
        guard let owner = s.get(ownerResource, namespace: ns, name: name) else { return false }
        return owner.ctl.uid == uid
    }
}
