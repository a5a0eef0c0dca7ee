import Foundation

/// Rolls Deployments out as ReplicaSets `<deployment>-<pod-template-hash>` (upstream pkg/controller/deployment).
///
/// Pure and idempotent: per Deployment it claims ReplicaSets, creates the new one, scales new and old ones
/// (RollingUpdate with maxSurge/maxUnavailable, Recreate, proportional scaling during a rollout), deletes
/// old empty ReplicaSets beyond `revisionHistoryLimit`, and writes status and conditions. Events:
/// `ScalingReplicaSet` `Scaled up replica set web-5d4b8c7f9 from 0 to 2`.
public enum DeploymentController {
    static let component = "deployment-controller"

    // Annotation keys (upstream deployment/util).
    static let revisionKey = "deployment.kubernetes.io/revision"
    static let revisionHistoryKey = "deployment.kubernetes.io/revision-history"
    static let desiredReplicasKey = "deployment.kubernetes.io/desired-replicas"
    static let maxReplicasKey = "deployment.kubernetes.io/max-replicas"
    static let hashLabel = "pod-template-hash"
    /// Deployment annotations never copied onto its ReplicaSets.
    static let skipCopy: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionKey, revisionHistoryKey, desiredReplicasKey,
        maxReplicasKey, "deprecated.deployment.rollback.to",
    ]

    /// One pass over every Deployment.
    public static func reconcile(_ s: ClusterSnapshot, now: Date) -> [ControllerAction] {
        var recorder = EventRecorder(s, component: component, now: now)
        var out: [ControllerAction] = []
        var claimed: Set<String> = []
        for d in s.list(Resources.deployments) {
            var sync = DeploymentSync(deployment: d, snapshot: s, now: now, claimed: claimed)
            sync.run()
            claimed.formUnion(sync.claimedNames)
            out += sync.actions(recorder: &recorder)
        }
        return out
    }
}

/// The working state of one Deployment's sync: local copies of its ReplicaSets that the rollout steps
/// change, and what to write back at the end (at most one write per object).
struct DeploymentSync {
    let d: JSONValue
    let s: ClusterSnapshot
    let now: Date
    let ns: String
    /// ReplicaSets this Deployment controls after claiming, by name (local, possibly changed copies).
    var rs: [String: JSONValue] = [:]
    var changed: Set<String> = []
    var created: String?
    var deleted: [JSONValue] = []
    var released: [JSONValue] = []
    var events: [(reason: String, message: String)] = []
    /// The status being built; starts as the stored status.
    var status: JSONValue
    var claimedNames: Set<String> = []
    let alreadyClaimed: Set<String>

    init(deployment: JSONValue, snapshot: ClusterSnapshot, now: Date, claimed: Set<String>) {
        self.d = deployment
        self.s = snapshot
        self.now = now
        self.ns = deployment.ctl.namespace
        self.status = deployment["status"].object.map(JSONValue.object) ?? .object([:])
        self.alreadyClaimed = claimed
    }

    // MARK: - Spec with upstream defaults

    var replicas: Int { d["spec"]["replicas"].int ?? 1 }
    var isRolling: Bool { (d["spec"]["strategy"]["type"].string ?? "RollingUpdate") != "Recreate" }
    var minReadySeconds: Int { d["spec"]["minReadySeconds"].int ?? 0 }
    var revisionHistoryLimit: Int { d["spec"]["revisionHistoryLimit"].int ?? 10 }
    var progressDeadline: Int? {
        d["spec"]["progressDeadlineSeconds"].isNull ? 600 : d["spec"]["progressDeadlineSeconds"].int
    }
    var template: JSONValue { d["spec"]["template"] }

    /// Upstream `ResolveFenceposts`: surge rounds up, unavailable rounds down, and both 0 means 1 unavailable.
    var fenceposts: (surge: Int, unavailable: Int) {
        let ru = d["spec"]["strategy"]["rollingUpdate"]
        let surgeValue: JSONValue = ru["maxSurge"].isNull ? "25%" : ru["maxSurge"]
        let unavailValue: JSONValue = ru["maxUnavailable"].isNull ? "25%" : ru["maxUnavailable"]
        let surge = ControllerSupport.scaledValue(surgeValue, total: replicas, roundUp: true)
        var unavailable = ControllerSupport.scaledValue(unavailValue, total: replicas, roundUp: false)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }

