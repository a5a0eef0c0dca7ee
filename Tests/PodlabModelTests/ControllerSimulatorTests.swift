import Foundation
import Testing

@testable import PodlabModel

/// A deterministic RandomNumberGenerator (SplitMix64) so generated names repeat between runs.
struct ControllerRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A tiny API server + kubelet for controller tests: applies actions like the store would (uids,
/// resourceVersions with preconditions, generation on spec change, status-only updates) and, on request,
/// plays the node agent (pods get an IP, Running and Ready).
struct ClusterSim {
    var objects: [ResourceInfo: [JSONValue]] = [:]
    var now = Date(timeIntervalSince1970: 1_795_000_000)
    var rng = ControllerRNG(seed: 42)
    var config = ClusterConfig(nodes: ["podlab-control-plane", "podlab-worker"], apiServerIP: "172.18.0.2")
    var counter = 0
    /// resourceVersion conflicts seen: controllers must never produce any.
    var conflicts: [String] = []
    /// Pods the kubelet keeps unready.
    var unready: Set<String> = []
    /// When true, deleting a pod only marks it (deletionTimestamp) until `finishTerminations`.
    var gracefulPods = false

    var snapshot: ClusterSnapshot { ClusterSnapshot(objects: objects) }

    func list(_ r: ResourceInfo, _ ns: String? = nil) -> [JSONValue] { snapshot.list(r, namespace: ns) }
    func get(_ r: ResourceInfo, _ ns: String?, _ name: String) -> JSONValue? {
        snapshot.get(r, namespace: ns, name: name)
    }

    mutating func nextRV() -> String {
        counter += 1
        return String(counter)
    }

    @discardableResult
    mutating func create(_ r: ResourceInfo, _ obj: JSONValue) -> JSONValue {
        var o = obj
        if o.at("metadata.name").string == nil, let g = o.at("metadata.generateName").string {
            o.set("metadata.name", .string(g + SafeEncoding.randomString(length: 5, rng: &rng)))
        }
        if r.namespaced && o.at("metadata.namespace").isNull { o.set("metadata.namespace", "default") }
        o.set("metadata.uid", .string("uid-\(nextRV())"))
        o.set("metadata.resourceVersion", .string(nextRV()))
        o.set("metadata.creationTimestamp", .string(Timestamps.format(now)))
        o.set("metadata.generation", 1)
        if r == Resources.pods && o.at("status.phase").isNull { o.set("status.phase", "Pending") }
        objects[r, default: []].append(o)
        return o
    }

    mutating func replace(_ r: ResourceInfo, _ obj: JSONValue, statusOnly: Bool) {
        guard
            let i = (objects[r] ?? []).firstIndex(where: {
                $0.ctl.name == obj.ctl.name && $0.ctl.namespace == obj.ctl.namespace
            })
        else {
            conflicts.append("update of missing \(r.plural) \(obj.ctl.name)")
            return
        }
        let stored = objects[r]![i]
        if let rv = obj.at("metadata.resourceVersion").string, rv != stored.at("metadata.resourceVersion").string {
            conflicts.append("conflict on \(r.plural) \(obj.ctl.name)")
            return
        }
        var next: JSONValue
        if statusOnly {
            next = stored
            next["status"] = obj["status"]
        } else {
            next = obj
            next["status"] = stored["status"]
            for k in ["uid", "creationTimestamp", "generation", "deletionTimestamp"] {
                if stored.at("metadata.\(k)").isNull {
                    next.remove("metadata.\(k)")
                } else {
                    next.set("metadata.\(k)", stored.at("metadata.\(k)"))
                }
            }
            if next["spec"] != stored["spec"] {
                next.set("metadata.generation", .int(Int64(stored.ctl.generation + 1)))
            }
        }
        next.set("metadata.resourceVersion", .string(nextRV()))
        objects[r]![i] = next
    }

    mutating func remove(_ r: ResourceInfo, _ ns: String?, _ name: String) {
        objects[r]?.removeAll { $0.ctl.name == name && (!r.namespaced || $0.ctl.namespace == (ns ?? "")) }
    }

    mutating func apply(_ actions: [ControllerAction]) {
        for a in actions {
            switch a {
            case .create(let r, let o): create(r, o)
            case .update(let r, let o): replace(r, o, statusOnly: false)
            case .updateStatus(let r, let o): replace(r, o, statusOnly: true)
            case .delete(let r, let ns, let name, _):
                if r == Resources.pods && gracefulPods {
                    if var p = get(r, ns, name), !p.ctl.isDeleting {
                        p.set("metadata.deletionTimestamp", .string(Timestamps.format(now)))
                        store(r, p)
                    }
                } else {
                    remove(r, ns, name)
                }
            case .event(let e): create(Resources.events, e)
            }
        }
    }

    /// Writes `obj` as stored state directly (a user or kubelet action), bumping its resourceVersion.
    mutating func store(_ r: ResourceInfo, _ obj: JSONValue) {
        guard let i = (objects[r] ?? []).firstIndex(where: { $0.ctl.uid == obj.ctl.uid }) else { return }
        var o = obj
        if o["spec"] != objects[r]![i]["spec"] { o.set("metadata.generation", .int(Int64(o.ctl.generation + 1))) }
        o.set("metadata.resourceVersion", .string(nextRV()))
        objects[r]![i] = o
    }

    /// Edits a stored object as a user would (kubectl apply/edit/scale).
    mutating func edit(_ r: ResourceInfo, _ ns: String?, _ name: String, _ change: (inout JSONValue) -> Void) {
        guard var o = get(r, ns, name) else { return }
        change(&o)
        store(r, o)
    }

    /// The node agent: bound pods get an IP and become Running and (unless held back) Ready.
    /// Returns whether anything changed.
    @discardableResult
    mutating func kubelet() -> Bool {
        var changed = false
        for pod in list(Resources.pods) where !pod.ctl.nodeName.isEmpty && !pod.ctl.isDeleting {
            var p = pod
            let index = config.nodes.firstIndex(of: pod.ctl.nodeName) ?? 9
            if p.at("status.podIP").isNull {
                counter += 1
                p.set("status.podIP", .string("10.244.\(index).\(counter % 250 + 2)"))
                p.set("status.phase", "Running")
            }
            let ready = !unready.contains(pod.ctl.name)
            if pod.ctl.isReady != ready {
                let others = (p.at("status.conditions").array ?? []).filter { $0["type"].string != "Ready" }
                let cond: JSONValue = [
                    "type": "Ready", "status": .string(ready ? "True" : "False"),
                    "lastTransitionTime": .string(Timestamps.format(now)),
                ]
                p.set("status.conditions", .array(others + [cond]))
            }
            if p != pod {
                store(Resources.pods, p)
                changed = true
            }
        }
        return changed
    }

    /// Removes pods that were marked for deletion (their containers have stopped).
    mutating func finishTerminations() {
        objects[Resources.pods]?.removeAll { $0.ctl.isDeleting }
    }

    /// Runs `Controllers.reconcile` (and the kubelet, when asked) until nothing changes.
    /// Returns the number of controller passes that produced actions.
    @discardableResult
    mutating func settle(kubelet runKubelet: Bool = true, maxPasses: Int = 200) -> Int {
        var passes = 0
        while passes < maxPasses {
            let actions = Controllers.reconcile(snapshot, config: config, now: now, rng: &rng)
            if actions.isEmpty {
                if runKubelet && kubelet() { continue }
                return passes
            }
            apply(actions)
            passes += 1
            now.addTimeInterval(1)
        }
        Issue.record("controllers did not converge within \(maxPasses) passes")
        return passes
    }

    /// Runs a single controller until it returns no actions; fails the test after `maxPasses`.
    @discardableResult
    mutating func settle(_ step: (ClusterSnapshot, inout ControllerRNG) -> [ControllerAction], maxPasses: Int = 50)
        -> Int
    {
        var passes = 0
        while passes < maxPasses {
            let actions = step(snapshot, &rng)
            if actions.isEmpty { return passes }
            apply(actions)
            passes += 1
        }
        Issue.record("controller did not converge within \(maxPasses) passes")
        return passes
    }

    func events(reason: String? = nil) -> [JSONValue] {
        list(Resources.events).filter { reason == nil || $0["reason"].string == reason }
    }

    func messages(_ reason: String) -> [String] {
        events(reason: reason).sorted {
            $0.ctl.uid.count != $1.ctl.uid.count ? $0.ctl.uid.count < $1.ctl.uid.count : $0.ctl.uid < $1.ctl.uid
        }
        .compactMap { $0["message"].string }
    }

    /// A ClusterSim that already holds the bootstrap objects and the default namespace's objects.
    static func bootstrapped() -> ClusterSim {
        var sim = ClusterSim()
        for (r, o) in Bootstrap.objects(config: sim.config) { sim.create(r, o) }
        return sim
    }
}

// MARK: - Fixtures

enum ControllerFixture {
    static func deployment(
        _ name: String = "web", replicas: Int = 3, image: String = "nginx:1.27", strategy: JSONValue? = nil,
        labels: [String: String] = ["app": "web"]
    ) -> JSONValue {
        var d: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": JSONValue(labels)],
                "template": [
                    "metadata": ["labels": JSONValue(labels)],
                    "spec": [
                        "containers": [
                            [
                                "name": "web", "image": .string(image),
                                "ports": [["name": "http", "containerPort": 80, "protocol": "TCP"]],
                            ]
                        ]
                    ],
                ],
            ],
        ]
        if let strategy { d.set("spec.strategy", strategy) }
        return d
    }

    static func service(
        _ name: String = "web", selector: [String: String]? = ["app": "web"], ports: [JSONValue]? = nil,
        type: String = "ClusterIP"
    ) -> JSONValue {
        var s: JSONValue = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "type": .string(type), "clusterIP": "10.96.100.1",
                "ports": .array(ports ?? [["name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"]]),
            ],
        ]
        if let selector { s.set("spec.selector", JSONValue(selector)) }
        return s
    }

    static func pod(
        _ name: String, labels: [String: String] = ["app": "web"], ip: String? = nil, ready: Bool = true,
        node: String? = "podlab-worker",
        ports: [JSONValue] = [["name": "http", "containerPort": 8080, "protocol": "TCP"]]
    ) -> JSONValue {
        var p: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "labels": JSONValue(labels)],
            "spec": ["containers": [["name": "c", "image": "nginx", "ports": .array(ports)]]],
            "status": ["phase": "Running"],
        ]
        if let node { p.set("spec.nodeName", .string(node)) }
        if let ip { p.set("status.podIP", .string(ip)) }
        p.set(
            "status.conditions",
            [
                [
                    "type": "Ready", "status": .string(ready ? "True" : "False"),
                    "lastTransitionTime": "2026-11-23T08:03:55Z",
                ]
            ])
        return p
    }
}

