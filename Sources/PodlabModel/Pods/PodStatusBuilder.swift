import Foundation

/// What a node agent knows about one container, from which the pod's status is computed as kubelet does.
public struct ContainerReport: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// Not running: `ContainerCreating`, `ErrImagePull`, `ImagePullBackOff`, `CrashLoopBackOff`,
        /// `CreateContainerConfigError`...
        case waiting(reason: String, message: String?)
        case running(startedAt: Date)
        case terminated(ContainerExit)
    }
    public var name: String
    public var image: String
    public var state: State
    /// The previous run's end, shown as lastState.terminated after a restart.
    public var lastTermination: ContainerExit?
    public var ready: Bool
    public var restartCount: Int
    public var containerID: String?

    public init(
        name: String, image: String, state: State, lastTermination: ContainerExit? = nil, ready: Bool = false,
        restartCount: Int = 0, containerID: String? = nil
    ) {
        self.name = name
        self.image = image
        self.state = state
        self.lastTermination = lastTermination
        self.ready = ready
        self.restartCount = restartCount
        self.containerID = containerID
    }
}

/// The node agent's view of a pod's sandbox and containers.
public struct PodReport: Sendable, Hashable {
    public var podIP: String?
    public var hostIP: String
    public var startTime: Date
    public var containers: [ContainerReport]
    public init(podIP: String?, hostIP: String, startTime: Date, containers: [ContainerReport]) {
        self.podIP = podIP
        self.hostIP = hostIP
        self.startTime = startTime
        self.containers = containers
    }
}

/// Computes a pod's `status` from the node agent's report, as kubelet's status manager does: phase, the
/// conditions (keeping each one's lastTransitionTime while its status is unchanged), IPs and containerStatuses.
public enum PodStatusBuilder {
    public static func status(of pod: JSONValue, report: PodReport, now: Date) -> JSONValue {
        let old = pod["status"]
        let restartPolicy = pod["spec"]["restartPolicy"].string ?? "Always"
        let phase = self.phase(report.containers, restartPolicy: restartPolicy)
        let allReady = !report.containers.isEmpty && report.containers.allSatisfy { $0.ready }
        let hasSandbox = report.podIP != nil
        let terminal = phase == "Succeeded" || phase == "Failed"
        let notReadyNames = report.containers.filter { !$0.ready }.map(\.name)
        let notReadyMessage = "containers with unready status: [\(notReadyNames.joined(separator: " "))]"

        var conditions: [JSONValue] = []
        func condition(_ type: String, _ ok: Bool, reason: String? = nil, message: String? = nil) {
            let status = ok ? "True" : "False"
            let previous = (old["conditions"].array ?? []).first { $0["type"].string == type }
            let since = previous?["status"].string == status ? previous?["lastTransitionTime"] : nil
            var c: JSONValue = [
                "type": .string(type), "status": .string(status), "lastProbeTime": nil,
                "lastTransitionTime": since ?? .string(Timestamps.format(now)),
            ]
            if !ok, let reason { c["reason"] = .string(reason) }
            if !ok, let message { c["message"] = .string(message) }
            if terminal, ok == false, type == "Ready" || type == "ContainersReady" { c["reason"] = "PodCompleted" }
            conditions.append(c)
        }
        condition("PodReadyToStartContainers", hasSandbox)
        condition("Initialized", true)
        condition("Ready", allReady, reason: "ContainersNotReady", message: notReadyMessage)
        condition("ContainersReady", allReady, reason: "ContainersNotReady", message: notReadyMessage)
        if let scheduled = (old["conditions"].array ?? []).first(where: { $0["type"].string == "PodScheduled" }) {
            conditions.append(scheduled)
        } else {
            condition("PodScheduled", true)
        }

        var s: JSONValue = [
            "phase": .string(phase), "conditions": .array(conditions),
            "hostIP": .string(report.hostIP), "hostIPs": [["ip": .string(report.hostIP)]],
            "startTime": .string(Timestamps.format(report.startTime)),
            "qosClass": old["qosClass"].isNull ? "BestEffort" : old["qosClass"],
            "containerStatuses": .array(report.containers.map(containerStatus)),
        ]
        if let ip = report.podIP {
            s["podIP"] = .string(ip)
            s["podIPs"] = [["ip": .string(ip)]]
        }
        return s
    }

    /// kubelet's getPhase for a pod without init containers.
    public static func phase(_ containers: [ContainerReport], restartPolicy: String) -> String {
        var running = 0, waiting = 0, stopped = 0, succeeded = 0, everRan = 0
        for c in containers {
            switch c.state {
            case .running:
                running += 1
                everRan += 1
            case .terminated(let exit):
                stopped += 1
                everRan += 1
                if exit.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if c.lastTermination != nil {
                    stopped += 1
                    everRan += 1
                } else {
                    waiting += 1
                }
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 && stopped == containers.count {
            if restartPolicy == "Always" { return "Running" }
            if succeeded == stopped { return "Succeeded" }
            return restartPolicy == "OnFailure" ? "Running" : "Failed"
        }
        return "Pending"
    }

    static func containerStatus(_ c: ContainerReport) -> JSONValue {
        var state: JSONValue
        var started = false
        switch c.state {
        case .waiting(let reason, let message):
            var w: JSONValue = ["reason": .string(reason)]
            if let message { w["message"] = .string(message) }
            state = ["waiting": w]
        case .running(let at):
            state = ["running": ["startedAt": .string(Timestamps.format(at))]]
            started = true
        case .terminated(let exit):
            state = ["terminated": terminated(exit, containerID: c.containerID)]
        }
        var out: JSONValue = [
            "name": .string(c.name), "image": .string(c.image), "imageID": .string(imageID(c.image)),
            "state": state, "lastState": c.lastTermination.map { ["terminated": terminated($0, containerID: nil)] } ?? [:],
            "ready": .bool(c.ready), "restartCount": .int(Int64(c.restartCount)), "started": .bool(started),
        ]
        if let id = c.containerID { out["containerID"] = .string(id) }
        return out
    }

    static func terminated(_ e: ContainerExit, containerID: String?) -> JSONValue {
        var t: JSONValue = [
            "exitCode": .int(Int64(e.exitCode)), "reason": .string(e.reason),
            "startedAt": .string(e.startedAt), "finishedAt": .string(e.finishedAt),
        ]
        if let sig = e.signal { t["signal"] = .int(Int64(sig)) }
        if let m = e.message { t["message"] = .string(m) }
        if let containerID { t["containerID"] = .string(containerID) }
        return t
    }

    /// An image ID in the runtime's shape; podlab's images are built in, so the digest names the image itself.
    static func imageID(_ image: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in image.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return "podlab.builtin/\(BuiltinImage.repository(of: image))@sha256:" + String(repeating: hex, count: 4)
    }
}
