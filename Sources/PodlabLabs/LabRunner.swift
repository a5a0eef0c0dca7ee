import Foundation

/// Runs a lab's steps in order: each command with a progress line, then each check.
public struct LabRunner: Sendable {
    public var cluster: LabCluster

    public init(cluster: LabCluster) { self.cluster = cluster }

    /// Runs steps `0..<through` (all by default) and reports; returns whether every check passed.
    @discardableResult
    public func run(_ lab: Lab, through: Int? = nil, reporter: LabReporter) -> Bool {
        reporter.labStarted(lab)
        // A cluster just started answers kubectl before cluster DNS is ready: wait for it (bounded), as a learner
        // would wait for `kubectl get pods -n kube-system` to settle.
        _ = cluster.kubectl(["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=60s"], timeout: 70)
        let before = reporter.records.count
        let last = min(through ?? lab.steps.count, lab.steps.count)
        for (i, step) in lab.steps.prefix(last).enumerated() {
            reporter.stepStarted(i, of: lab.steps.count, step)
            for command in step.commands {
                reporter.commandStarted(command)
                if command.place.needsNodeInternals, cluster.podlab == nil {
                    reporter.line("    (skipped: a node shell exists on podlab clusters only)")
                    continue
                }
                let result = cluster.run(command.run, in: command.place, timeout: command.timeout)
                let ok = !result.timedOut && ((result.status == 0) != command.expectFailure)
                reporter.commandFinished(command, result, ok: ok)
            }
            check(step, index: i, lab: lab, reporter: reporter)
        }
        reporter.labFinished(lab)
        return !reporter.records.dropFirst(before).contains { $0.outcome.isFailure }
    }

    /// Runs one step's checks (what `podlab lab check` does).
    public func check(_ step: LabStep, index: Int, lab: Lab, reporter: LabReporter, maxWait: Int = 300) {
        let checks = CheckRunner(cluster: cluster, maxWait: maxWait)
        for c in step.checks {
            let start = Date()
            let outcome = checks.run(c)
            reporter.checkFinished(CheckRecord(
                lab: lab.name, step: index, stepTitle: step.title, check: c.title, outcome: outcome,
                seconds: Date().timeIntervalSince(start)))
        }
    }

    /// Removes what the lab made: its cleanup commands, then its namespaces (waiting until they are gone).
    public func cleanUp(_ lab: Lab, reporter: LabReporter) {
        for command in lab.cleanup {
            _ = cluster.run(command, in: .vm, timeout: 60)
        }
        if !lab.namespaces.isEmpty {
            _ = cluster.kubectl(["delete", "namespace", "--ignore-not-found", "--wait=true", "--timeout=60s"] + lab.namespaces, timeout: 70)
        }
        reporter.line("cleaned up \(lab.name)" + (lab.namespaces.isEmpty ? "" : " (namespaces \(lab.namespaces.joined(separator: ", ")))"))
    }
}