// MARK: - Whole-cluster tests

@Suite("Controllers together")
struct ControllerSimulatorTests {
    @Test("a bootstrapped cluster converges: default service accounts and the kubernetes endpoints exist")
    func bootstrapConverges() throws {
        var sim = ClusterSim.bootstrapped()
        sim.settle()
        #expect(sim.conflicts.isEmpty)
        let ep = try #require(sim.get(Resources.endpoints, "default", "kubernetes"))
        #expect(ep.at("subsets")[0]["addresses"][0]["ip"] == "172.18.0.2")
        #expect(ep.at("subsets")[0]["ports"][0]["port"] == 6443)
        let slice = try #require(sim.get(Resources.endpointSlices, "default", "kubernetes"))
        #expect(slice.ctl.labels == ["kubernetes.io/service-name": "kubernetes"])
        #expect(slice["endpoints"][0]["addresses"][0] == "172.18.0.2")
        // kube-dns selects the two coredns replicas, one per node, with its three ports.
        let dns = try #require(sim.get(Resources.endpoints, "kube-system", "kube-dns"))
        #expect(dns["subsets"][0]["addresses"].array?.count == 2)
        #expect(dns["subsets"][0]["ports"].array?.compactMap { $0["name"].string }.sorted() == ["dns", "dns-tcp", "metrics"])
        let dnsSlices = sim.list(Resources.endpointSlices, "kube-system")
        #expect(dnsSlices.count == 1)
        #expect(dnsSlices.first?["endpoints"].array?.count == 2)
        // default in the five namespaces, coredns, and ingress-nginx's controller account.
        #expect(sim.list(Resources.serviceAccounts).count == 7)
    }

