import Foundation

// Rollout strategies and scaling, after upstream deployment/rolling.go, recreate.go and sync.go.
extension DeploymentSync {
    // MARK: - RollingUpdate

    mutating func rolloutRolling() {
        guard ensureNewReplicaSet() else { return }
        if reconcileNewReplicaSet() || reconcileOldReplicaSets() {
            syncRolloutStatus()
            return
        }
        if isComplete(calculateStatus()) { cleanup() }
        syncRolloutStatus()
    }

    /// Scales the new ReplicaSet toward `replicas` within maxSurge; true when it scaled.
    mutating func reconcileNewReplicaSet() -> Bool {
        guard let n = newRS else { return false }
        let current = Self.specReplicas(n)
        if current == replicas { return false }
        if current > replicas {
            scaleAndRecord(n.ctl.name, to: replicas)
            return true
        }
        let target = newRSNewReplicas()
        guard target != current else { return false }
        scaleAndRecord(n.ctl.name, to: target)
        return true
    }

    /// Scales old ReplicaSets down as far as maxUnavailable allows; true when any scaled.
    mutating func reconcileOldReplicaSets() -> Bool {
        let oldCount = Self.sumSpec(oldRSs)
        guard oldCount > 0, let n = newRS else { return false }
        let allCount = Self.sumSpec(allRS)
        let minAvailable = replicas - maxUnavailable
        let newUnavailable = Self.specReplicas(n) - Self.statusInt(n, "availableReplicas")
        let maxScaledDown = allCount - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return false }
        let cleaned = cleanupUnhealthyReplicas(maxCleanup: maxScaledDown)
        let scaledDown = scaleDownOldForRollingUpdate()
        return cleaned + scaledDown > 0
    }

    /// Scales down old ReplicaSets' unavailable pods first, oldest ReplicaSet first.
    mutating func cleanupUnhealthyReplicas(maxCleanup: Int) -> Int {
        var total = 0
        for r in oldRSs {
            if total >= maxCleanup { break }
            let spec = Self.specReplicas(r)
            let available = Self.statusInt(r, "availableReplicas")
            if spec == 0 || spec == available { continue }
            let down = min(maxCleanup - total, spec - available)
            scale(r.ctl.name, to: spec - down)
            total += down
        }
        return total
    }

    /// Scales down old ReplicaSets while at least `replicas - maxUnavailable` pods stay available.
    mutating func scaleDownOldForRollingUpdate() -> Int {
        let minAvailable = replicas - maxUnavailable
        let available = Self.sumStatus(allRS, "availableReplicas")
        guard available > minAvailable else { return 0 }
        let totalDown = available - minAvailable
        var done = 0
        for r in oldRSs {
            if done >= totalDown { break }
            let spec = Self.specReplicas(r)
            if spec == 0 { continue }
            let down = min(spec, totalDown - done)
            scale(r.ctl.name, to: spec - down)
            done += down
        }
        return done
    }

    // MARK: - Recreate

    mutating func rolloutRecreate() {
        var scaledDown = false
        for r in Self.active(oldRSs) {
            scaleAndRecord(r.ctl.name, to: 0)
            scaledDown = true
        }
        if scaledDown || oldPodsRunning() {
            syncRolloutStatus()
            return
        }
        guard ensureNewReplicaSet() else { return }
        if let n = newRS { scaleAndRecord(n.ctl.name, to: replicas) }
        if isComplete(calculateStatus()) { cleanup() }
        syncRolloutStatus()
    }

    /// Whether any pod of an old ReplicaSet may still run (upstream oldPodsRunning).
    func oldPodsRunning() -> Bool {
        if Self.sumStatus(oldRSs, "replicas") > 0 { return true }
        let oldUIDs = Set(oldRSs.map(\.ctl.uid))
        return s.list(Resources.pods, namespace: ns).contains {
            oldUIDs.contains($0.ctl.controllerRef?["uid"].string ?? "") && $0.ctl.isNonTerminal
        }
    }

    // MARK: - Scaling events and proportional scaling (upstream sync.go)

    /// An active ReplicaSet was sized for another `spec.replicas`: the user scaled the Deployment.
    func isScalingEvent() -> Bool {
        Self.active(allRS).contains {
            guard let desired = $0.ctl.annotations[DeploymentController.desiredReplicasKey].flatMap({ Int($0) })
            else { return false }
            return desired != replicas
        }
    }

    /// Upstream `sync`: scale without rolling out, then update status.
    mutating func syncScale() {
        scaleProportionally()
        if d["spec"]["paused"].bool == true { cleanup() }
        status = calculateStatus()
    }

    mutating func scaleProportionally() {
        let newest = newRS
        // One active ReplicaSet (or none: the newest) takes the whole size.
        let active = Self.active(allRS)
        if active.count <= 1 {
            let target = active.first ?? newest ?? oldRSs.last
            // scale() also refreshes stale desired-replicas annotations, so isScalingEvent turns false again.
            if let t = target { scale(t.ctl.name, to: replicas) }
            return
        }
        if let n = newest, isSaturated(n) {
            for r in Self.active(oldRSs) { scaleAndRecord(r.ctl.name, to: 0) }
            return
        }
        guard isRolling else { return }
        let total = Self.sumSpec(active)
        let allowed = replicas > 0 ? replicas + maxSurge : 0
        let toAdd = allowed - total
        let ordered: [JSONValue]
        let operation: String
        // Larger ReplicaSets first; on equal size, newer first when growing and older first when shrinking.
        if toAdd > 0 {
            ordered = active.sorted {
                Self.specReplicas($0) != Self.specReplicas($1)
                    ? Self.specReplicas($0) > Self.specReplicas($1) : created($0) > created($1)
            }
            operation = "up"
        } else {
            ordered = active.sorted {
                Self.specReplicas($0) != Self.specReplicas($1)
                    ? Self.specReplicas($0) > Self.specReplicas($1) : created($0) < created($1)
            }
            operation = "down"
        }
        var added = 0
        var sizes: [String: Int] = [:]
        for r in ordered {
            let p = toAdd != 0 ? proportion(r, toAdd: toAdd, added: added) : 0
            sizes[r.ctl.name] = Self.specReplicas(r) + p
            added += p
        }
        for (i, r) in ordered.enumerated() {
            var size = sizes[r.ctl.name] ?? 0
            if i == 0 && toAdd != 0 { size = max(0, size + toAdd - added) }
            scale(r.ctl.name, to: size, operation: operation)
        }
    }

    func isSaturated(_ n: JSONValue) -> Bool {
        Self.specReplicas(n) == replicas
            && n.ctl.annotations[DeploymentController.desiredReplicasKey] == String(replicas)
            && Self.statusInt(n, "availableReplicas") == replicas
    }

    /// Upstream GetProportion / getReplicaSetFraction.
    func proportion(_ r: JSONValue, toAdd: Int, added: Int) -> Int {
        let spec = Self.specReplicas(r)
        guard spec != 0, toAdd != added else { return 0 }
        let fraction: Int
        if replicas == 0 {
            fraction = -spec
        } else {
            var before = r.ctl.annotations[DeploymentController.maxReplicasKey].flatMap { Int($0) } ?? 0
            if before == 0 { before = d["status"]["replicas"].int ?? 0 }
            if before == 0 {
                fraction = 0
            } else {
                let size = Double(spec * (replicas + maxSurge)) / Double(before)
                fraction = Int(size.rounded(.toNearestOrAwayFromZero)) - spec
            }
        }
        let allowed = toAdd - added
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }
}
