import Foundation

/// All of podlab's controllers as one pure step: the runner calls `reconcile` on the current objects,
/// applies the actions, and calls again until no action is returned.
public enum Controllers {
    /// One pass of every controller, in dependency order: namespaces, service accounts, deployments,
    /// replica sets, scheduler, endpoints, endpoint slices, load balancers, ingress status, garbage collector.
    ///
    /// Every controller reads the same snapshot. The result holds at most one write (update, updateStatus,
    /// delete) per object: a later controller's write to an object an earlier one already writes is left
    /// for the next pass (with that controller's events about the object), so resourceVersion
    /// preconditions cannot conflict within a pass. Creates in Terminating namespaces are dropped, as the
    /// API server's NamespaceLifecycle admission would refuse them.
    public static func reconcile(
        _ s: ClusterSnapshot, config: ClusterConfig, now: Date, rng: inout some RandomNumberGenerator
    ) -> [ControllerAction] {
        let passes: [[ControllerAction]] = [
            NamespaceController.reconcile(s, now: now),
            ServiceAccountController.reconcile(s, config: config),
            DeploymentController.reconcile(s, now: now),
            ReplicaSetController.reconcile(s, now: now, rng: &rng),
            Scheduler.reconcile(s, config: config, now: now),
            EndpointsController.reconcile(s, config: config),
            EndpointSliceController.reconcile(s, config: config, rng: &rng),
            LoadBalancerController.reconcile(s, config: config, now: now),
            IngressStatusController.reconcile(s, now: now),
            GarbageCollector.reconcile(s),
        ]
        let terminating = Set(s.list(Resources.namespaces).filter(\.ctl.isDeleting).map(\.ctl.name))
        var written: Set<String> = []
        var eventNames: Set<String> = []
        var out: [ControllerAction] = []
        for actions in passes {
            var droppedUIDs: Set<String> = []
            var kept: [ControllerAction] = []
            for action in actions {
                switch action {
                case .create(_, let obj):
                    if terminating.contains(obj.ctl.namespace) { continue }
                    kept.append(action)
                case .update(let r, let obj), .updateStatus(let r, let obj):
                    let key = "\(r.groupResource)/\(obj.ctl.namespace)/\(obj.ctl.name)"
                    if written.insert(key).inserted { kept.append(action) } else { droppedUIDs.insert(obj.ctl.uid) }
                case .delete(let r, let ns, let name, let uid):
                    let key = "\(r.groupResource)/\(ns ?? "")/\(name)"
                    if written.insert(key).inserted { kept.append(action) } else { droppedUIDs.insert(uid ?? "") }
                case .event:
                    kept.append(action)
                }
            }
            for action in kept {
                guard case .event(var ev) = action else {
                    out.append(action)
                    continue
                }
                if droppedUIDs.contains(ev["involvedObject"]["uid"].string ?? "-") { continue }
                if terminating.contains(ev.ctl.namespace) { continue }
                // Two controllers may name events about one object alike in the same instant: bump the suffix.
                var bump = 1
                while !eventNames.insert("\(ev.ctl.namespace)/\(ev.ctl.name)").inserted {
                    let base = ev["involvedObject"]["name"].string ?? ""
                    let stamp = Timestamps.parse(ev["lastTimestamp"].string ?? "") ?? now
                    ev.set("metadata.name", .string("\(base).\(EventFactory.hexName(stamp, 1_000_000 + bump))"))
                    bump += 1
                }
                out.append(.event(ev))
            }
        }
        return out
    }

    /// The earliest moment after `now` at which a pass would act although no object changed, or nil:
    /// a ready pod becoming available after `minReadySeconds`, or a Deployment's progress deadline.
    /// The runner should run a pass then (upstream controllers requeue themselves with these delays).
    public static func nextWakeup(_ s: ClusterSnapshot, now: Date) -> Date? {
        var times: [Date] = []
        for rs in s.list(Resources.replicaSets) {
            let minReady = rs["spec"]["minReadySeconds"].int ?? 0
            guard minReady > 0 else { continue }
            for pod in s.list(Resources.pods, namespace: rs.ctl.namespace) where pod.ctl.isControlled(by: rs) {
                guard pod.ctl.isReady, let since = pod.ctl.readySince else { continue }
                let at = since.addingTimeInterval(TimeInterval(minReady) + 1)
                if at > now { times.append(at) }
            }
        }
        for d in s.list(Resources.deployments) {
            guard
                let cond = (d["status"]["conditions"].array ?? []).first(where: { $0["type"].string == "Progressing" }),
                cond["status"].string == "True", cond["reason"].string != "NewReplicaSetAvailable",
                let from = cond["lastUpdateTime"].string.flatMap(Timestamps.parse)
            else { continue }
            let deadline = d["spec"]["progressDeadlineSeconds"].int ?? 600
            let at = from.addingTimeInterval(TimeInterval(deadline) + 1)
            if at > now { times.append(at) }
        }
        return times.min()
    }
}
