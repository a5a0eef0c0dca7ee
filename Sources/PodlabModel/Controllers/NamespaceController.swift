import Foundation

/// Empties Namespaces being deleted, then removes them (upstream pkg/controller/namespace).
///
/// For a Namespace with `deletionTimestamp`: its phase becomes Terminating, every namespaced object in it
/// that is not already being deleted is deleted, and once none is left the Namespace itself gets a
/// `.delete` action, which the runner applies as "finalize and remove" (upstream removes the `kubernetes`
/// finalizer through the finalize subresource, then the API server deletes it).
public enum NamespaceController {
    /// One pass over every Namespace being deleted.
    public static func reconcile(_ s: ClusterSnapshot, now: Date) -> [ControllerAction] {
        var out: [ControllerAction] = []
        for ns in s.list(Resources.namespaces) where ns.ctl.isDeleting {
            let name = ns.ctl.name
            if ns["status"]["phase"].string != "Terminating" {
                var updated = ns
                updated.set("status.phase", "Terminating")
                out.append(.updateStatus(Resources.namespaces, updated))
                continue
            }
            var remaining = 0
            for resource in Resources.all where resource.namespaced {
                for obj in s.list(resource, namespace: name) {
                    remaining += 1
                    if obj.ctl.isDeleting { continue }
                    out.append(.delete(resource, namespace: name, name: obj.ctl.name, uid: obj.ctl.uid))
                }
            }
            if remaining == 0 {
                out.append(.delete(Resources.namespaces, namespace: nil, name: name, uid: ns.ctl.uid))
            }
        }
        return out
    }
}