    @Test("a deployment of 3 behind a service ends with 3 ready pods spread over nodes and 3 endpoints")
    func deploymentBehindService() throws {
        var sim = ClusterSim.bootstrapped()
        sim.create(Resources.deployments, ControllerFixture.deployment())
        sim.create(Resources.services, ControllerFixture.service())
        sim.settle()
        #expect(sim.conflicts.isEmpty)
        let rss = sim.list(Resources.replicaSets, "default")
        #expect(rss.count == 1)
        let pods = sim.list(Resources.pods, "default")
        #expect(pods.count == 3)
        #expect(Set(pods.map(\.ctl.nodeName)) == ["podlab-control-plane", "podlab-worker"])
        #expect(pods.allSatisfy { $0.ctl.condition("PodScheduled")?["status"] == "True" })
        let ep = try #require(sim.get(Resources.endpoints, "default", "web"))
        #expect(ep["subsets"][0]["addresses"].array?.count == 3)
        #expect(ep["subsets"][0]["ports"] == [["name": "http", "port": 80, "protocol": "TCP"]])
        let slices = sim.list(Resources.endpointSlices, "default").filter {
            $0.ctl.labels["kubernetes.io/service-name"] == "web"
        }
        #expect(slices.count == 1)
        #expect(slices.first?["endpoints"].array?.count == 3)
        let d = try #require(sim.get(Resources.deployments, "default", "web"))
        #expect(d.at("status.availableReplicas") == 3)
        #expect(d.ctl.annotations["deployment.kubernetes.io/revision"] == "1")
        // Nothing is left to do: one more pass returns no actions.
        var rng = ControllerRNG(seed: 9)
        #expect(Controllers.reconcile(sim.snapshot, config: sim.config, now: sim.now, rng: &rng).isEmpty)
    }

