import Foundation
import PodlabModel
import PodlabStore

extension NodeAgent {
    /// kubelet's crash-loop back-off: 10 s doubling to 5 min; the first restart is immediate.
    static func backoff(restarts: Int) -> TimeInterval {
        restarts <= 1 ? 0 : min(300, 10 * pow(2, Double(restarts - 2)))
    }

    // MARK: - Supervise

    /// One pass over a sandbox: start or restart containers, notice exits, run due probes, report status.
    func supervise(_ start: Sandbox, pod: JSONValue) async {
        let now = Date()
        let restartPolicy = pod.at("spec.restartPolicy").string ?? "Always"
        for i in start.containers.indices {
            guard var run = sandboxes[start.uid]?.containers[i] else { return }
            if let pid = run.pid {
                if case .exited(let status) = ProcessWatch.poll(pid) {
                    run = await containerExited(run, status: status, restartPolicy: restartPolicy, pod: pod)
                } else {
                    run = await probe(run, sandbox: start, pod: pod, now: now)
                }
            } else if run.terminated == nil, run.backoffUntil.map({ now >= $0 }) ?? true {
                run = await startContainer(run, sandbox: start, pod: pod)
            }
            sandboxes[start.uid]?.containers[i] = run
        }
        guard let sb = sandboxes[start.uid] else { return }
        let report = PodReport(
            podIP: sb.ip, hostIP: nodes[sb.node]?.wireIP ?? "", startTime: sb.startTime,
            containers: sb.containers.map { $0.report(now: now) })
        let status = PodStatusBuilder.status(of: pod, report: report, now: now)
        if status != pod["status"] {
            _ = try? await store.modify(Resources.pods, namespace: sb.namespace, name: sb.name) { current in
                guard current.podKey.uid == sb.uid else { return current }
                var o = current
                o["status"] = PodStatusBuilder.status(of: current, report: report, now: now)
                return o
            }
        }
    }

