import Foundation
import Testing

@testable import PodlabModel

@Suite("ReplicaSetController and Scheduler")
struct ControllerReplicaSetTests {
    static func replicaSet(_ name: String = "web-abc", replicas: Int = 3, minReadySeconds: Int = 0) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "replicas": .int(Int64(replicas)), "minReadySeconds": .int(Int64(minReadySeconds)),
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web", "tier": "front"], "annotations": ["note": "x"]],
                    "spec": ["containers": [["name": "c", "image": "nginx"]]],
                ],
            ],
        ]
    }

    static func rsStep(_ s: ClusterSnapshot, _ rng: inout ControllerRNG) -> [ControllerAction] {
        ReplicaSetController.reconcile(s, now: Date(timeIntervalSince1970: 1_795_000_000), rng: &rng)
    }

    @Test("creates <rs>-<5 chars> pods from the template, owned by the ReplicaSet, with Created pod events")
    func createsPods() throws {
        var sim = ClusterSim()
        let rs = sim.create(Resources.replicaSets, Self.replicaSet())
        sim.settle(Self.rsStep)
        let pods = sim.list(Resources.pods, "default")
        #expect(pods.count == 3)
        for p in pods {
            #expect(p.ctl.name.hasPrefix("web-abc-"))
            #expect(p.ctl.name.count == "web-abc-".count + 5)
            #expect(p.at("metadata.generateName") == "web-abc-")
            #expect(p.ctl.labels == ["app": "web", "tier": "front"])
            #expect(p.ctl.annotations == ["note": "x"])
            #expect(p.ctl.isControlled(by: rs))
            #expect(p.at("spec.containers")[0]["image"] == "nginx")
        }
        #expect(Set(sim.messages("SuccessfulCreate")) == Set(pods.map { "Created pod: \($0.ctl.name)" }))
        let status = try #require(sim.get(Resources.replicaSets, "default", "web-abc")?["status"])
        #expect(status == ["replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1])
    }

    @Test("scale-down deletes unscheduled, then pending, then not-ready pods before ready ones")
    func deletionOrder() throws {
        var sim = ClusterSim()
        let rs = sim.create(Resources.replicaSets, Self.replicaSet(replicas: 1))
        let ref = ControllerSupport.controllerRef(to: rs, resource: Resources.replicaSets)
        func owned(_ p: JSONValue) -> JSONValue {
            var p = p
            p.set("metadata.ownerReferences", [ref])
            return p
        }
        sim.create(Resources.pods, owned(ControllerFixture.pod("ready", ip: "10.244.1.2")))
        sim.create(Resources.pods, owned(ControllerFixture.pod("unready", ip: "10.244.1.3", ready: false)))
        var pending = owned(ControllerFixture.pod("pending", ready: false))
        pending.set("status.phase", "Pending")
        sim.create(Resources.pods, pending)
        var unscheduled = owned(ControllerFixture.pod("unscheduled", ready: false, node: nil))
        unscheduled.set("status.phase", "Pending")
        sim.create(Resources.pods, unscheduled)
        var rng = ControllerRNG(seed: 1)
        let actions = Self.rsStep(sim.snapshot, &rng)
        let deleted = actions.compactMap { a -> String? in
            if case .delete(_, _, let name, _) = a { return name } else { return nil }
        }
        #expect(Set(deleted) == ["unscheduled", "pending", "unready"])
        sim.apply(actions)
        #expect(sim.list(Resources.pods).map(\.ctl.name) == ["ready"])
        #expect(
            Set(sim.messages("SuccessfulDelete")) == [
                "Deleted pod: unscheduled", "Deleted pod: pending", "Deleted pod: unready",
            ])
    }

    @Test("the pod-deletion-cost annotation and colocation decide between otherwise equal pods")
    func deletionCostAndColocation() {
        let a = ControllerFixture.pod("a", ip: "10.0.0.1", node: "n1")
        var b = ControllerFixture.pod("b", ip: "10.0.0.2", node: "n1")
        b.set("metadata.annotations", ["controller.kubernetes.io/pod-deletion-cost": "100"])
        let c = ControllerFixture.pod("c", ip: "10.0.0.3", node: "n2")
        // a and b share n1 (doubled up) but b is expensive: a goes first, then c... b last.
        let order = ReplicaSetController.podsToDelete([a, b, c], related: [a, b, c], count: 3).map(\.ctl.name)
        #expect(order == ["a", "c", "b"])
    }

    @Test("status counts ready and available (minReadySeconds) pods; terminating pods are replaced")
    func statusCounts() throws {
        var sim = ClusterSim()
        let rs = sim.create(Resources.replicaSets, Self.replicaSet(replicas: 2, minReadySeconds: 10))
        let ref = ControllerSupport.controllerRef(to: rs, resource: Resources.replicaSets)
        var a = ControllerFixture.pod("a", ip: "10.244.1.2")
        a.set("metadata.ownerReferences", [ref])
        var b = ControllerFixture.pod("b", ip: "10.244.1.3")
        b.set("metadata.ownerReferences", [ref])
        b.set("metadata.deletionTimestamp", "2026-11-23T08:03:55Z")
        sim.create(Resources.pods, a)
        sim.create(Resources.pods, b)
        var rng = ControllerRNG(seed: 3)
        let now = try #require(Timestamps.parse("2026-11-23T08:04:00Z"))
        let actions = ReplicaSetController.reconcile(sim.snapshot, now: now, rng: &rng)
        #expect(actions.filter { if case .create = $0 { return true } else { return false } }.count == 1)
        sim.apply(actions)
        let status = try #require(sim.get(Resources.replicaSets, "default", "web-abc")?["status"])
        // a is ready since 08:03:55, 5 s before now: not yet available with minReadySeconds 10.
        #expect(status["replicas"] == 1)
        #expect(status["readyReplicas"] == 1)
        #expect(status["availableReplicas"].isNull)
        let later = ReplicaSetController.reconcile(
            sim.snapshot, now: now.addingTimeInterval(10), rng: &rng)
        sim.apply(later)
        #expect(sim.get(Resources.replicaSets, "default", "web-abc")?.at("status.availableReplicas") == 1)
    }

    @Test("a matching orphan pod is adopted; a relabelled pod is released and replaced")
    func adoptAndRelease() throws {
        var sim = ClusterSim()
        let rs = sim.create(Resources.replicaSets, Self.replicaSet(replicas: 1))
        sim.create(Resources.pods, ControllerFixture.pod("orphan", ip: "10.244.1.2"))
        sim.settle(Self.rsStep)
        #expect(sim.list(Resources.pods).count == 1)
        #expect(sim.get(Resources.pods, "default", "orphan")?.ctl.isControlled(by: rs) == true)
        sim.edit(Resources.pods, "default", "orphan") { $0.set("metadata.labels", ["app": "debug"]) }
        sim.settle(Self.rsStep)
        #expect(sim.get(Resources.pods, "default", "orphan")?.ctl.ownerReferences.isEmpty == true)
        #expect(sim.list(Resources.pods).count == 2)
        #expect(sim.conflicts.isEmpty)
    }

    // MARK: - Scheduler

    static func node(
        _ name: String, labels: [String: String] = [:], taints: [JSONValue] = [], unschedulable: Bool = false
    )
        -> JSONValue
    {
        var l = labels
        l["kubernetes.io/hostname"] = name
        var n: JSONValue = [
            "apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSONValue(l)],
        ]
        if !taints.isEmpty { n.set("spec.taints", .array(taints)) }
        if unschedulable { n.set("spec.unschedulable", true) }
        return n
    }

    static func schedStep(_ config: ClusterConfig) -> (ClusterSnapshot, inout ControllerRNG) -> [ControllerAction] {
        { s, _ in Scheduler.reconcile(s, config: config, now: Date(timeIntervalSince1970: 1_795_000_000)) }
    }

    @Test("pods spread to the node with the fewest pods, ties in config order, with Scheduled events")
    func spread() throws {
        var sim = ClusterSim()
        sim.config = ClusterConfig(nodes: ["cp", "w1", "w2"])
        sim.create(Resources.pods, ControllerFixture.pod("busy", ip: "10.244.1.9", node: "w1"))
        for i in 0..<4 { sim.create(Resources.pods, ControllerFixture.pod("p\(i)", ready: false, node: nil)) }
        sim.settle(Self.schedStep(sim.config))
        let placed = Dictionary(uniqueKeysWithValues: sim.list(Resources.pods).map { ($0.ctl.name, $0.ctl.nodeName) })
        #expect(placed["p0"] == "cp")
        #expect(placed["p1"] == "w2")
        #expect(placed["p2"] == "cp")
        #expect(placed["p3"] == "w1")
        #expect(sim.messages("Scheduled").contains("Successfully assigned default/p0 to cp"))
        #expect(sim.events(reason: "Scheduled").first?.at("source.component") == "default-scheduler")
        let p0 = try #require(sim.get(Resources.pods, "default", "p0"))
        #expect(p0.ctl.condition("PodScheduled")?["status"] == "True")
        #expect(p0.at("status.phase") == "Running")  // the fixture's phase is left alone
    }

    @Test("one ReplicaSet's pods spread over the nodes even when other pods load one node more")
    func spreadSiblings() throws {
        var sim = ClusterSim()
        sim.config = ClusterConfig(nodes: ["cp", "w1"])
        // Four unrelated pods on cp: by load alone every new pod would go to w1.
        for i in 0..<4 { sim.create(Resources.pods, ControllerFixture.pod("other\(i)", ip: "10.244.0.\(i + 2)", node: "cp")) }
        for i in 0..<3 {
            var pod = ControllerFixture.pod("web\(i)", ready: false, node: nil)
            pod.set("metadata.ownerReferences", [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-1", "controller": true]])
            sim.create(Resources.pods, pod)
        }
        sim.settle(Self.schedStep(sim.config))
        let nodes = (0..<3).compactMap { sim.get(Resources.pods, "default", "web\($0)")?.ctl.nodeName }
        #expect(nodes.count == 3)
        #expect(Set(nodes) == ["cp", "w1"], "replicas of one owner should land on both nodes: \(nodes)")
        #expect(nodes.filter { $0 == "w1" }.count == 2, "the tie after one each goes to the less loaded node")
    }

    @Test("nodeSelector, unschedulable nodes and untolerated NoSchedule taints are respected")
    func fitChecks() throws {
        var sim = ClusterSim()
        sim.config = ClusterConfig(nodes: ["cp", "w1", "w2"])
        sim.create(
            Resources.nodes,
            Self.node("cp", taints: [["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"]]))
        sim.create(Resources.nodes, Self.node("w1", labels: ["disk": "ssd"], unschedulable: true))
        sim.create(Resources.nodes, Self.node("w2", labels: ["disk": "ssd"]))
        var wantsSSD = ControllerFixture.pod("ssd", ready: false, node: nil)
        wantsSSD.set("spec.nodeSelector", ["disk": "ssd"])
        sim.create(Resources.pods, wantsSSD)
        var tolerant = ControllerFixture.pod("tolerant", ready: false, node: nil)
        tolerant.set("spec.tolerations", [["key": "node-role.kubernetes.io/control-plane", "operator": "Exists"]])
        sim.create(Resources.pods, tolerant)
        sim.settle(Self.schedStep(sim.config))
        #expect(sim.get(Resources.pods, "default", "ssd")?.ctl.nodeName == "w2")
        #expect(sim.get(Resources.pods, "default", "tolerant")?.ctl.nodeName == "cp")
    }

    @Test("a pod that fits nowhere stays Pending with Unschedulable and one FailedScheduling warning")
    func unschedulable() throws {
        var sim = ClusterSim()
        sim.config = ClusterConfig(nodes: ["cp", "w1"])
        sim.create(Resources.nodes, Self.node("cp"))
        sim.create(Resources.nodes, Self.node("w1"))
        var pod = ControllerFixture.pod("picky", ready: false, node: nil)
        pod.set("spec.nodeSelector", ["gpu": "yes"])
        pod.set("status.phase", "Pending")
        sim.create(Resources.pods, pod)
        sim.settle(Self.schedStep(sim.config))
        let p = try #require(sim.get(Resources.pods, "default", "picky"))
        #expect(p.ctl.nodeName.isEmpty)
        let cond = try #require(p.ctl.condition("PodScheduled"))
        #expect(cond["reason"] == "Unschedulable")
        let message =
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        #expect(cond["message"] == .string(message))
        #expect(sim.messages("FailedScheduling") == [message])
        #expect(sim.events(reason: "FailedScheduling").first?["type"] == "Warning")
    }
}
