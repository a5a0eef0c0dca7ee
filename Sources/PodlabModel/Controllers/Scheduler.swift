import Foundation

/// Assigns pending pods to nodes, spreading them: the fitting node with the fewest non-terminated pods of the
/// same owner (a ReplicaSet's replicas spread over the nodes, as kube-scheduler's default topology spreading
/// scores them), then the fewest pods overall, ties broken by the order of `ClusterConfig.nodes`.
///
/// Fit checks when Node objects exist: `spec.unschedulable`, `spec.nodeSelector` against node labels, and
/// NoSchedule/NoExecute taints against the pod's tolerations. A pod is bound with an update of
/// `spec.nodeName` (event `Scheduled` from `default-scheduler`); a later pass sets the PodScheduled
/// condition with a status update. A pod that fits nowhere gets PodScheduled=False/Unschedulable and one
/// `FailedScheduling` warning. Pods stay Pending: the node agent runs them.
public enum Scheduler {
    static let component = "default-scheduler"

    /// One pass over every pod that has no node or lacks its PodScheduled condition.
    public static func reconcile(_ s: ClusterSnapshot, config: ClusterConfig, now: Date) -> [ControllerAction] {
        var recorder = EventRecorder(s, component: component, now: now)
        var out: [ControllerAction] = []
        let pods = s.list(Resources.pods)
        let candidates = nodes(s, config: config)
        var load: [String: Int] = [:]
        // Pods per (owner, node), for spreading one owner's pods.
        var siblings: [String: Int] = [:]
        for p in pods where !p.ctl.nodeName.isEmpty && p.ctl.isNonTerminal {
            load[p.ctl.nodeName, default: 0] += 1
            if let owner = ownerKey(p) { siblings[owner + "/" + p.ctl.nodeName, default: 0] += 1 }
        }

        // Oldest first, as the scheduling queue would pop them.
        let pending = pods.filter { $0.ctl.nodeName.isEmpty && !$0.ctl.isDeleting && $0.ctl.isNonTerminal }
            .sorted { ($0.ctl.creationTimestamp ?? now, $0.ctl.name) < ($1.ctl.creationTimestamp ?? now, $1.ctl.name) }
        for pod in pending {
            if let name = pod["spec"]["schedulerName"].string, name != component { continue }
            var reasons: [String: Int] = [:]
            var fitting: [String] = []
            for node in candidates {
                if let why = misfit(pod, node) { reasons[why, default: 0] += 1 } else { fitting.append(node.ctl.name) }
            }
            let order = Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1.ctl.name, $0) })
            let owner = ownerKey(pod)
            let same: (String) -> Int = { node in owner.map { siblings[$0 + "/" + node] ?? 0 } ?? 0 }
            if let chosen = fitting.min(by: {
                (same($0), load[$0] ?? 0, order[$0] ?? 0) < (same($1), load[$1] ?? 0, order[$1] ?? 0)
            }) {
                load[chosen, default: 0] += 1
                if let owner { siblings[owner + "/" + chosen, default: 0] += 1 }
                var bound = pod
                bound.set("spec.nodeName", .string(chosen))
                out.append(.update(Resources.pods, bound))
                out.append(
                    recorder.event(
                        pod, Resources.pods, "Normal", "Scheduled",
                        "Successfully assigned \(pod.ctl.namespace)/\(pod.ctl.name) to \(chosen)"))
            } else {
                let message = unschedulableMessage(total: candidates.count, reasons: reasons)
                if let cond = podScheduledCondition(
                    pod, status: "False", reason: "Unschedulable", message: message, now: now)
                {
                    out.append(.updateStatus(Resources.pods, cond))
                }
                if !recorder.alreadyRecorded(uid: pod.ctl.uid, reason: "FailedScheduling", message: message) {
                    out.append(recorder.event(pod, Resources.pods, "Warning", "FailedScheduling", message))
                }
            }
        }

        // Bound pods (by us in an earlier pass, or created with spec.nodeName) get PodScheduled=True.
        for pod in pods where !pod.ctl.nodeName.isEmpty && !pod.ctl.isDeleting {
            if let updated = podScheduledCondition(pod, status: "True", reason: nil, message: nil, now: now) {
                out.append(.updateStatus(Resources.pods, updated))
            }
        }
        return out
    }

    /// The uid of the pod's controlling owner (its ReplicaSet), or nil for a bare pod.
    static func ownerKey(_ pod: JSONValue) -> String? {
        let refs = pod["metadata"]["ownerReferences"].array ?? []
        return refs.first { $0["controller"].bool == true }?["uid"].string
    }

    /// Candidate nodes: the Node objects in config order (then by name), or config.nodes as bare nodes when
    /// no Node object is stored yet.
    static func nodes(_ s: ClusterSnapshot, config: ClusterConfig) -> [JSONValue] {
        let stored = s.list(Resources.nodes)
        if stored.isEmpty {
            return config.nodes.map {
                ["metadata": ["name": .string($0), "labels": ["kubernetes.io/hostname": .string($0)]]]
            }
        }
        let order = Dictionary(config.nodes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return stored.sorted {
            (order[$0.ctl.name] ?? Int.max, $0.ctl.name) < (order[$1.ctl.name] ?? Int.max, $1.ctl.name)
        }
    }

    /// Why `pod` cannot go to `node` (upstream's FailedScheduling reason text), or nil when it fits.
    static func misfit(_ pod: JSONValue, _ node: JSONValue) -> String? {
        if node["spec"]["unschedulable"].bool == true { return "node(s) were unschedulable" }
        let selector = pod["spec"]["nodeSelector"].stringMap ?? [:]
        if !ControllerSupport.matches(mapSelector: selector, labels: node.ctl.labels) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        let tolerations = pod["spec"]["tolerations"].array ?? []
        for taint in node["spec"]["taints"].array ?? [] {
            let effect = taint["effect"].string ?? ""
            guard effect == "NoSchedule" || effect == "NoExecute" else { continue }
            if !tolerations.contains(where: { tolerates($0, taint) }) {
                let key = taint["key"].string ?? ""
                let value = taint["value"].string ?? ""
                return "node(s) had untolerated taint {\(key): \(value)}"
            }
        }
        return nil
    }

    /// Upstream Toleration.ToleratesTaint.
    static func tolerates(_ t: JSONValue, _ taint: JSONValue) -> Bool {
        if let effect = t["effect"].string, !effect.isEmpty, effect != taint["effect"].string { return false }
        let key = t["key"].string ?? ""
        if !key.isEmpty && key != taint["key"].string { return false }
        switch t["operator"].string ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return !key.isEmpty && (t["value"].string ?? "") == (taint["value"].string ?? "")
        default: return false
        }
    }

    /// `0/2 nodes are available: 2 node(s) didn't match ...` as kube-scheduler words it.
    static func unschedulableMessage(total: Int, reasons: [String: Int]) -> String {
        let parts = reasons.map { "\($0.value) \($0.key)" }.sorted()
        let detail = parts.isEmpty ? "no nodes available to schedule pods" : parts.joined(separator: ", ")
        return "0/\(total) nodes are available: \(detail). preemption: 0/\(total) nodes are available: "
            + "\(total) Preemption is not helpful for scheduling."
    }

    /// The pod with its PodScheduled condition set, or nil when it already says so.
    static func podScheduledCondition(
        _ pod: JSONValue, status: String, reason: String?, message: String?, now: Date
    ) -> JSONValue? {
        let existing = pod.ctl.condition("PodScheduled")
        if existing?["status"].string == status, existing?["reason"].string == reason,
            existing?["message"].string == message
        {
            return nil
        }
        var cond: JSONValue = [
            "type": "PodScheduled", "status": .string(status), "lastProbeTime": nil,
            "lastTransitionTime": .string(Timestamps.format(now)),
        ]
        if let reason { cond["reason"] = .string(reason) }
        if let message { cond["message"] = .string(message) }
        var updated = pod
        let others = (pod["status"]["conditions"].array ?? []).filter { $0["type"].string != "PodScheduled" }
        updated.set("status.conditions", .array(others + [cond]))
        if pod["status"]["phase"].isNull { updated.set("status.phase", "Pending") }
        return updated
    }
}