    var maxSurge: Int { isRolling ? fenceposts.surge : 0 }
    var maxUnavailable: Int {
        guard isRolling, replicas > 0 else { return 0 }
        return min(fenceposts.unavailable, replicas)
    }

    // MARK: - ReplicaSet accessors on the local copies

    static func specReplicas(_ r: JSONValue) -> Int { r["spec"]["replicas"].int ?? 1 }
    static func statusInt(_ r: JSONValue, _ k: String) -> Int { r.at("status.\(k)").int ?? 0 }
    static func revision(_ r: JSONValue) -> Int { Int(r.ctl.annotations[DeploymentController.revisionKey] ?? "") ?? 0 }
    func created(_ r: JSONValue) -> Date { r.ctl.creationTimestamp ?? now }

    /// Oldest first; ties by name (upstream ReplicaSetsByCreationTimestamp).
    func byCreation(_ list: [JSONValue]) -> [JSONValue] {
        list.sorted { (created($0), $0.ctl.name) < (created($1), $1.ctl.name) }
    }

    var allRS: [JSONValue] { byCreation(Array(rs.values)) }
    var newRS: JSONValue? { newRSName.flatMap { rs[$0] } }
    var oldRSs: [JSONValue] { allRS.filter { $0.ctl.name != newRSName } }
    var newRSName: String?

    static func active(_ list: [JSONValue]) -> [JSONValue] { list.filter { specReplicas($0) > 0 } }
    static func sumSpec(_ list: [JSONValue]) -> Int { list.reduce(0) { $0 + specReplicas($1) } }
    static func sumStatus(_ list: [JSONValue], _ k: String) -> Int { list.reduce(0) { $0 + statusInt($1, k) } }

    /// Templates are equal once pod-template-hash is removed from both (upstream EqualIgnoreHash).
    static func withoutHash(_ t: JSONValue) -> JSONValue {
        var t = t
        t.remove("metadata.labels.\(DeploymentController.hashLabel)")
        if t["metadata"]["labels"].object?.isEmpty == true { t.remove("metadata.labels") }
        if t["metadata"].object?.isEmpty == true { t.remove("metadata") }
        return t
    }

    // MARK: - Sync

    mutating func run() {
        claimReplicaSets()
        let empty = d["spec"]["selector"].object?.isEmpty ?? true
        if empty {
            // Upstream refuses to act on a selector that selects everything; it only observes the generation.
            status["observedGeneration"] = .int(Int64(d.ctl.generation))
            return
        }
        newRSName = findNewReplicaSet()
        syncRevision()
        if d.ctl.isDeleting {
            status = calculateStatus()
            return
        }
        checkPausedConditions()
        if d["spec"]["paused"].bool == true || isScalingEvent() {
            syncScale()
            return
        }
        if isRolling { rolloutRolling() } else { rolloutRecreate() }
    }

    /// Upstream ReplicaSetControllerRefManager: owned and matching stay, matching orphans are adopted,
    /// owned ones that no longer match are released.
    mutating func claimReplicaSets() {
        let selector = d["spec"]["selector"]
        for r in s.list(Resources.replicaSets, namespace: ns) {
            let matches = ControllerSupport.matches(selector: selector, labels: r.ctl.labels)
            if r.ctl.isControlled(by: d) {
                if matches {
                    rs[r.ctl.name] = r
                } else if !d.ctl.isDeleting {
                    var copy = r
                    copy.set(
                        "metadata.ownerReferences",
                        .array(r.ctl.ownerReferences.filter { $0["uid"].string != d.ctl.uid }))
                    released.append(copy)
                }
            } else if r.ctl.controllerRef == nil, matches, !r.ctl.isDeleting, !d.ctl.isDeleting,
                !alreadyClaimed.contains(r.ctl.name)
            {
                var copy = r
                copy.set(
                    "metadata.ownerReferences",
                    .array(
                        r.ctl.ownerReferences + [
                            ControllerSupport.controllerRef(to: d, resource: Resources.deployments)
                        ]))
                rs[r.ctl.name] = copy
                changed.insert(r.ctl.name)
                claimedNames.insert(r.ctl.name)
            }
        }
    }

