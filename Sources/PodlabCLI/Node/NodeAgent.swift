import Foundation
import Logging
import PodlabModel
import PodlabStore

/// What the node agent needs from the privileged network layer, per pod. Implemented over PodlabNet's
/// NetworkManager; a protocol so the agent's bookkeeping reads apart from the kernel calls.
protocol PodNetworking: Sendable {
    /// Creates the pod's pinned netns, its veth on the node's cni0, the address and default route. Idempotent.
    func setupPod(netns: String, node: NodeNet, hostVeth: String, ip: String) throws
    /// Removes the pod's veth and netns pin; already gone is success.
    func teardownPod(netns: String, node: NodeNet, hostVeth: String) throws
    /// Runs `body` on a thread inside the node's network namespace (probes connect from the node).
    func inNode<T: Sendable>(_ node: NodeNet, _ body: @escaping @Sendable () -> T) throws -> T
    /// The pod namespaces that exist now (for adoption after a restart).
    func podNetnsNames() -> Set<String>
}

/// One node's addresses, as the topology made them.
struct NodeNet: Sendable, Hashable {
    var name: String
    var netns: String
    var wireIP: String
    var podCIDR: IPv4CIDR
}

/// kubelet's job for every node of the cluster: runs the pods bound to them (a pinned netns with a veth on
/// the node's bridge, a container shim per container), restarts containers by restartPolicy, runs probes,
/// reports pod status, and finishes graceful deletion. One actor for all nodes: the pods are few and the
/// slow parts (netlink, process start, probes) run off the actor on Dispatch threads.
actor NodeAgent {
    let store: ClusterStore
    let net: any PodNetworking
    let nodes: [String: NodeNet]
    let podsDir: String
    let executable: String
    let netNames: @Sendable (_ namespace: String, _ name: String) -> String
    let vethName: @Sendable (_ uid: String) -> String
    let dns: PodFiles.DNS
    let logger: Logger

    var sandboxes: [String: Sandbox] = [:]
    var ipam: [String: PodIPAM] = [:]
    /// Pods whose sandbox is being made right now (the actor is re-entered meanwhile).
    /// Pods (by uid) that a pod worker task is starting or deleting; passes leave them alone meanwhile.
    var busy: Set<String> = []
    var eventCounter = 0

    init(
        store: ClusterStore, net: any PodNetworking, nodes: [NodeNet], podsDir: String, executable: String,
        netNames: @escaping @Sendable (String, String) -> String, vethName: @escaping @Sendable (String) -> String,
        dns: PodFiles.DNS = .init(), logger: Logger
    ) {
        self.store = store
        self.net = net
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0) })
        self.podsDir = podsDir
        self.executable = executable
        self.netNames = netNames
        self.vethName = vethName
        self.dns = dns
        self.logger = logger
        for n in nodes { ipam[n.name] = PodIPAM(cidr: n.podCIDR) }
    }

    /// Marks the nodes Ready, adopts what a previous daemon left running, then reconciles until cancelled.
    func run() async {
        await markNodesReady()
        await adopt()
        // A pass runs when the store changed (a new pod should start at once) and at least every 100 ms
        // (exits, back-offs and probes are timed).
        var seen: Int64 = -1
        var last = ContinuousClock.now
        let quiet: Set<ResourceInfo> = [Resources.events]
        while !Task.isCancelled {
            let rv = await store.lastChange(excluding: quiet)
            if rv != seen || ContinuousClock.now - last >= .milliseconds(100) {
                seen = rv
                last = ContinuousClock.now
                await reconcile()
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        await stopAllProcesses()
    }

    // MARK: - Nodes

    func markNodesReady() async {
        let now = Timestamps.format(Date())
        for node in nodes.values {
            _ = try? await store.modify(Resources.nodes, namespace: nil, name: node.name) { current in
                var o = current
                o.set("status.addresses", [
                    ["type": "InternalIP", "address": .string(node.wireIP)],
                    ["type": "Hostname", "address": .string(node.name)],
                ])
                func cond(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
                    [
                        "type": .string(type), "status": .string(status), "reason": .string(reason),
                        "message": .string(message), "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now),
                    ]
                }
                o.set("status.conditions", [
                    cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ])
                o.set("status.nodeInfo.containerRuntimeVersion", "podlab://builtin")
                o.set("status.nodeInfo.kernelVersion", .string(Self.kernelRelease()))
                o.set("status.nodeInfo.osImage", "podlab node (Linux network namespace)")
                o.set("status.capacity", ["cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "20Gi"])
                o.set("status.allocatable", ["cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "20Gi"])
                return o
            }
        }
    }

    static func kernelRelease() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    // MARK: - Reconcile

    func reconcile() async {
        let pods = await store.list(Resources.pods, namespace: nil).items
        var present: Set<String> = []
        var toStart: [(JSONValue, NodeNet)] = []
        var toFinish: [JSONValue] = []
        for pod in pods {
            let c = pod.podKey
            guard let nodeName = pod.at("spec.nodeName").string, let node = nodes[nodeName] else { continue }
            present.insert(c.uid)
            if busy.contains(c.uid) { continue }
            if pod.at("metadata.deletionTimestamp").string != nil {
                toFinish.append(pod)
                continue
            }
            if sandboxes[c.uid] == nil {
                let phase = pod.at("status.phase").string
                if phase == "Succeeded" || phase == "Failed" { continue }
                toStart.append((pod, node))
            }
        }
        // Starts and deletions run as pod workers of their own (as kubelet's do): a new pod starts at once
        // instead of waiting for the pass in progress, and a pod that takes its whole grace period to stop
        // holds up nothing else.
        for (pod, node) in toStart {
            let uid = pod.podKey.uid
            busy.insert(uid)
            Task {
                await self.startSandbox(pod, node: node)
                if let sb = self.sandboxes[uid] { await self.supervise(sb, pod: pod) }
                self.busy.remove(uid)
            }
        }
        for pod in toFinish {
            let uid = pod.podKey.uid
            busy.insert(uid)
            Task {
                await self.finishDeletion(pod)
                self.busy.remove(uid)
            }
        }
        // Pods deleted at once (grace 0, or never started): tear their sandboxes down.
        for (uid, sb) in sandboxes where !present.contains(uid) && !busy.contains(uid) {
            busy.insert(uid)
            Task {
                await self.destroy(sb, grace: 0)
                self.busy.remove(uid)
            }
        }
        let byUID = Dictionary(pods.map { ($0.podKey.uid, $0) }, uniquingKeysWith: { a, _ in a })
        await withTaskGroup(of: Void.self) { group in
            for uid in Array(sandboxes.keys) where !busy.contains(uid) {
                guard let sb = sandboxes[uid], let pod = byUID[uid], pod.at("metadata.deletionTimestamp").string == nil
                else { continue }
                group.addTask { await self.supervise(sb, pod: pod) }
            }
        }
    }

    // MARK: - Start

    func startSandbox(_ pod: JSONValue, node: NodeNet) async {
        let c = pod.podKey
        let typed: Pod
        do { typed = try pod.decode(as: Pod.self) } catch {
            logger.error("pod \(c.namespace)/\(c.name): cannot decode: \(error)")
            return
        }
        let used = Set(sandboxes.values.filter { $0.node == node.name }.compactMap { IPv4Address($0.ip) })
        guard var pool = ipam[node.name], let ip = pool.allocate(used: used) else {
            logger.error("node \(node.name): no free pod address in \(node.podCIDR)")
            return
        }
        ipam[node.name] = pool
        let netns = netNames(c.namespace, c.name)
        let veth = vethName(c.uid)
        let dir = podsDir + "/" + c.uid
        let resolv = dir + "/resolv.conf"
        let hosts = dir + "/hosts"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try PodFiles.resolvConf(for: typed, dns: dns).write(toFile: resolv, atomically: true, encoding: .utf8)
            try PodFiles.hosts(for: typed, podIP: ip.description).write(toFile: hosts, atomically: true, encoding: .utf8)
            let net = self.net
            let ipText = ip.description
            try await blocking { try net.setupPod(netns: netns, node: node, hostVeth: veth, ip: ipText) }
        } catch {
            logger.error("pod \(c.namespace)/\(c.name): sandbox failed: \(error)")
            await recordEvent(pod, type: "Warning", reason: "FailedCreatePodSandBox",
                              message: "Failed to create pod sandbox: \(error)")
            return
        }
        var sb = Sandbox(
            uid: c.uid, namespace: c.namespace, name: c.name, node: node.name, netns: netns, hostVeth: veth,
            ip: ip.description, dir: dir, resolvConf: resolv, hosts: hosts, startTime: Date(), containers: [])
        for container in typed.spec?.containers ?? [] {
            sb.containers.append(ContainerRun(spec: container, runDir: dir + "/" + (container.name ?? "main")))
        }
        sandboxes[c.uid] = sb
        logger.info("pod \(c.namespace)/\(c.name): sandbox \(netns) on \(node.name) with IP \(ip)")
    }

    /// Re-attaches to sandboxes a previous daemon left: a pod in the store bound to one of our nodes, whose
    /// netns still exists and whose status carries its IP, keeps its IP and its running shims.
    func adopt() async {
        let existing = net.podNetnsNames()
        for pod in await store.list(Resources.pods, namespace: nil).items {
            let c = pod.podKey
            guard let nodeName = pod.at("spec.nodeName").string, let node = nodes[nodeName],
                let ip = pod.at("status.podIP").string, let typed = try? pod.decode(as: Pod.self)
            else { continue }
            let netns = netNames(c.namespace, c.name)
            guard existing.contains(netns) else { continue }
            let dir = podsDir + "/" + c.uid
            var sb = Sandbox(
                uid: c.uid, namespace: c.namespace, name: c.name, node: node.name, netns: netns,
                hostVeth: vethName(c.uid), ip: ip, dir: dir, resolvConf: dir + "/resolv.conf", hosts: dir + "/hosts",
                startTime: pod.at("status.startTime").string.flatMap(Timestamps.parse) ?? Date(), containers: [])
            let statuses = pod.at("status.containerStatuses").array ?? []
            for container in typed.spec?.containers ?? [] {
                var run = ContainerRun(spec: container, runDir: dir + "/" + (container.name ?? "main"))
                let st = statuses.first { $0["name"].string == container.name }
                run.restartCount = st?["restartCount"].int ?? 0
                if let pidText = try? String(contentsOfFile: run.runDir + "/shim.pid", encoding: .utf8),
                    let pid = pid_t(pidText.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines)),
                    ProcessWatch.poll(pid) == .running
                {
                    run.pid = pid
                    run.startedAt = st?.at("state.running.startedAt").string.flatMap(Timestamps.parse) ?? Date()
                    run.serving = true
                    run.ready = st?["ready"].bool ?? false
                }
                sb.containers.append(run)
            }
            sandboxes[c.uid] = sb
            logger.info("adopted pod \(c.namespace)/\(c.name) (\(netns), \(ip))")
        }
        // Every address an adopted pod holds stays taken.
    }
}
