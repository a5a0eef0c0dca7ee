import Foundation

// Deployment status and conditions, after upstream deployment/sync.go (calculateStatus),
// progress.go (syncRolloutStatus) and util/deployment_util.go (conditions).
extension DeploymentSync {
    func condition(_ type: String) -> JSONValue? {
        (status["conditions"].array ?? []).first { $0["type"].string == type }
    }

    /// Upstream SetDeploymentCondition: no change for the same status and reason; keeps
    /// lastTransitionTime while the status stays the same; the condition moves to the end.
    mutating func setCondition(_ type: String, _ st: String, _ reason: String, _ message: String) {
        let current = condition(type)
        if let c = current, c["status"].string == st, c["reason"].string == reason { return }
        let stamp = JSONValue.string(Timestamps.format(now))
        var cond: JSONValue = [
            "type": .string(type), "status": .string(st), "reason": .string(reason), "message": .string(message),
            "lastUpdateTime": stamp, "lastTransitionTime": stamp,
        ]
        if let c = current, c["status"].string == st { cond["lastTransitionTime"] = c["lastTransitionTime"] }
        replaceCondition(cond)
    }

    mutating func replaceCondition(_ cond: JSONValue) {
        let type = cond["type"].string
        status["conditions"] = .array((status["conditions"].array ?? []).filter { $0["type"].string != type } + [cond])
    }

    /// Upstream checkPausedConditions: Progressing Unknown while paused, and "resumed" after.
    mutating func checkPausedConditions() {
        guard let pd = progressDeadline, pd > 0 else { return }
        let cond = condition("Progressing")
        if cond?["reason"].string == "ProgressDeadlineExceeded" { return }
        let pausedNow = cond?["reason"].string == "DeploymentPaused"
        if d["spec"]["paused"].bool == true && !pausedNow {
            setCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
        } else if d["spec"]["paused"].bool != true && pausedNow {
            setCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
        }
    }

    /// Upstream calculateStatus: counts from the ReplicaSets' status and the Available condition.
    func calculateStatus() -> JSONValue {
        var st = self
        let all = allRS
        let available = Self.sumStatus(all, "availableReplicas")
        let unavailable = max(0, Self.sumSpec(all) - available)
        func put(_ k: String, _ v: Int) {
            if v == 0 { st.status.remove(k) } else { st.status[k] = .int(Int64(v)) }
        }
        put("observedGeneration", d.ctl.generation)
        put("replicas", Self.sumStatus(all, "replicas"))
        put("updatedReplicas", newRS.map { Self.statusInt($0, "replicas") } ?? 0)
        put("readyReplicas", Self.sumStatus(all, "readyReplicas"))
        put("availableReplicas", available)
        put("unavailableReplicas", unavailable)
        if available >= replicas - maxUnavailable {
            st.setCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        } else {
            st.setCondition(
                "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        }
        return st.status
    }

    /// Upstream DeploymentComplete: every replica updated and available, and the generation observed.
    func isComplete(_ st: JSONValue) -> Bool {
        (st["updatedReplicas"].int ?? 0) == replicas && (st["replicas"].int ?? 0) == replicas
            && (st["availableReplicas"].int ?? 0) == replicas
            && (st["observedGeneration"].int ?? 0) >= d.ctl.generation
    }

    /// Upstream syncRolloutStatus: status plus the Progressing condition.
    mutating func syncRolloutStatus() {
        let old = status
        var next = calculateStatus()
        defer { status = next }
        guard let deadline = progressDeadline, deadline > 0 else {
            next["conditions"] = .array((next["conditions"].array ?? []).filter { $0["type"].string != "Progressing" })
            return
        }
        var view = self
        view.status = next
        let current = condition("Progressing")
        let completeAlready =
            next["replicas"] == next["updatedReplicas"] && current?["reason"].string == "NewReplicaSetAvailable"
        if completeAlready { return }
        let name = newRS?.ctl.name
        func int(_ v: JSONValue, _ k: String) -> Int { v[k].int ?? 0 }
        let progressing =
            int(next, "updatedReplicas") > int(old, "updatedReplicas")
            || int(next, "replicas") - int(next, "updatedReplicas") < int(old, "replicas") - int(old, "updatedReplicas")
            || int(next, "readyReplicas") > int(old, "readyReplicas")
            || int(next, "availableReplicas") > int(old, "availableReplicas")
        if isComplete(next) {
            let msg =
                name.map { "ReplicaSet \"\($0)\" has successfully progressed." }
                ?? "Deployment has successfully progressed."
            view.setCondition("Progressing", "True", "NewReplicaSetAvailable", msg)
        } else if progressing {
            let msg = name.map { "ReplicaSet \"\($0)\" is progressing." } ?? "Deployment is progressing."
            let stamp = JSONValue.string(Timestamps.format(now))
            var cond: JSONValue = [
                "type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": .string(msg),
                "lastUpdateTime": stamp, "lastTransitionTime": stamp,
            ]
            // Progress refreshes lastUpdateTime even with the same reason; the transition time stays.
            if let c = view.condition("Progressing"), c["status"].string == "True" {
                cond["lastTransitionTime"] = c["lastTransitionTime"]
            }
            view.replaceCondition(cond)
        } else if timedOut(view.condition("Progressing"), deadline: deadline) {
            let msg =
                name.map { "ReplicaSet \"\($0)\" has timed out progressing." }
                ?? "Deployment has timed out progressing."
            view.setCondition("Progressing", "False", "ProgressDeadlineExceeded", msg)
        }
        next = view.status
    }

    /// Upstream DeploymentTimedOut: no progress for progressDeadlineSeconds since the last update.
    func timedOut(_ cond: JSONValue?, deadline: Int) -> Bool {
        guard let c = cond else { return false }
        switch c["reason"].string {
        case "NewReplicaSetAvailable": return false
        case "ProgressDeadlineExceeded": return true
        default: break
        }
        guard let from = c["lastUpdateTime"].string.flatMap(Timestamps.parse) else { return false }
        return from.addingTimeInterval(TimeInterval(deadline)) < now
    }
}