    /// The oldest ReplicaSet whose template equals the Deployment's (upstream FindNewReplicaSet).
    func findNewReplicaSet() -> String? {
        let want = Self.withoutHash(template)
        return allRS.first { Self.withoutHash($0["spec"]["template"]) == want }?.ctl.name
    }

    var maxOldRevision: Int { oldRSs.map(Self.revision).max() ?? 0 }

    /// Brings an existing new ReplicaSet's annotations and minReadySeconds up to date
    /// (the `existingNewRS != nil` branch of upstream getNewReplicaSet).
    mutating func syncRevision() {
        guard let name = newRSName, var r = rs[name] else { return }
        let changedAnnotations = setNewReplicaSetAnnotations(&r, newRevision: maxOldRevision + 1, exists: true)
        let minReadyChanged = (r["spec"]["minReadySeconds"].int ?? 0) != minReadySeconds
        if changedAnnotations || minReadyChanged {
            r.set("spec.minReadySeconds", .int(Int64(minReadySeconds)))
            rs[name] = r
            changed.insert(name)
        }
        if let pd = progressDeadline, pd > 0, condition("Progressing") == nil {
            setCondition("Progressing", "True", "FoundNewReplicaSet", "Found new replica set \"\(name)\"")
        }
    }

    /// Upstream SetNewReplicaSetAnnotations; returns whether anything changed.
    func setNewReplicaSetAnnotations(_ r: inout JSONValue, newRevision: Int, exists: Bool) -> Bool {
        var ann = r.ctl.annotations
        var changedAny = false
        for (k, v) in d.ctl.annotations where !DeploymentController.skipCopy.contains(k) && ann[k] != v {
            ann[k] = v
            changedAny = true
        }
        let oldText = ann[DeploymentController.revisionKey]
        let old = Int(oldText ?? "") ?? 0
        if old < newRevision {
            ann[DeploymentController.revisionKey] = String(newRevision)
            changedAny = true
            // A ReplicaSet that gets a newer revision is being rolled back to: keep its former revisions.
            if let oldText {
                let history = ann[DeploymentController.revisionHistoryKey] ?? ""
                ann[DeploymentController.revisionHistoryKey] = history.isEmpty ? oldText : history + "," + oldText
            }
        }
        if !exists {
            ann[DeploymentController.desiredReplicasKey] = String(replicas)
            ann[DeploymentController.maxReplicasKey] = String(replicas + maxSurge)
            changedAny = true
        }
        if changedAny { r.set("metadata.annotations", JSONValue(ann)) }
        return changedAny
    }

