import Foundation
import Testing

@testable import PodlabModel

@Suite("DeploymentController")
struct ControllerDeploymentTests {
    static func rs(_ sim: ClusterSim) -> [JSONValue] { sim.list(Resources.replicaSets, "default") }
    static func pods(_ sim: ClusterSim, of rs: JSONValue) -> [JSONValue] {
        sim.list(Resources.pods, "default").filter { $0.ctl.isControlled(by: rs) && !$0.ctl.isDeleting }
    }

    @Test("SafeEncodeString maps decimal digits onto the vowel-free alphabet, FNV-32a matches Go")
    func hashing() {
        #expect(SafeEncoding.encode("0123456789") == "456789bcdf")
        #expect(SafeEncoding.fnv32a(Array("a".utf8)) == 0xe40c_292c)
        #expect(SafeEncoding.fnv32a([]) == 0x811c_9dc5)
        let t: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": []]]
        let h = SafeEncoding.podTemplateHash(t, collisionCount: nil)
        #expect(h == SafeEncoding.podTemplateHash(t, collisionCount: nil))
        #expect(h != SafeEncoding.podTemplateHash(t, collisionCount: 1))
        #expect(h.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        #expect((6...10).contains(h.count))
    }

    @Test("maxSurge rounds up and maxUnavailable rounds down; both zero means one unavailable")
    func fenceposts() {
        #expect(ControllerSupport.scaledValue("25%", total: 3, roundUp: true) == 1)
        #expect(ControllerSupport.scaledValue("25%", total: 3, roundUp: false) == 0)
        #expect(ControllerSupport.scaledValue("50%", total: 5, roundUp: true) == 3)
        #expect(ControllerSupport.scaledValue(2, total: 5, roundUp: true) == 2)
        var d = ControllerFixture.deployment(replicas: 4)
        d.set("spec.strategy", ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 0, "maxUnavailable": "10%"]])
        let sync = DeploymentSync(deployment: d, snapshot: ClusterSnapshot(objects: [:]), now: Date(), claimed: [])
        #expect(sync.maxSurge == 0)
        #expect(sync.maxUnavailable == 1)
    }

    @Test("a new deployment creates its ReplicaSet web-<hash> with hash label, owner, annotations and event")
    func createsReplicaSet() throws {
        var sim = ClusterSim.bootstrapped()
        let d = sim.create(Resources.deployments, ControllerFixture.deployment())
        let actions = DeploymentController.reconcile(sim.snapshot, now: sim.now)
        sim.apply(actions)
        let rs = try #require(Self.rs(sim).first)
        let hash = SafeEncoding.podTemplateHash(d.at("spec.template"), collisionCount: nil)
        #expect(rs.ctl.name == "web-\(hash)")
        #expect(rs.ctl.labels == ["app": "web", "pod-template-hash": hash])
        #expect(rs.at("spec.selector.matchLabels") == ["app": "web", "pod-template-hash": .string(hash)])
        #expect(rs.at("spec.template.metadata.labels.pod-template-hash") == .string(hash))
        #expect(rs.at("spec.replicas") == 3)
        #expect(
            rs.ctl.ownerReferences == [
                [
                    "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": .string(d.ctl.uid),
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ])
        #expect(rs.ctl.annotations["deployment.kubernetes.io/revision"] == "1")
        #expect(rs.ctl.annotations["deployment.kubernetes.io/desired-replicas"] == "3")
        #expect(rs.ctl.annotations["deployment.kubernetes.io/max-replicas"] == "4")
        // The bootstrapped coredns Deployment scales its own ReplicaSet too.
        #expect(sim.messages("ScalingReplicaSet").filter { $0.contains(" web-") } == ["Scaled up replica set web-\(hash) from 0 to 3"])
        let ev = try #require(sim.events(reason: "ScalingReplicaSet").first)
        #expect(ev.at("source.component") == "deployment-controller")
        #expect(ev.at("involvedObject.kind") == "Deployment")
        let progressing = try #require(
            sim.get(Resources.deployments, "default", "web")?.at("status.conditions").array?.first {
                $0["type"] == "Progressing"
            })
        #expect(progressing["reason"] == "NewReplicaSetCreated")
        #expect(progressing["message"] == .string("Created new replica set \"web-\(hash)\""))
    }

    @Test("a settled deployment reports counts, Available and NewReplicaSetAvailable with upstream wording")
    func settledStatus() throws {
        var sim = ClusterSim.bootstrapped()
        sim.create(Resources.deployments, ControllerFixture.deployment())
        sim.settle()
        let d = try #require(sim.get(Resources.deployments, "default", "web"))
        let rs = try #require(Self.rs(sim).first)
        for k in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] {
            #expect(d.at("status.\(k)") == 3)
        }
        #expect(d.at("status.unavailableReplicas").isNull)
        #expect(d.at("status.observedGeneration") == 1)
        let conds = d.at("status.conditions").array ?? []
        #expect(conds.map { $0["type"] } == ["Available", "Progressing"])
        #expect(conds[0]["reason"] == "MinimumReplicasAvailable")
        #expect(conds[0]["message"] == "Deployment has minimum availability.")
        #expect(conds[1]["reason"] == "NewReplicaSetAvailable")
        #expect(conds[1]["message"] == .string("ReplicaSet \"\(rs.ctl.name)\" has successfully progressed."))
        #expect(rs.at("status.replicas") == 3 && rs.at("status.readyReplicas") == 3)
    }

    @Test("scaling 3 to 1 scales the ReplicaSet down with an event; scaling to 5 scales it up")
    func scaling() throws {
        var sim = ClusterSim.bootstrapped()
        sim.create(Resources.deployments, ControllerFixture.deployment())
        sim.settle()
        sim.edit(Resources.deployments, "default", "web") { $0.set("spec.replicas", 1) }
        sim.settle()
        var rs = try #require(Self.rs(sim).first)
        #expect(Self.rs(sim).count == 1)
        #expect(rs.at("spec.replicas") == 1)
        #expect(Self.pods(sim, of: rs).count == 1)
        #expect(rs.ctl.annotations["deployment.kubernetes.io/desired-replicas"] == "1")
        #expect(sim.messages("ScalingReplicaSet").last == "Scaled down replica set \(rs.ctl.name) from 3 to 1")
        sim.edit(Resources.deployments, "default", "web") { $0.set("spec.replicas", 5) }
        sim.settle()
        rs = try #require(Self.rs(sim).first)
        #expect(Self.pods(sim, of: rs).count == 5)
        #expect(sim.messages("ScalingReplicaSet").last == "Scaled up replica set \(rs.ctl.name) from 1 to 5")
        #expect(sim.get(Resources.deployments, "default", "web")?.at("status.availableReplicas") == 5)
        #expect(sim.conflicts.isEmpty)
    }

    @Test("a template change rolls out within maxSurge 1 / maxUnavailable 0 and ends on revision 2")
    func rollingUpdate() throws {
        var sim = ClusterSim.bootstrapped()
        let strategy: JSONValue = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]]
        sim.create(Resources.deployments, ControllerFixture.deployment(replicas: 3, strategy: strategy))
        sim.settle()
        let old = try #require(Self.rs(sim).first)
        sim.edit(Resources.deployments, "default", "web") {
            $0.set("spec.template.spec.containers", [["name": "web", "image": "nginx:1.28"]])
        }
        // Step pass by pass, checking the rollout's bounds on every intermediate state.
        var steps = 0
        while steps < 300 {
            var rng = ControllerRNG(seed: UInt64(steps))
            let actions = Controllers.reconcile(sim.snapshot, config: sim.config, now: sim.now, rng: &rng)
            if actions.isEmpty && !sim.kubelet() { break }
            sim.apply(actions)
            let live = sim.list(Resources.pods, "default").filter { !$0.ctl.isDeleting }
            #expect(live.count <= 4, "never more than replicas + maxSurge pods")
            let specTotal = Self.rs(sim).reduce(0) { $0 + ($1.at("spec.replicas").int ?? 0) }
            #expect(specTotal <= 4)
            steps += 1
        }
        #expect(sim.conflicts.isEmpty)
        let all = Self.rs(sim)
        #expect(all.count == 2)
        let new = try #require(all.first { $0.ctl.name != old.ctl.name })
        #expect(new.at("spec.replicas") == 3)
        #expect(sim.get(Resources.replicaSets, "default", old.ctl.name)?.at("spec.replicas") == 0)
        #expect(new.ctl.annotations["deployment.kubernetes.io/revision"] == "2")
        #expect(Self.pods(sim, of: new).count == 3)
        let d = try #require(sim.get(Resources.deployments, "default", "web"))
        #expect(d.ctl.annotations["deployment.kubernetes.io/revision"] == "2")
        #expect(d.at("status.updatedReplicas") == 3)
        let msgs = sim.messages("ScalingReplicaSet")
        #expect(msgs.contains("Scaled up replica set \(new.ctl.name) from 0 to 1"))
        #expect(msgs.contains("Scaled down replica set \(old.ctl.name) from 3 to 2"))
        #expect(msgs.last == "Scaled down replica set \(old.ctl.name) from 1 to 0")
    }

    @Test("Recreate scales the old ReplicaSet to zero and waits for its pods before creating the new one")
    func recreate() throws {
        var sim = ClusterSim.bootstrapped()
        sim.gracefulPods = true
        sim.create(Resources.deployments, ControllerFixture.deployment(replicas: 2, strategy: ["type": "Recreate"]))
        sim.settle()
        let old = try #require(Self.rs(sim).first)
        sim.edit(Resources.deployments, "default", "web") {
            $0.set("spec.template.spec.containers", [["name": "web", "image": "nginx:1.28"]])
        }
        sim.settle()
        // Old pods are terminating, so no new ReplicaSet yet.
        #expect(Self.rs(sim).count == 1)
        #expect(sim.get(Resources.replicaSets, "default", old.ctl.name)?.at("spec.replicas") == 0)
        sim.finishTerminations()
        sim.settle()
        let all = Self.rs(sim)
        #expect(all.count == 2)
        let new = try #require(all.first { $0.ctl.name != old.ctl.name })
        #expect(Self.pods(sim, of: new).count == 2)
        #expect(sim.get(Resources.deployments, "default", "web")?.at("status.availableReplicas") == 2)
    }

    @Test("revisionHistoryLimit 1 keeps only the newest old ReplicaSet")
    func revisionHistory() throws {
        var sim = ClusterSim.bootstrapped()
        var d = ControllerFixture.deployment(replicas: 1)
        d.set("spec.revisionHistoryLimit", 1)
        sim.create(Resources.deployments, d)
        sim.settle()
        for tag in ["1.28", "1.29", "1.30"] {
            sim.edit(Resources.deployments, "default", "web") {
                $0.set("spec.template.spec.containers", [["name": "web", "image": .string("nginx:\(tag)")]])
            }
            sim.settle()
        }
        let revisions = Self.rs(sim).compactMap { $0.ctl.annotations["deployment.kubernetes.io/revision"] }.sorted()
        #expect(revisions == ["3", "4"])
    }

    @Test("rolling back to an earlier template reuses its ReplicaSet with a new revision and history")
    func rollback() throws {
        var sim = ClusterSim.bootstrapped()
        sim.create(Resources.deployments, ControllerFixture.deployment(replicas: 1))
        sim.settle()
        let first = try #require(Self.rs(sim).first)
        sim.edit(Resources.deployments, "default", "web") {
            $0.set("spec.template.spec.containers", [["name": "web", "image": "nginx:1.28"]])
        }
        sim.settle()
        sim.edit(Resources.deployments, "default", "web") { $0.set("spec.template", first.at("spec.template")) }
        sim.edit(Resources.deployments, "default", "web") {
            $0.remove("spec.template.metadata.labels.pod-template-hash")
        }
        sim.settle()
        let reused = try #require(sim.get(Resources.replicaSets, "default", first.ctl.name))
        #expect(reused.at("spec.replicas") == 1)
        #expect(reused.ctl.annotations["deployment.kubernetes.io/revision"] == "3")
        #expect(reused.ctl.annotations["deployment.kubernetes.io/revision-history"] == "1")
        #expect(Self.rs(sim).count == 2)
    }

    @Test("a name taken by a foreign ReplicaSet bumps collisionCount and picks another hash")
    func hashCollision() throws {
        var sim = ClusterSim.bootstrapped()
        let d = ControllerFixture.deployment(replicas: 1)
        let hash = SafeEncoding.podTemplateHash(d.at("spec.template"), collisionCount: nil)
        sim.create(
            Resources.replicaSets,
            [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": ["name": .string("web-\(hash)"), "namespace": "default", "labels": ["app": "other"]],
                "spec": [
                    "replicas": 0, "selector": ["matchLabels": ["app": "other"]],
                    "template": ["metadata": ["labels": ["app": "other"]], "spec": ["containers": []]],
                ],
            ])
        sim.create(Resources.deployments, d)
        sim.settle()
        let dep = try #require(sim.get(Resources.deployments, "default", "web"))
        #expect(dep.at("status.collisionCount") == 1)
        let mine = Self.rs(sim).filter { $0.ctl.isControlled(by: dep) }
        #expect(mine.count == 1)
        #expect(mine.first?.ctl.name == "web-\(SafeEncoding.podTemplateHash(d.at("spec.template"), collisionCount: 1))")
    }

    @Test("scaling during a rollout splits the new size proportionally between old and new ReplicaSets")
    func proportionalScaling() throws {
        var sim = ClusterSim.bootstrapped()
        let strategy: JSONValue = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 2, "maxUnavailable": 0]]
        sim.create(Resources.deployments, ControllerFixture.deployment(replicas: 4, strategy: strategy))
        sim.settle()
        let old = try #require(Self.rs(sim).first)
        // New pods never become ready, so the rollout stalls with both ReplicaSets active.
        sim.edit(Resources.deployments, "default", "web") {
            $0.set("spec.template.spec.containers", [["name": "web", "image": "nginx:broken"]])
        }
        sim.settle(kubelet: false)
        let new = try #require(Self.rs(sim).first { $0.ctl.name != old.ctl.name })
        #expect(new.at("spec.replicas") == 2)
        #expect(sim.get(Resources.replicaSets, "default", old.ctl.name)?.at("spec.replicas") == 4)
        sim.edit(Resources.deployments, "default", "web") { $0.set("spec.replicas", 8) }
        sim.settle(kubelet: false)
        let oldSize = sim.get(Resources.replicaSets, "default", old.ctl.name)?.at("spec.replicas").int ?? 0
        let newSize = sim.get(Resources.replicaSets, "default", new.ctl.name)?.at("spec.replicas").int ?? 0
        // 8 + maxSurge 2 = 10 spread 4:2 → about 7:3 (upstream getReplicaSetFraction rounding).
        #expect(oldSize + newSize == 10)
        #expect(oldSize == 7 && newSize == 3)
    }
}
