import Foundation
import PodlabModel

/// A pod as its node agent runs it: the network namespace, the address, and one run per container.
struct Sandbox: Sendable {
    var uid: String
    var namespace: String
    var name: String
    var node: String
    var netns: String
    var hostVeth: String
    var ip: String
    var dir: String
    var resolvConf: String
    var hosts: String
    var startTime: Date
    var containers: [ContainerRun]
}

/// One container of a sandbox: its shim process, restarts and probe state.
struct ContainerRun: Sendable {
    var spec: Container
    var runDir: String
    var pid: pid_t?
    var startedAt: Date?
    var restartCount = 0
    /// The previous run's end (lastState), and the final one when the restartPolicy says not to restart.
    var lastExit: ContainerExit?
    var terminated: ContainerExit?
    /// Why the container is not running, when it is not (ErrImagePull, CreateContainerConfigError...).
    var waiting: (reason: String, message: String?)?
    var backoffUntil: Date?
    /// The responder answers on its port (a shell container serves nothing and counts at once).
    var serving = false
    var ready = false
    var readinessSuccesses = 0
    var readinessFailures = 0
    var livenessFailures = 0
    var nextReadiness = Date.distantPast
    var nextLiveness = Date.distantPast
    /// Whether ErrImagePull was reported already (the next report says ImagePullBackOff, as kubelet alternates).
    var pullFailedAt: Date?

    init(spec: Container, runDir: String) {
        self.spec = spec
        self.runDir = runDir
    }

    var name: String { spec.name ?? "main" }
    var image: String { spec.image ?? "" }
    var builtin: BuiltinImage? { BuiltinImage.classify(image) }

    /// This container as the status builder sees it.
    func report(now: Date) -> ContainerReport {
        let state: ContainerReport.State
        if let pid, let startedAt, pid > 0 {
            state = .running(startedAt: startedAt)
        } else if let terminated {
            state = .terminated(terminated)
        } else if let waiting {
            state = .waiting(reason: waiting.reason, message: waiting.message)
        } else {
            state = .waiting(reason: "ContainerCreating", message: nil)
        }
        return ContainerReport(
            name: name, image: image, state: state, lastTermination: terminated == nil ? lastExit : nil,
            ready: pid != nil && ready, restartCount: restartCount,
            containerID: pid.map { "podlab://\(runDir.split(separator: "/").suffix(2).joined(separator: "-"))-\($0)" })
    }
}
