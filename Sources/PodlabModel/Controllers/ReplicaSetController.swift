import Foundation

/// Keeps each ReplicaSet's pods at `spec.replicas` and reports their counts in its status
/// (upstream pkg/controller/replicaset).
///
/// Pure and idempotent: it reads pods and ReplicaSets from the snapshot and returns pod creations and
/// deletions, ownership changes (adopt matching orphans, release pods that no longer match) and status
/// updates. Events: `SuccessfulCreate` `Created pod: <name>` and `SuccessfulDelete` `Deleted pod: <name>`.
public enum ReplicaSetController {
    static let component = "replicaset-controller"

    /// One pass over every ReplicaSet.
    public static func reconcile(
        _ s: ClusterSnapshot, now: Date, rng: inout some RandomNumberGenerator
    ) -> [ControllerAction] {
        var recorder = EventRecorder(s, component: component, now: now)
        var out: [ControllerAction] = []
        var podNames = Set(s.list(Resources.pods).map { "\($0.ctl.namespace)/\($0.ctl.name)" })
        // A pod claimed by one ReplicaSet in this pass is not offered to another.
        var claimedThisPass: Set<String> = []
        for rs in s.list(Resources.replicaSets) {
            sync(
                rs, snapshot: s, podNames: &podNames, claimed: &claimedThisPass, now: now,
                recorder: &recorder, rng: &rng, out: &out)
        }
        return out
    }

    private static func sync(
        _ rs: JSONValue, snapshot s: ClusterSnapshot, podNames: inout Set<String>,
        claimed: inout Set<String>, now: Date, recorder: inout EventRecorder, rng: inout some RandomNumberGenerator,
        out: inout [ControllerAction]
    ) {
        let ns = rs.ctl.namespace
        let selector = rs["spec"]["selector"]
        let nsPods = s.list(Resources.pods, namespace: ns)

        // Claim pods (upstream PodControllerRefManager): keep owned pods that still match, adopt matching
        // orphans, release owned pods whose labels no longer match.
        var owned: [JSONValue] = []
        for pod in nsPods {
            let matches = ControllerSupport.matches(selector: selector, labels: pod.ctl.labels)
            if pod.ctl.isControlled(by: rs) {
                if matches {
                    owned.append(pod)
                } else if !rs.ctl.isDeleting {
                    out.append(.update(Resources.pods, releasing(pod, from: rs)))
                }
            } else if pod.ctl.controllerRef == nil, matches, !pod.ctl.isDeleting, !rs.ctl.isDeleting,
                !claimed.contains(key(pod))
            {
                claimed.insert(key(pod))
                out.append(.update(Resources.pods, adopting(pod, by: rs)))
                owned.append(pod)
            }
        }
        let active = owned.filter(\.ctl.isActivePod)
        let desired = rs["spec"]["replicas"].int ?? 1

        // Upstream does not manage replicas of a ReplicaSet that is being deleted; the GC removes its pods.
        if !rs.ctl.isDeleting {
            let diff = active.count - desired
            if diff < 0 {
                for _ in 0..<(-diff) {
                    let pod = newPod(from: rs, taken: &podNames, rng: &rng)
                    out.append(.create(Resources.pods, pod))
                    out.append(
                        recorder.event(
                            rs, Resources.replicaSets, "Normal", "SuccessfulCreate", "Created pod: \(pod.ctl.name)"))
                }
            } else if diff > 0 {
                let related = relatedPods(of: rs, snapshot: s, pods: nsPods)
                for pod in podsToDelete(active, related: related, count: diff) {
                    out.append(.delete(Resources.pods, namespace: ns, name: pod.ctl.name, uid: pod.ctl.uid))
                    out.append(
                        recorder.event(
                            rs, Resources.replicaSets, "Normal", "SuccessfulDelete", "Deleted pod: \(pod.ctl.name)"))
                }
            }
        }

        // Status from the pods as they are now (upstream calculateStatus runs on the pre-manage pod list).
        let minReady = rs["spec"]["minReadySeconds"].int ?? 0
        let templateLabels = rs["spec"]["template"]["metadata"]["labels"].stringMap ?? [:]
        var status = rs["status"].object ?? [:]
        func put(_ k: String, _ v: Int, omitZero: Bool = true) {
            status[k] = (omitZero && v == 0) ? nil : .int(Int64(v))
        }
        put("replicas", active.count, omitZero: false)
        put(
            "fullyLabeledReplicas",
            active.filter { ControllerSupport.matches(mapSelector: templateLabels, labels: $0.ctl.labels) }.count)
        put("readyReplicas", active.filter(\.ctl.isReady).count)
        put("availableReplicas", active.filter { $0.ctl.isAvailable(minReadySeconds: minReady, now: now) }.count)
        put("observedGeneration", rs.ctl.generation)
        if JSONValue.object(status) != rs["status"] {
            var updated = rs
            updated["status"] = .object(status)
            out.append(.updateStatus(Resources.replicaSets, updated))
        }
    }

