import Foundation
import Testing

@testable import PodlabModel

@Suite("GarbageCollector, NamespaceController, LoadBalancerController, Bootstrap, events")
struct ControllerLifecycleTests {
    static func gcStep(_ s: ClusterSnapshot, _ rng: inout ControllerRNG) -> [ControllerAction] {
        GarbageCollector.reconcile(s)
    }

    static func owned(_ p: JSONValue, by owner: JSONValue, kind: String = "ReplicaSet", apiVersion: String = "apps/v1")
        -> JSONValue
    {
        var p = p
        let ref: JSONValue = [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(owner.ctl.name),
            "uid": .string(owner.ctl.uid), "controller": true,
        ]
        p.set("metadata.ownerReferences", .array(p.ctl.ownerReferences + [ref]))
        return p
    }

    @Test("GC deletes objects whose owners are gone, by uid, and keeps those with a live owner")
    func orphans() throws {
        var sim = ClusterSim()
        let rs = sim.create(Resources.replicaSets, ControllerReplicaSetTests.replicaSet())
        sim.create(Resources.pods, Self.owned(ControllerFixture.pod("kept"), by: rs))
        let stale: JSONValue = ["metadata": ["name": "web-abc", "uid": "uid-old"]]
        sim.create(Resources.pods, Self.owned(ControllerFixture.pod("stale-uid"), by: stale))
        let gone: JSONValue = ["metadata": ["name": "gone", "uid": "uid-gone"]]
        sim.create(Resources.pods, Self.owned(ControllerFixture.pod("orphan"), by: gone))
        sim.create(
            Resources.pods,
            Self.owned(ControllerFixture.pod("crd-owned"), by: gone, kind: "Widget", apiVersion: "example.com/v1"))
        sim.settle(Self.gcStep)
        #expect(sim.list(Resources.pods).map(\.ctl.name).sorted() == ["crd-owned", "kept"])
        // Deleting the ReplicaSet cascades to its pod in the next pass (background propagation).
        sim.remove(Resources.replicaSets, "default", rs.ctl.name)
        sim.settle(Self.gcStep)
        #expect(sim.list(Resources.pods).map(\.ctl.name) == ["crd-owned"])
    }

    @Test("GC removes only the dangling reference when another owner still exists")
    func danglingReference() throws {
        var sim = ClusterSim()
        let rs = sim.create(Resources.replicaSets, ControllerReplicaSetTests.replicaSet())
        let gone: JSONValue = ["metadata": ["name": "gone", "uid": "uid-gone"]]
        sim.create(Resources.pods, Self.owned(Self.owned(ControllerFixture.pod("two-owners"), by: rs), by: gone))
        sim.settle(Self.gcStep)
        let pod = try #require(sim.get(Resources.pods, "default", "two-owners"))
        #expect(pod.ctl.ownerReferences.compactMap { $0["uid"].string } == [rs.ctl.uid])
    }

    @Test("a terminating namespace goes Terminating, is emptied, then deleted; other namespaces are untouched")
    func namespaceTermination() throws {
        var sim = ClusterSim()
        sim.create(Resources.namespaces, ["metadata": ["name": "lab", "deletionTimestamp": "2026-11-23T08:03:55Z"]])
        sim.create(Resources.namespaces, ["metadata": ["name": "default"]])
        var p = ControllerFixture.pod("p")
        p.set("metadata.namespace", "lab")
        sim.create(Resources.pods, p)
        sim.create(Resources.pods, ControllerFixture.pod("stays"))
        let step: (ClusterSnapshot, inout ControllerRNG) -> [ControllerAction] = { s, _ in
            NamespaceController.reconcile(s, now: Date())
        }
        var rng = ControllerRNG(seed: 1)
        sim.apply(step(sim.snapshot, &rng))
        #expect(sim.get(Resources.namespaces, nil, "lab")?.at("status.phase") == "Terminating")
        sim.settle(step)
        #expect(sim.get(Resources.namespaces, nil, "lab") == nil)
        #expect(sim.list(Resources.pods).map(\.ctl.name) == ["stays"])
        #expect(sim.get(Resources.namespaces, nil, "default") != nil)
    }

    @Test("a namespace waits for its terminating pods before it is removed")
    func namespaceWaitsForPods() throws {
        var sim = ClusterSim()
        sim.gracefulPods = true
        sim.create(
            Resources.namespaces,
            [
                "metadata": ["name": "lab", "deletionTimestamp": "2026-11-23T08:03:55Z"],
                "status": ["phase": "Terminating"],
            ])
        var p = ControllerFixture.pod("p")
        p.set("metadata.namespace", "lab")
        sim.create(Resources.pods, p)
        let step: (ClusterSnapshot, inout ControllerRNG) -> [ControllerAction] = { s, _ in
            NamespaceController.reconcile(s, now: Date())
        }
        sim.settle(step)
        #expect(sim.get(Resources.namespaces, nil, "lab") != nil)
        #expect(sim.get(Resources.pods, "lab", "p")?.ctl.isDeleting == true)
        sim.finishTerminations()
        sim.settle(step)
        #expect(sim.get(Resources.namespaces, nil, "lab") == nil)
    }

