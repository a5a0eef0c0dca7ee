import Foundation

extension TablePrinter {
    static let podColumns: [TableColumn] = [
        .name,
        .string("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        .string("Status", "The aggregate status of the containers in this pod."),
        .string(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
        ),
        .age,
        .string("IP", SwaggerDoc.podStatusPodIP, priority: 1),
        .string("Node", SwaggerDoc.podSpecNodeName, priority: 1),
        .string("Nominated Node", SwaggerDoc.podStatusNominatedNodeName, priority: 1),
        .string("Readiness Gates", SwaggerDoc.podSpecReadinessGates, priority: 1),
    ]

    /// `podSuccessConditions` / `podFailedConditions`: a finished pod's row is marked Completed, which
    /// kubectl uses to hide it unless `--show-all` semantics apply.
    static func podRowConditions(_ pod: JSONValue) -> [JSONValue]? {
        switch pod.at("status.phase").string {
        case "Succeeded":
            return [["type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."]]
        case "Failed":
            return [["type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."]]
        default:
            return nil
        }
    }

    /// printPod: READY counts ready regular containers (and started sidecars) over all of them, STATUS
    /// is the most telling reason among phase, init containers, containers and deletion.
    static func podCells(_ pod: JSONValue, now: Date) -> [JSONValue] {
        let spec = pod["spec"]
        let status = pod["status"]
        let conditions = status["conditions"].array ?? []

        var restarts = 0
        var restartableInitRestarts = 0
        var totalContainers = (spec["containers"].array ?? []).count
        var readyContainers = 0
        var lastRestart: Date? = nil
        var lastRestartableInitRestart: Date? = nil

        let phase = string(status["phase"])
        var reason = phase
        if let r = status["reason"].string, !r.isEmpty { reason = r }
        for condition in conditions
        where condition["type"].string == "PodScheduled" && condition["reason"].string == "SchedulingGated" {
            reason = "SchedulingGated"
        }

        // A sidecar is an init container with restartPolicy Always; it counts as a regular container.
        var restartableInit: Set<String> = []
        let initSpecs = spec["initContainers"].array ?? []
        for container in initSpecs where container["restartPolicy"].string == "Always" {
            restartableInit.insert(string(container["name"]))
            totalContainers += 1
        }

        func later(_ a: Date?, _ terminated: JSONValue) -> Date? {
            guard !terminated.isNull else { return a }
            // A terminated state with no finishedAt is Go's zero time, which never wins.
            guard let finished = terminated["finishedAt"].string.flatMap(Timestamps.parse) else { return a }
            guard let a else { return finished }
            return finished > a ? finished : a
        }

        var initializing = false
        for (index, container) in (status["initContainerStatuses"].array ?? []).enumerated() {
            restarts += int(container["restartCount"])
            let lastTerminated = container.at("lastState.terminated")
            lastRestart = later(lastRestart, lastTerminated)
            let isRestartable = restartableInit.contains(string(container["name"]))
            if isRestartable {
                restartableInitRestarts += int(container["restartCount"])
                lastRestartableInitRestart = later(lastRestartableInitRestart, lastTerminated)
            }
            let terminated = container.at("state.terminated")
            let waiting = container.at("state.waiting")
            if !terminated.isNull && int(terminated["exitCode"]) == 0 { continue }
            if isRestartable && container["started"].bool == true {
                if container["ready"].bool == true { readyContainers += 1 }
                continue
            }
            if !terminated.isNull {
                // Initialization failed.
                if let r = terminated["reason"].string, !r.isEmpty {
                    reason = "Init:" + r
                } else if int(terminated["signal"]) != 0 {
                    reason = "Init:Signal:\(int(terminated["signal"]))"
                } else {
                    reason = "Init:ExitCode:\(int(terminated["exitCode"]))"
                }
            } else if let r = waiting["reason"].string, !r.isEmpty, r != "PodInitializing" {
                reason = "Init:" + r
            } else {
                reason = "Init:\(index)/\(initSpecs.count)"
            }
            initializing = true
            break
        }

        let initializedTrue = conditions.first { $0["type"].string == "Initialized" }?["status"].string == "True"
        if !initializing || initializedTrue {
            restarts = restartableInitRestarts
            lastRestart = lastRestartableInitRestart
            var hasRunning = false
            // Upstream walks the statuses last to first, so the first container's reason wins.
            for container in (status["containerStatuses"].array ?? []).reversed() {
                restarts += int(container["restartCount"])
                lastRestart = later(lastRestart, container.at("lastState.terminated"))
                let waiting = container.at("state.waiting")
                let terminated = container.at("state.terminated")
                if let r = waiting["reason"].string, !r.isEmpty {
                    reason = r
                } else if let r = terminated["reason"].string, !r.isEmpty {
                    reason = r
                } else if !terminated.isNull {
                    if int(terminated["signal"]) != 0 {
                        reason = "Signal:\(int(terminated["signal"]))"
                    } else {
                        reason = "ExitCode:\(int(terminated["exitCode"]))"
                    }
                } else if container["ready"].bool == true && !container.at("state.running").isNull {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            // A pod whose last container completed but another still runs is Running (or NotReady).
            if reason == "Completed" && hasRunning {
                let ready = conditions.contains { $0["type"].string == "Ready" && $0["status"].string == "True" }
                reason = ready ? "Running" : "NotReady"
            }
        }

        let deleting = !(pod.at("metadata.deletionTimestamp").isNull)
        if deleting && status["reason"].string == "NodeLost" {
            reason = "Unknown"
        } else if deleting && phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating"
        }

        var restartsText = String(restarts)
        if restarts != 0, let lastRestart {
            restartsText = "\(restarts) (\(HumanDuration.string(now.timeIntervalSince(lastRestart))) ago)"
        }

        // The internal type keeps only podIPs; conversion from v1 puts podIP first when it is set.
        var podIP = string(status["podIP"])
        if podIP.isEmpty { podIP = string(status["podIPs"][0]["ip"]) }
        var nodeName = string(spec["nodeName"])
        var nominated = string(status["nominatedNodeName"])
        if podIP.isEmpty { podIP = "<none>" }
        if nodeName.isEmpty { nodeName = "<none>" }
        if nominated.isEmpty { nominated = "<none>" }

        var readinessGates = "<none>"
        let gates = spec["readinessGates"].array ?? []
        if !gates.isEmpty {
            var trueConditions = 0
            for gate in gates {
                let type = gate["conditionType"].string
                if let condition = conditions.first(where: { $0["type"].string == type }),
                    condition["status"].string == "True"
                {
                    trueConditions += 1
                }
            }
            readinessGates = "\(trueConditions)/\(gates.count)"
        }

        return [
            name(pod), .string("\(readyContainers)/\(totalContainers)"), .string(reason), .string(restartsText),
            age(pod, now: now), .string(podIP), .string(nodeName), .string(nominated), .string(readinessGates),
        ]
    }
}
