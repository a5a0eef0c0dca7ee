import Foundation
import Testing

@testable import PodlabModel

@Suite("EndpointsController and EndpointSliceController")
struct ControllerEndpointsTests {
    static let config = ClusterConfig(nodes: ["podlab-control-plane", "podlab-worker"], apiServerIP: "172.18.0.2")

    static func step(_ s: ClusterSnapshot, _ rng: inout ControllerRNG) -> [ControllerAction] {
        EndpointsController.reconcile(s, config: config)
            + EndpointSliceController.reconcile(s, config: config, rng: &rng)
    }

    static func slices(_ sim: ClusterSim, _ svc: String = "web") -> [JSONValue] {
        sim.list(Resources.endpointSlices, "default").filter { $0.ctl.labels["kubernetes.io/service-name"] == svc }
    }

    @Test("ready pods are addresses, unready ones notReadyAddresses, pods without IP are left out")
    func readiness() throws {
        var sim = ClusterSim()
        sim.create(Resources.services, ControllerFixture.service())
        let a = sim.create(Resources.pods, ControllerFixture.pod("a", ip: "10.244.1.10"))
        sim.create(Resources.pods, ControllerFixture.pod("b", ip: "10.244.1.9", ready: false))
        sim.create(Resources.pods, ControllerFixture.pod("noip", ip: nil))
        sim.create(Resources.pods, ControllerFixture.pod("other", labels: ["app": "db"], ip: "10.244.1.11"))
        sim.settle(Self.step)
        let ep = try #require(sim.get(Resources.endpoints, "default", "web"))
        let expected: JSONValue = [
            [
                "addresses": [
                    [
                        "ip": "10.244.1.10", "nodeName": "podlab-worker",
                        "targetRef": ["kind": "Pod", "namespace": "default", "name": "a", "uid": .string(a.ctl.uid)],
                    ]
                ],
                "notReadyAddresses": [
                    [
                        "ip": "10.244.1.9", "nodeName": "podlab-worker",
                        "targetRef": [
                            "kind": "Pod", "namespace": "default", "name": "b",
                            "uid": .string(sim.get(Resources.pods, "default", "b")?.ctl.uid ?? ""),
                        ],
                    ]
                ],
                "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
            ]
        ]
        #expect(ep["subsets"] == expected)
        // The readiness flip is followed by an update, and then nothing more.
        sim.edit(Resources.pods, "default", "b") {
            $0.set("status.conditions", [["type": "Ready", "status": "True"]])
        }
        sim.settle(Self.step)
        let after = try #require(sim.get(Resources.endpoints, "default", "web"))
        #expect(after["subsets"][0]["addresses"].array?.map { $0["ip"] } == ["10.244.1.9", "10.244.1.10"])
        #expect(after["subsets"][0]["notReadyAddresses"].isNull)
        var rng = ControllerRNG(seed: 5)
        #expect(Self.step(sim.snapshot, &rng).isEmpty)
    }

    @Test("named target ports resolve per pod; a pod without the name is skipped for that port")
    func namedPorts() throws {
        var sim = ClusterSim()
        sim.create(Resources.services, ControllerFixture.service())
        sim.create(Resources.pods, ControllerFixture.pod("p8080", ip: "10.244.1.2"))
        sim.create(
            Resources.pods,
            ControllerFixture.pod("p9090", ip: "10.244.1.3", ports: [["name": "http", "containerPort": 9090]]))
        sim.create(Resources.pods, ControllerFixture.pod("unnamed", ip: "10.244.1.4", ports: [["containerPort": 80]]))
        sim.settle(Self.step)
        let subsets = try #require(sim.get(Resources.endpoints, "default", "web")?["subsets"].array)
        #expect(subsets.count == 2)
        #expect(subsets.map { $0["addresses"][0]["ip"] } == ["10.244.1.2", "10.244.1.3"])
        #expect(subsets.map { $0["ports"][0]["port"] } == [8080, 9090])
        // Slices group pods by resolved ports; as upstream, a pod resolving none gets a slice without ports.
        let slices = Self.slices(sim)
        #expect(slices.count == 3)
        let ports = Set(slices.compactMap { $0["ports"][0]["port"].int })
        #expect(ports == [8080, 9090])
        let portless = try #require(slices.first { $0["ports"].isNull })
        #expect(portless["endpoints"][0]["addresses"][0] == "10.244.1.4")
    }