    @Test("deleting a namespace removes its deployment, pods and service, then the namespace")
    func namespaceDeletion() throws {
        var sim = ClusterSim.bootstrapped()
        sim.create(
            Resources.namespaces,
            [
                "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "lab"],
                "spec": ["finalizers": ["kubernetes"]],
            ])
        var d = ControllerFixture.deployment()
        d.set("metadata.namespace", "lab")
        sim.create(Resources.deployments, d)
        sim.settle()
        #expect(sim.list(Resources.pods, "lab").count == 3)
        #expect(sim.get(Resources.serviceAccounts, "lab", "default") != nil)
        sim.edit(Resources.namespaces, nil, "lab") { $0.set("metadata.deletionTimestamp", "2026-11-23T08:03:55Z") }
        sim.settle()
        #expect(sim.get(Resources.namespaces, nil, "lab") == nil)
        #expect(sim.list(Resources.pods, "lab").isEmpty)
        #expect(sim.list(Resources.replicaSets, "lab").isEmpty)
        #expect(sim.list(Resources.serviceAccounts, "lab").isEmpty)
        #expect(sim.conflicts.isEmpty)
    }

    @Test("nextWakeup reports when a ready pod becomes available after minReadySeconds")
    func wakeupForMinReadySeconds() throws {
        var sim = ClusterSim.bootstrapped()
        var d = ControllerFixture.deployment(replicas: 1)
        d.set("spec.minReadySeconds", 30)
        sim.create(Resources.deployments, d)
        sim.settle()
        let rs = try #require(sim.list(Resources.replicaSets, "default").first)
        #expect(rs.at("status.readyReplicas") == 1)
        #expect(rs.at("status.availableReplicas").isNull)
        let wake = try #require(Controllers.nextWakeup(sim.snapshot, now: sim.now))
        sim.now = wake
        sim.settle()
        #expect(sim.get(Resources.deployments, "default", "web")?.at("status.availableReplicas") == 1)
    }
}