    func startContainer(_ start: ContainerRun, sandbox sb: Sandbox, pod: JSONValue) async -> ContainerRun {
        var run = start
        guard let builtin = run.builtin else {
            // No registry behind podlab: an unknown image fails to pull, then backs off, as on a cluster
            // whose registry has no such image.
            let message = BuiltinImage.pullErrorMessage(for: run.image)
            if run.pullFailedAt == nil {
                run.pullFailedAt = Date()
                run.waiting = ("ErrImagePull", message)
                await recordEvent(pod, type: "Normal", reason: "Pulling", message: "Pulling image \"\(run.image)\"")
                await recordEvent(pod, type: "Warning", reason: "Failed",
                                  message: "Failed to pull image \"\(run.image)\": \(message)")
                await recordEvent(pod, type: "Warning", reason: "Failed", message: "Error: ErrImagePull")
            } else if let at = run.pullFailedAt, Date().timeIntervalSince(at) > 5, run.waiting?.reason == "ErrImagePull" {
                run.waiting = ("ImagePullBackOff", "Back-off pulling image \"\(run.image)\": ErrImagePull: \(message)")
                await recordEvent(pod, type: "Normal", reason: "BackOff", message: "Back-off pulling image \"\(run.image)\"")
                await recordEvent(pod, type: "Warning", reason: "Failed", message: "Error: ImagePullBackOff")
            }
            return run
        }
        let typed: Pod
        do { typed = try pod.decode(as: Pod.self) } catch { return run }
        let env: [ContainerLaunch.EnvPair]
        do {
            env = try PodEnvironment.build(.init(
                pod: typed, container: run.spec, podIP: sb.ip, hostIP: nodes[sb.node]?.wireIP ?? "",
                services: await typedList(Resources.services), configMaps: await typedList(Resources.configMaps),
                secrets: await typedList(Resources.secrets)))
        } catch {
            if run.waiting?.reason != "CreateContainerConfigError" {
                await recordEvent(pod, type: "Warning", reason: "Failed", message: "Error: \(error)")
            }
            run.waiting = ("CreateContainerConfigError", "\(error)")
            run.backoffUntil = Date().addingTimeInterval(2)
            return run
        }
        let launch = ContainerLaunch(
            podNamespace: sb.namespace, podName: sb.name, podUID: sb.uid, containerName: run.name, image: run.image,
            builtin: builtin, netnsPath: "/run/netns/" + sb.netns, hostname: PodFiles.hostname(for: typed),
            resolvConfPath: sb.resolvConf, hostsPath: sb.hosts, command: run.spec.command, args: run.spec.args,
            workingDir: run.spec.workingDir, env: env,
            ports: (run.spec.ports ?? []).map {
                .init(name: $0.name, containerPort: Int($0.containerPort ?? 0), protocol: $0.protocol ?? "TCP")
            },
            podIP: sb.ip, stdin: run.spec.stdin ?? false, stdinOnce: run.spec.stdinOnce ?? false,
            tty: run.spec.tty ?? false, runDir: run.runDir)
        do {
            let fm = FileManager.default
            try fm.createDirectory(atPath: run.runDir, withIntermediateDirectories: true)
            let log = run.runDir + "/container.log"
            if fm.fileExists(atPath: log) {
                try? fm.removeItem(atPath: run.runDir + "/previous.log")
                try fm.moveItem(atPath: log, toPath: run.runDir + "/previous.log")
            }
            for stale in ["shim.pid", ContainerExit.fileName, "attach.sock"] { try? fm.removeItem(atPath: run.runDir + "/" + stale) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(launch).write(to: URL(fileURLWithPath: run.runDir + "/" + ContainerLaunch.fileName))
            if run.restartCount == 0 && run.startedAt == nil {
                await recordEvent(pod, type: "Normal", reason: "Pulled",
                                  message: "Container image \"\(run.image)\" already present on machine")
            }
            let pid = try Spawn.detached(
                [executable, "internal", "container", run.runDir], logFile: run.runDir + "/shim.err")
            run.pid = pid
            run.startedAt = Date()
            run.waiting = nil
            run.serving = false
            run.ready = false
            run.readinessSuccesses = 0
            run.readinessFailures = 0
            run.livenessFailures = 0
            let delayR = Double(run.spec.readinessProbe?.initialDelaySeconds ?? 0)
            let delayL = Double(run.spec.livenessProbe?.initialDelaySeconds ?? 0)
            run.nextReadiness = Date().addingTimeInterval(delayR)
            run.nextLiveness = Date().addingTimeInterval(delayL)
            await recordEvent(pod, type: "Normal", reason: "Created", message: "Created container \(run.name)")
            await recordEvent(pod, type: "Normal", reason: "Started", message: "Started container \(run.name)")
        } catch {
            run.waiting = ("RunContainerError", "\(error)")
            run.backoffUntil = Date().addingTimeInterval(5)
            logger.error("pod \(sb.namespace)/\(sb.name) container \(run.name): \(error)")
        }
        return run
    }

    func containerExited(_ start: ContainerRun, status: Int32?, restartPolicy: String, pod: JSONValue) async -> ContainerRun {
        var run = start
        let now = Date()
        var exit: ContainerExit
        if let data = FileManager.default.contents(atPath: run.runDir + "/" + ContainerExit.fileName),
            let written = try? JSONDecoder().decode(ContainerExit.self, from: data)
        {
            exit = written
        } else {
            let (code, sig) = status.map(ProcessWatch.exitCode) ?? (137, 9)
            exit = ContainerExit(
                exitCode: code, signal: sig, reason: code == 0 ? "Completed" : "Error",
                startedAt: Timestamps.format(run.startedAt ?? now), finishedAt: Timestamps.format(now))
        }
        if run.livenessFailures > 0 && exit.exitCode != 0 { exit.reason = "Error" }
        run.pid = nil
        run.ready = false
        run.serving = false
        let restart = restartPolicy == "Always" || (restartPolicy == "OnFailure" && exit.exitCode != 0)
        if restart {
            run.lastExit = exit
            run.restartCount += 1
            let delay = Self.backoff(restarts: run.restartCount)
            run.backoffUntil = now.addingTimeInterval(delay)
            if delay > 0 {
                run.waiting = ("CrashLoopBackOff",
                               "back-off \(Int(delay))s restarting failed container=\(run.name) pod=\(pod.podKey.name)_\(pod.podKey.namespace)(\(pod.podKey.uid))")
                await recordEvent(pod, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container \(run.name) in pod \(pod.podKey.name)_\(pod.podKey.namespace)(\(pod.podKey.uid))")
            }
        } else {
            run.terminated = exit
        }
        return run
    }

    func probe(_ start: ContainerRun, sandbox sb: Sandbox, pod: JSONValue, now: Date) async -> ContainerRun {
        var run = start
        guard let node = nodes[sb.node] else { return run }
        let ip = sb.ip
        let net = self.net
        if !run.serving, run.builtin == .shell || run.builtin == nil {
            // A command counts as started once its shim runs it, and (with stdin or a tty) serves attach.sock:
            // `kubectl run -i` attaches as soon as the pod is ready, and must find something to attach to.
            let files = ["shim.pid"] + (run.spec.stdin == true || run.spec.tty == true ? ["attach.sock"] : [])
            let exit = FileManager.default.fileExists(atPath: run.runDir + "/" + ContainerExit.fileName)
            guard exit || files.allSatisfy({ FileManager.default.fileExists(atPath: run.runDir + "/" + $0) }) else { return run }
            run.serving = true
        }
        if !run.serving {
            // A responder counts as started once its port answers, so "Running" means it serves.
            guard let port = run.builtin.flatMap({ b in
                (run.spec.ports ?? []).first(where: { ($0.protocol ?? "TCP") == "TCP" }).map { Int($0.containerPort ?? 0) } ?? b.defaultPort
            }) else {
                run.serving = true
                return run
            }
            let r = try? await blocking { try net.inNode(node) { Prober.tcp(ip: ip, port: port, timeout: 0.2) } }
            if r == .success { run.serving = true } else { return run }
        }
        if let probe = run.spec.readinessProbe {
            if now >= run.nextReadiness {
                run.nextReadiness = now.addingTimeInterval(Double(probe.periodSeconds ?? 10))
                let result = await runProbe(probe, run: run, node: node, ip: ip)
                if result == .success {
                    run.readinessSuccesses += 1
                    run.readinessFailures = 0
                    if run.readinessSuccesses >= Int(probe.successThreshold ?? 1) { run.ready = true }
                } else {
                    run.readinessFailures += 1
                    run.readinessSuccesses = 0
                    if case .failure(let why) = result, run.readinessFailures == 1 || run.ready {
                        await recordEvent(pod, type: "Warning", reason: "Unhealthy", message: "Readiness probe failed: \(why)")
                    }
                    if run.readinessFailures >= Int(probe.failureThreshold ?? 3) || !run.ready { run.ready = false }
                }
            }
        } else {
            run.ready = true
        }
        if let probe = run.spec.livenessProbe, now >= run.nextLiveness, let pid = run.pid {
            run.nextLiveness = now.addingTimeInterval(Double(probe.periodSeconds ?? 10))
            let result = await runProbe(probe, run: run, node: node, ip: ip)
            if case .failure(let why) = result {
                run.livenessFailures += 1
                await recordEvent(pod, type: "Warning", reason: "Unhealthy", message: "Liveness probe failed: \(why)")
                if run.livenessFailures >= Int(probe.failureThreshold ?? 3) {
                    await recordEvent(pod, type: "Normal", reason: "Killing",
                                      message: "Container \(run.name) failed liveness probe, will be restarted")
                    kill(pid, SIGTERM)  // the shim stops the whole process group of the command
                }
            } else {
                run.livenessFailures = 0
            }
        }
        return run
    }

    func runProbe(_ probe: Probe, run: ContainerRun, node: NodeNet, ip: String) async -> Prober.Result {
        let net = self.net
        let spec = run.spec
        if probe.exec != nil {
            let argv = [executable, "internal", "nsexec", run.runDir, "--"] + (probe.exec?.command ?? [])
            let timeout = Double(probe.timeoutSeconds ?? 1)
            return (try? await blocking { Self.runExecProbe(argv, timeout: timeout) }) ?? .failure("exec probe failed to start")
        }
        let r = try? await blocking { try net.inNode(node) { Prober.run(probe, container: spec, ip: ip) } }
        return (r ?? nil) ?? .failure("probe could not run in node \(node.name)")
    }

    static func runExecProbe(_ argv: [String], timeout: Double) -> Prober.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return .failure("\(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return .failure("command timed out after \(Int(timeout))s")
        }
        return p.terminationStatus == 0 ? .success : .failure("command exited with \(p.terminationStatus)")
    }

    // MARK: - Stop

    /// A pod with a deletionTimestamp: stop its containers within the grace period, remove the sandbox,
    /// then remove the object (kubelet's final delete with grace 0).
    func finishDeletion(_ pod: JSONValue) async {
        let c = pod.podKey
        if let sb = sandboxes[c.uid] {
            let grace = pod.at("metadata.deletionGracePeriodSeconds").int ?? 30
            for run in sb.containers where run.pid != nil {
                await recordEvent(pod, type: "Normal", reason: "Killing", message: "Stopping container \(run.name)")
            }
            await destroy(sb, grace: grace)
        }
        _ = try? await store.delete(Resources.pods, namespace: c.namespace, name: c.name, preconditionUID: c.uid)
    }

    /// Stops the sandbox's shims (SIGTERM, then SIGKILL after `grace` seconds) and removes its network.
    func destroy(_ sb: Sandbox, grace: Int) async {
        sandboxes.removeValue(forKey: sb.uid)
        let pids = sb.containers.compactMap(\.pid)
        for pid in pids { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(Double(max(0, grace)))
        while pids.contains(where: { ProcessWatch.poll($0) == .running }), Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for pid in pids where ProcessWatch.poll(pid) == .running {
            kill(pid, SIGKILL)
            _ = try? await blocking { var s: Int32 = 0; return waitpid(pid, &s, 0) }
        }
        let net = self.net
        if let node = nodes[sb.node] {
            do {
                try await blocking { try net.teardownPod(netns: sb.netns, node: node, hostVeth: sb.hostVeth) }
            } catch {
                logger.error("pod \(sb.namespace)/\(sb.name): network teardown: \(error)")
            }
        }
        try? FileManager.default.removeItem(atPath: sb.dir)
        logger.info("pod \(sb.namespace)/\(sb.name): sandbox removed")
    }

    /// On daemon shutdown the pods keep running (a restarted daemon adopts them); only reap finished children.
    func stopAllProcesses() async {}

    // MARK: - Helpers

    func typedList<T: KubeObject>(_ r: ResourceInfo) async -> [T] {
        await store.list(r, namespace: nil).items.compactMap { try? $0.decode(as: T.self) }
    }

    func recordEvent(_ pod: JSONValue, type: String, reason: String, message: String) async {
        eventCounter &+= 1
        let e = EventFactory.make(
            involved: pod, resource: Resources.pods, type: type, reason: reason, message: message,
            component: "kubelet", now: Date(), uniquifier: eventCounter)
        _ = try? await store.create(Resources.events, e)
    }
}