    private static func key(_ o: JSONValue) -> String { "\(o.ctl.namespace)/\(o.ctl.name)" }

    /// A new pod from the ReplicaSet's template (upstream `GetPodFromTemplate`), named `<rs>-<5 chars>`.
    static func newPod(
        from rs: JSONValue, taken: inout Set<String>, rng: inout some RandomNumberGenerator
    ) -> JSONValue {
        let ns = rs.ctl.namespace
        let prefix = "\(rs.ctl.name)-"
        let name = ControllerSupport.generatedName(
            prefix: prefix, isTaken: { [taken] in taken.contains("\(ns)/\($0)") }, rng: &rng)
        taken.insert("\(ns)/\(name)")
        let template = rs["spec"]["template"]
        var meta: JSONValue = [
            "name": .string(name), "generateName": .string(prefix), "namespace": .string(ns),
            "ownerReferences": [ControllerSupport.controllerRef(to: rs, resource: Resources.replicaSets)],
        ]
        for k in ["labels", "annotations", "finalizers"] where !template.at("metadata.\(k)").isNull {
            meta[k] = template.at("metadata.\(k)")
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"]]
    }

    /// Pods whose node placement ranks the candidates: all active pods owned by ReplicaSets of the same
    /// Deployment (upstream getPodsToDelete uses the pods of every ReplicaSet with the same owner).
    private static func relatedPods(of rs: JSONValue, snapshot s: ClusterSnapshot, pods: [JSONValue]) -> [JSONValue] {
        guard let ownerUID = rs.ctl.controllerRef?["uid"].string else {
            return pods.filter { $0.ctl.isControlled(by: rs) }
        }
        let siblings = Set(
            s.list(Resources.replicaSets, namespace: rs.ctl.namespace)
                .filter { $0.ctl.controllerRef?["uid"].string == ownerUID }.map(\.ctl.uid))
        return pods.filter { siblings.contains($0.ctl.controllerRef?["uid"].string ?? "") }
    }

    /// The `count` pods to delete first, in upstream `ActivePodsWithRanks` order.
    ///
    /// podlab compares ready times and creation times exactly instead of on upstream's logarithmic scale,
    /// and breaks the final tie by name so the choice is deterministic.
    static func podsToDelete(_ pods: [JSONValue], related: [JSONValue], count: Int) -> [JSONValue] {
        var onNode: [String: Int] = [:]
        for p in related where p.ctl.isActivePod { onNode[p.ctl.nodeName, default: 0] += 1 }
        let phaseOrder = ["Pending": 0, "Unknown": 1, "Running": 2]
        func cost(_ p: JSONValue) -> Int {
            Int(p.ctl.annotations["controller.kubernetes.io/pod-deletion-cost"] ?? "") ?? 0
        }
        func restarts(_ p: JSONValue) -> Int {
            (p["status"]["containerStatuses"].array ?? []).map { $0["restartCount"].int ?? 0 }.max() ?? 0
        }
        func before(_ a: JSONValue, _ b: JSONValue) -> Bool {
            let (na, nb) = (a.ctl.nodeName, b.ctl.nodeName)
            if na != nb && (na.isEmpty || nb.isEmpty) { return na.isEmpty }
            let (pa, pb) = (phaseOrder[a.ctl.phase] ?? 0, phaseOrder[b.ctl.phase] ?? 0)
            if pa != pb { return pa < pb }
            if a.ctl.isReady != b.ctl.isReady { return !a.ctl.isReady }
            if cost(a) != cost(b) { return cost(a) < cost(b) }
            let (ra, rb) = (onNode[na] ?? 0, onNode[nb] ?? 0)
            if ra != rb { return ra > rb }
            if a.ctl.isReady, b.ctl.isReady, let ta = a.ctl.readySince, let tb = b.ctl.readySince, ta != tb {
                return ta > tb
            }
            if restarts(a) != restarts(b) { return restarts(a) > restarts(b) }
            if let ca = a.ctl.creationTimestamp, let cb = b.ctl.creationTimestamp, ca != cb { return ca > cb }
            return a.ctl.name < b.ctl.name
        }
        return Array(pods.sorted(by: before).prefix(count))
    }

    private static func adopting(_ pod: JSONValue, by rs: JSONValue) -> JSONValue {
        var p = pod
        p.set(
            "metadata.ownerReferences",
            .array(pod.ctl.ownerReferences + [ControllerSupport.controllerRef(to: rs, resource: Resources.replicaSets)])
        )
        return p
    }

    private static func releasing(_ pod: JSONValue, from rs: JSONValue) -> JSONValue {
        var p = pod
        let refs = pod.ctl.ownerReferences.filter { $0["uid"].string != rs.ctl.uid }
        if refs.isEmpty {
            p.remove("metadata.ownerReferences")
        } else {
            p.set("metadata.ownerReferences", .array(refs))
        }
        return p
    }
}