    /// Creates the new ReplicaSet if there is none (upstream getNewReplicaSet with createIfNotExisted).
    /// Returns false when a hash collision was found (the sync stops; collisionCount was bumped).
    mutating func ensureNewReplicaSet() -> Bool {
        if newRSName != nil { return true }
        let collision = status["collisionCount"].int
        let hash = SafeEncoding.podTemplateHash(template, collisionCount: collision)
        let name = "\(d.ctl.name)-\(hash)"
        if s.get(Resources.replicaSets, namespace: ns, name: name) != nil {
            // The name is taken by a ReplicaSet with another template: retry with the next collisionCount.
            status["collisionCount"] = .int(Int64((collision ?? 0) + 1))
            return false
        }
        var tmpl = template
        tmpl.set("metadata.labels.\(DeploymentController.hashLabel)", .string(hash))
        var selector = d["spec"]["selector"]
        selector.set("matchLabels.\(DeploymentController.hashLabel)", .string(hash))
        var r: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(name), "namespace": .string(ns),
                "labels": tmpl["metadata"]["labels"],
                "ownerReferences": [ControllerSupport.controllerRef(to: d, resource: Resources.deployments)],
            ],
            "spec": [
                "replicas": 0, "minReadySeconds": .int(Int64(minReadySeconds)), "selector": selector,
                "template": tmpl,
            ],
        ]
        _ = setNewReplicaSetAnnotations(&r, newRevision: maxOldRevision + 1, exists: false)
        rs[name] = r
        newRSName = name
        created = name
        let count = newRSNewReplicas()
        r.set("spec.replicas", .int(Int64(count)))
        rs[name] = r
        if count > 0 { events.append(("ScalingReplicaSet", "Scaled up replica set \(name) from 0 to \(count)")) }
        if let pd = progressDeadline, pd > 0 {
            setCondition("Progressing", "True", "NewReplicaSetCreated", "Created new replica set \"\(name)\"")
        }
        return true
    }

    /// Upstream NewRSNewReplicas: how big the new ReplicaSet may be now.
    func newRSNewReplicas() -> Int {
        guard let n = newRS else { return 0 }
        guard isRolling else { return replicas }
        let current = Self.sumSpec(allRS)
        let maxTotal = replicas + maxSurge
        if current >= maxTotal { return Self.specReplicas(n) }
        let up = min(maxTotal - current, replicas - Self.specReplicas(n))
        return Self.specReplicas(n) + up
    }

    /// Sets a ReplicaSet's size and replica annotations, recording a ScalingReplicaSet event when the size
    /// changes (upstream scaleReplicaSet).
    mutating func scale(_ name: String, to newScale: Int, operation: String? = nil) {
        guard var r = rs[name] else { return }
        let old = Self.specReplicas(r)
        let ann = r.ctl.annotations
        let annotationsNeedUpdate =
            ann[DeploymentController.desiredReplicasKey] != String(replicas)
            || ann[DeploymentController.maxReplicasKey] != String(replicas + maxSurge)
        guard old != newScale || annotationsNeedUpdate else { return }
        r.set("spec.replicas", .int(Int64(newScale)))
        ControllerSupport.setAnnotation(&r, DeploymentController.desiredReplicasKey, String(replicas))
        ControllerSupport.setAnnotation(&r, DeploymentController.maxReplicasKey, String(replicas + maxSurge))
        rs[name] = r
        if name != created { changed.insert(name) }
        if old != newScale {
            let op = operation ?? (old < newScale ? "up" : "down")
            events.append(("ScalingReplicaSet", "Scaled \(op) replica set \(name) from \(old) to \(newScale)"))
        }
    }

    /// Upstream scaleReplicaSetAndRecordEvent: no-op when already at that size.
    mutating func scaleAndRecord(_ name: String, to newScale: Int) {
        guard let r = rs[name], Self.specReplicas(r) != newScale else { return }
        scale(name, to: newScale)
    }

    /// Deletes the oldest-revision empty ReplicaSets beyond revisionHistoryLimit (upstream cleanupDeployment).
    mutating func cleanup() {
        let cleanable = oldRSs.filter { !$0.ctl.isDeleting }
        let diff = cleanable.count - revisionHistoryLimit
        guard diff > 0 else { return }
        let sorted = cleanable.sorted {
            (Self.revision($0), created($0), $0.ctl.name) < (Self.revision($1), created($1), $1.ctl.name)
        }
        for r in sorted.prefix(diff) {
            if Self.statusInt(r, "replicas") != 0 || Self.specReplicas(r) != 0
                || r.ctl.generation > Self.statusInt(r, "observedGeneration")
            {
                continue
            }
            deleted.append(r)
            rs[r.ctl.name] = nil
            changed.remove(r.ctl.name)
        }
    }

    // MARK: - Output

    /// The actions of this sync: ReplicaSet writes, events, then one write to the Deployment.
    func actions(recorder: inout EventRecorder) -> [ControllerAction] {
        var out: [ControllerAction] = released.map { .update(Resources.replicaSets, $0) }
        if let c = created, let r = rs[c] { out.append(.create(Resources.replicaSets, r)) }
        for name in changed.sorted() { if let r = rs[name] { out.append(.update(Resources.replicaSets, r)) } }
        for r in deleted {
            out.append(.delete(Resources.replicaSets, namespace: ns, name: r.ctl.name, uid: r.ctl.uid))
        }
        for e in events { out.append(recorder.event(d, Resources.deployments, "Normal", e.reason, e.message)) }
        // One write to the Deployment per pass: status first; the revision annotation follows in a later pass
        // (upstream writes both in one UpdateStatus, which podlab's status subresource would not take).
        if status != (d["status"].isNull ? .object([:]) : d["status"]) {
            var updated = d
            updated["status"] = status
            out.append(.updateStatus(Resources.deployments, updated))
        } else if let n = newRS, let rev = n.ctl.annotations[DeploymentController.revisionKey],
            d.ctl.annotations[DeploymentController.revisionKey] != rev
        {
            var updated = d
            ControllerSupport.setAnnotation(&updated, DeploymentController.revisionKey, rev)
            out.append(.update(Resources.deployments, updated))
        }
        return out
    }
}