    @Test("new namespaces get a default ServiceAccount and kube-root-ca.crt when the CA is known")
    func serviceAccounts() throws {
        var sim = ClusterSim()
        sim.create(Resources.namespaces, ["metadata": ["name": "lab"]])
        let config = ClusterConfig(nodes: ["n"], rootCACertificate: "-----BEGIN CERTIFICATE-----\n")
        sim.settle { s, _ in ServiceAccountController.reconcile(s, config: config) }
        #expect(sim.get(Resources.serviceAccounts, "lab", "default") != nil)
        #expect(
            sim.get(Resources.configMaps, "lab", "kube-root-ca.crt")?.at("data") == [
                "ca.crt": "-----BEGIN CERTIFICATE-----\n"
            ])
    }

    // MARK: - LoadBalancer

    static func lbStep(_ config: ClusterConfig) -> (ClusterSnapshot, inout ControllerRNG) -> [ControllerAction] {
        { s, _ in LoadBalancerController.reconcile(s, config: config, now: Date(timeIntervalSince1970: 1_795_000_000)) }
    }

    @Test("LoadBalancer Services get the lowest free pool IP, or their requested one, with VIP ingress and events")
    func allocation() throws {
        var sim = ClusterSim()
        let config = ClusterConfig(nodes: ["n"], lbPoolFirst: "172.18.255.200", lbPoolLast: "172.18.255.202")
        var wants = ControllerFixture.service("wants", type: "LoadBalancer")
        wants.set("spec.loadBalancerIP", "172.18.255.201")
        sim.create(Resources.services, wants)
        sim.create(Resources.services, ControllerFixture.service("a", type: "LoadBalancer"))
        sim.create(Resources.services, ControllerFixture.service("b", type: "LoadBalancer"))
        sim.create(Resources.services, ControllerFixture.service("plain"))
        sim.settle(Self.lbStep(config))
        func ip(_ name: String) -> JSONValue {
            sim.get(Resources.services, "default", name)?.at("status.loadBalancer.ingress") ?? nil
        }
        #expect(ip("a") == [["ip": "172.18.255.200", "ipMode": "VIP"]])
        #expect(ip("b") == [["ip": "172.18.255.202", "ipMode": "VIP"]])
        #expect(ip("wants") == [["ip": "172.18.255.201", "ipMode": "VIP"]])
        #expect(ip("plain").isNull)
        #expect(sim.messages("EnsuredLoadBalancer").count == 3)
        #expect(sim.events(reason: "EnsuringLoadBalancer").first?.at("source.component") == "service-controller")
        // The pool is full: a fourth gets one warning, however many passes run.
        sim.create(Resources.services, ControllerFixture.service("d", type: "LoadBalancer"))
        sim.settle(Self.lbStep(config))
        #expect(ip("d").isNull)
        #expect(
            sim.messages("SyncLoadBalancerFailed") == [
                "Error syncing load balancer: failed to ensure load balancer: no available IPs in pool 172.18.255.200-172.18.255.202"
            ])
        // Changing a's type releases its address, which d then gets.
        sim.edit(Resources.services, "default", "a") { $0.set("spec.type", "ClusterIP") }
        sim.settle(Self.lbStep(config))
        #expect(ip("a").isNull)
        #expect(ip("d") == [["ip": "172.18.255.200", "ipMode": "VIP"]])
        #expect(sim.messages("DeletedLoadBalancer") == ["Deleted load balancer"])
    }

    // MARK: - Bootstrap, events, timestamps

    @Test("bootstrap has the four namespaces, kubernetes and kube-dns Services, default SAs, NotReady nodes, add-ons")
    func bootstrap() throws {
        let config = ClusterConfig(
            nodes: ["podlab-control-plane", "podlab-worker"], nodeAddresses: ["podlab-worker": "172.18.0.3"])
        let objects = Bootstrap.objects(config: config)
        let names = { (r: ResourceInfo) in objects.filter { $0.0 == r }.map { $0.1.ctl.name } }
        #expect(names(Resources.namespaces) == ["default", "kube-node-lease", "kube-public", "kube-system", "ingress-nginx"])
        #expect(names(Resources.services) == ["kubernetes", "kube-dns", "ingress-nginx-controller"])
        #expect(names(Resources.serviceAccounts) == ["default", "default", "default", "default", "coredns", "ingress-nginx"])
        // The ingress-nginx add-on: the default IngressClass `nginx` and a LoadBalancer in front of the controller.
        let ingressClass = try #require(objects.first { $0.0 == Resources.ingressClasses }?.1)
        #expect(ingressClass.ctl.name == "nginx" && ingressClass.at("spec.controller") == "k8s.io/ingress-nginx")
        #expect(ingressClass.at("metadata.annotations")["ingressclass.kubernetes.io/is-default-class"] == "true")
        let lb = try #require(objects.first { $0.1.ctl.name == "ingress-nginx-controller" && $0.0 == Resources.services }?.1)
        #expect(lb.at("spec.type") == "LoadBalancer" && lb.at("spec.ports").array?.map { $0["port"] } == [80, 443])
        let controller = try #require(objects.last { $0.0 == Resources.deployments }?.1)
        #expect(controller.ctl.namespace == "ingress-nginx" && controller.ctl.name == "ingress-nginx-controller")
        #expect(BuiltinImage.classify(controller.at("spec.template.spec.containers")[0]["image"].string ?? "") == .ingressNginx)
        // kubeadm's CoreDNS add-on: two replicas behind kube-dns, and a Corefile that forwards nowhere by default.
        let coredns = try #require(objects.first { $0.0 == Resources.deployments }?.1)
        #expect(coredns.ctl.name == "coredns" && coredns.ctl.namespace == "kube-system")
        #expect(coredns.at("spec.replicas") == 2 && coredns.at("spec.template.metadata.labels") == ["k8s-app": "kube-dns"])
        let corefile = try #require(objects.first { $0.0 == Resources.configMaps && $0.1.ctl.name == "coredns" }?.1)
        #expect(corefile.at("data.Corefile").string?.contains("kubernetes cluster.local in-addr.arpa ip6.arpa {") == true)
        #expect(corefile.at("data.Corefile").string?.contains("forward") == false)
        let ns = try #require(objects.first { $0.0 == Resources.namespaces }?.1)
        #expect(ns.ctl.labels == ["kubernetes.io/metadata.name": "default"])
        let k8s = try #require(objects.first { $0.1.ctl.name == "kubernetes" }?.1)
        #expect(k8s.at("spec.selector").isNull)
        #expect(k8s.at("spec.ports") == [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]])
        let dns = try #require(objects.first { $0.1.ctl.name == "kube-dns" }?.1)
        #expect(dns.at("spec.clusterIP") == "10.96.0.10")
        #expect(dns.at("spec.ports").array?.map { $0["name"] } == ["dns", "dns-tcp", "metrics"])
        let nodes = objects.filter { $0.0 == Resources.nodes }.map(\.1)
        #expect(nodes.count == 2)
        #expect(nodes[0].ctl.labels["node-role.kubernetes.io/control-plane"] == "")
        #expect(nodes[1].ctl.labels["node-role.kubernetes.io/control-plane"] == nil)
        #expect(nodes[1].at("spec.podCIDR") == "10.244.1.0/24")
        #expect(nodes[1].at("status.addresses")[0] == ["type": "InternalIP", "address": "172.18.0.3"])
        #expect(nodes[0].ctl.condition("Ready")?["status"] == "Unknown")
        #expect(nodes[0].at("status.nodeInfo.kubeletVersion") == "v1.31.0-podlab")
    }

    @Test("events look like client-go's: <object>.<hex nanoseconds>, involvedObject, source and counts")
    func eventShape() throws {
        let now = try #require(Timestamps.parse("2026-11-23T08:03:55Z"))
        let pod: JSONValue = [
            "metadata": ["name": "web-1", "namespace": "lab", "uid": "u1", "resourceVersion": "7"]
        ]
        let ev = EventFactory.make(
            involved: pod, resource: Resources.pods, type: "Normal", reason: "Scheduled", message: "m",
            component: "default-scheduler", now: now)
        #expect(ev.ctl.name == "web-1.\(String(UInt64(now.timeIntervalSince1970) * 1_000_000_000, radix: 16))")
        #expect(ev.ctl.namespace == "lab")
        #expect(
            ev["involvedObject"] == [
                "kind": "Pod", "namespace": "lab", "name": "web-1", "uid": "u1", "apiVersion": "v1",
                "resourceVersion": "7",
            ])
        #expect(ev["source"] == ["component": "default-scheduler"])
        #expect(ev["firstTimestamp"] == "2026-11-23T08:03:55Z" && ev["lastTimestamp"] == "2026-11-23T08:03:55Z")
        #expect(ev["count"] == 1 && ev["reportingComponent"] == "default-scheduler")
        let node: JSONValue = ["metadata": ["name": "n1"]]
        let nodeEvent = EventFactory.make(
            involved: node, resource: Resources.nodes, type: "Normal", reason: "R", message: "m", component: "c",
            now: now)
        #expect(nodeEvent.ctl.namespace == "default")
        #expect(nodeEvent.at("involvedObject.namespace").isNull)
    }

    @Test("RFC 3339 timestamps format in UTC and parse with fractions and offsets")
    func timestamps() throws {
        let t = try #require(Timestamps.parse("2026-11-23T08:03:55Z"))
        #expect(Timestamps.format(t) == "2026-11-23T08:03:55Z")
        #expect(Timestamps.parse("2026-11-23T09:03:55+01:00") == t)
        #expect(Timestamps.parse("2026-11-23T08:03:55.500Z") == t.addingTimeInterval(0.5))
        #expect(Timestamps.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamps.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(Timestamps.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamps.parse("yesterday") == nil)
    }
}