    @Test("slices are <svc>-xxxxx via generateName, labelled, owned by the Service, IPv4, with named ports")
    func sliceShape() throws {
        var sim = ClusterSim()
        let svc = sim.create(Resources.services, ControllerFixture.service())
        let pod = sim.create(Resources.pods, ControllerFixture.pod("a", ip: "10.244.1.10"))
        sim.settle(Self.step)
        let slice = try #require(Self.slices(sim).first)
        #expect(slice.ctl.name.hasPrefix("web-") && slice.ctl.name.count == 9)
        #expect(slice.at("metadata.generateName") == "web-")
        #expect(
            slice.ctl.labels == [
                "kubernetes.io/service-name": "web",
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            ])
        #expect(slice.ctl.isControlled(by: svc))
        #expect(slice.ctl.ownerReferences.first?["kind"] == "Service")
        #expect(slice["addressType"] == "IPv4")
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        #expect(
            slice["endpoints"] == [
                [
                    "addresses": ["10.244.1.10"],
                    "conditions": ["ready": true, "serving": true, "terminating": false],
                    "nodeName": "podlab-worker",
                    "targetRef": ["kind": "Pod", "namespace": "default", "name": "a", "uid": .string(pod.ctl.uid)],
                ]
            ])
    }

    @Test("a terminating pod leaves Endpoints but stays in its slice as not ready, serving, terminating")
    func terminating() throws {
        var sim = ClusterSim()
        sim.create(Resources.services, ControllerFixture.service())
        var p = ControllerFixture.pod("going", ip: "10.244.1.10")
        p.set("metadata.deletionTimestamp", "2026-11-23T08:03:55Z")
        sim.create(Resources.pods, p)
        sim.settle(Self.step)
        #expect(sim.get(Resources.endpoints, "default", "web")?["subsets"].isNull == true)
        let ep = try #require(Self.slices(sim).first?["endpoints"][0])
        #expect(ep["conditions"] == ["ready": false, "serving": true, "terminating": true])
    }

    @Test("publishNotReadyAddresses lists unready pods as ready in both objects")
    func publishNotReady() throws {
        var sim = ClusterSim()
        var svc = ControllerFixture.service()
        svc.set("spec.publishNotReadyAddresses", true)
        sim.create(Resources.services, svc)
        sim.create(Resources.pods, ControllerFixture.pod("a", ip: "10.244.1.10", ready: false))
        sim.settle(Self.step)
        #expect(sim.get(Resources.endpoints, "default", "web")?["subsets"][0]["addresses"][0]["ip"] == "10.244.1.10")
        #expect(Self.slices(sim).first?["endpoints"][0]["conditions"]["ready"] == true)
        #expect(Self.slices(sim).first?["endpoints"][0]["conditions"]["serving"] == false)
    }

    @Test("a Service without pods has empty Endpoints and one placeholder slice; deleting it removes both")
    func emptyAndDeleted() throws {
        var sim = ClusterSim()
        let svc = sim.create(Resources.services, ControllerFixture.service())
        sim.settle(Self.step)
        let ep = try #require(sim.get(Resources.endpoints, "default", "web"))
        #expect(ep["subsets"].isNull)
        #expect(ep.ctl.labels.isEmpty)
        let slices = Self.slices(sim)
        #expect(slices.count == 1)
        #expect(slices.first?["endpoints"].isNull == true && slices.first?["ports"].isNull == true)
        sim.remove(Resources.services, "default", svc.ctl.name)
        sim.settle(Self.step)
        #expect(sim.get(Resources.endpoints, "default", "web") == nil)
        #expect(Self.slices(sim).isEmpty)
    }

    @Test("Services without a selector are left alone; user Endpoints are mirrored into a slice")
    func selectorless() throws {
        var sim = ClusterSim()
        sim.create(
            Resources.services,
            ControllerFixture.service("ext", selector: nil, ports: [["port": 80, "protocol": "TCP"]]))
        sim.settle(Self.step)
        #expect(sim.get(Resources.endpoints, "default", "ext") == nil)
        #expect(Self.slices(sim, "ext").isEmpty)
        let ep = sim.create(
            Resources.endpoints,
            [
                "apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "ext", "namespace": "default"],
                "subsets": [["addresses": [["ip": "192.168.1.5"]], "ports": [["port": 8080, "protocol": "TCP"]]]],
            ])
        sim.settle(Self.step)
        #expect(sim.get(Resources.endpoints, "default", "ext")?["subsets"] == ep["subsets"])
        let slice = try #require(Self.slices(sim, "ext").first)
        #expect(
            slice.ctl.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslicemirroring-controller.k8s.io")
        #expect(slice.ctl.isControlled(by: ep))
        #expect(slice["endpoints"] == [["addresses": ["192.168.1.5"], "conditions": ["ready": true]]])
        #expect(slice["ports"] == [["name": "", "port": 8080, "protocol": "TCP"]])
    }

    @Test("headless Services label their Endpoints and give subdomain pods a hostname")
    func headless() throws {
        var sim = ClusterSim()
        var svc = ControllerFixture.service(
            "db", selector: ["app": "db"], ports: [["name": "pg", "port": 5432, "targetPort": 5432]])
        svc.set("spec.clusterIP", "None")
        sim.create(Resources.services, svc)
        var pod = ControllerFixture.pod("db-0", labels: ["app": "db"], ip: "10.244.1.7")
        pod.set("spec.hostname", "db-0")
        pod.set("spec.subdomain", "db")
        sim.create(Resources.pods, pod)
        sim.settle(Self.step)
        let ep = try #require(sim.get(Resources.endpoints, "default", "db"))
        #expect(ep.ctl.labels == ["service.kubernetes.io/headless": ""])
        #expect(ep["subsets"][0]["addresses"][0]["hostname"] == "db-0")
        #expect(ep["subsets"][0]["ports"] == [["name": "pg", "port": 5432, "protocol": "TCP"]])
        #expect(Self.slices(sim, "db").first?["endpoints"][0]["hostname"] == "db-0")
    }

    @Test("more than 100 endpoints are split over several slices")
    func manyEndpoints() throws {
        var sim = ClusterSim()
        sim.create(Resources.services, ControllerFixture.service())
        for i in 0..<150 {
            sim.create(Resources.pods, ControllerFixture.pod("p\(i)", ip: "10.244.\(i / 200).\(i % 200 + 2)"))
        }
        sim.settle(Self.step)
        let counts = Self.slices(sim).map { $0["endpoints"].array?.count ?? 0 }.sorted()
        #expect(counts == [50, 100])
    }
}
