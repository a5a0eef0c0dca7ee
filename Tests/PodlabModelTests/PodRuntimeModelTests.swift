import Foundation
import Testing

@testable import PodlabModel

@Suite("pod runtime model")
struct PodRuntimeModelTests {
    static func service(_ name: String, _ ns: String, ip: String, ports: [(String?, Int32, String)]) -> Service {
        var s = Service(metadata: ObjectMeta(name: name, namespace: ns))
        var spec = ServiceSpec()
        spec.clusterIP = ip
        spec.ports = ports.map { n, p, proto in
            var sp = ServicePort()
            sp.name = n
            sp.port = p
            sp.protocol = proto
            return sp
        }
        s.spec = spec
        return s
    }

    static func pod(_ name: String = "web-1", ns: String = "default", env: [EnvVar] = []) -> Pod {
        var c = Container(name: "web", image: "bretfisher/httpenv")
        c.env = env
        var p = Pod(metadata: ObjectMeta(name: name, namespace: ns), spec: PodSpec(containers: [c]))
        p.metadata.uid = "u-1"
        p.spec?.nodeName = "podlab-worker"
        return p
    }

    @Test("service variables follow kubelet's Docker-links names for the pod's namespace and kubernetes")
    func serviceVariables() throws {
        let services = [
            Self.service("kubernetes", "default", ip: "10.96.0.1", ports: [("https", 443, "TCP")]),
            Self.service("httpenv", "default", ip: "10.96.12.34", ports: [(nil, 8888, "TCP")]),
            Self.service("other-ns", "blue", ip: "10.96.1.1", ports: [(nil, 80, "TCP")]),
            Self.service("headless", "default", ip: "None", ports: [(nil, 80, "TCP")]),
        ]
        let pod = Self.pod()
        let env = try PodEnvironment.build(.init(
            pod: pod, container: pod.spec!.containers![0], podIP: "10.244.1.5", hostIP: "172.18.0.3",
            services: services))
        let map = Dictionary(env.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(map["HOSTNAME"] == "web-1")
        #expect(map["KUBERNETES_SERVICE_HOST"] == "10.96.0.1")
        #expect(map["KUBERNETES_SERVICE_PORT"] == "443")
        #expect(map["KUBERNETES_SERVICE_PORT_HTTPS"] == "443")
        #expect(map["KUBERNETES_PORT"] == "tcp://10.96.0.1:443")
        #expect(map["KUBERNETES_PORT_443_TCP_ADDR"] == "10.96.0.1")
        #expect(map["HTTPENV_SERVICE_HOST"] == "10.96.12.34")
        #expect(map["HTTPENV_PORT_8888_TCP"] == "tcp://10.96.12.34:8888")
        #expect(map["HTTPENV_PORT_8888_TCP_PROTO"] == "tcp")
        #expect(map["OTHER_NS_SERVICE_HOST"] == nil)
        #expect(map["HEADLESS_SERVICE_HOST"] == nil)
    }

    @Test("manifest env resolves fieldRefs and expands earlier variables")
    func manifestEnv() throws {
        var ip = EnvVar(name: "MY_IP")
        var src = EnvVarSource()
        src.fieldRef = ObjectFieldSelector(fieldPath: "status.podIP")
        ip.valueFrom = src
        var node = EnvVar(name: "NODE")
        var nsrc = EnvVarSource()
        nsrc.fieldRef = ObjectFieldSelector(fieldPath: "spec.nodeName")
        node.valueFrom = nsrc
        let pod = Self.pod(env: [ip, node, EnvVar(name: "URL", value: "http://$(MY_IP):80/$(NOPE)/$$(MY_IP)")])
        let env = try PodEnvironment.build(.init(
            pod: pod, container: pod.spec!.containers![0], podIP: "10.244.1.5", hostIP: "172.18.0.3"))
        let map = Dictionary(env.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(map["MY_IP"] == "10.244.1.5")
        #expect(map["NODE"] == "podlab-worker")
        #expect(map["URL"] == "http://10.244.1.5:80/$(NOPE)/$(MY_IP)")
    }

    @Test("a configMapKeyRef to a missing ConfigMap is a config error naming it")
    func missingConfigMap() {
        var v = EnvVar(name: "X")
        var src = EnvVarSource()
        src.configMapKeyRef = KeySelector(name: "settings", key: "mode")
        v.valueFrom = src
        let pod = Self.pod(env: [v])
        #expect(throws: PodEnvironment.ConfigError(message: "configmap \"settings\" not found")) {
            try PodEnvironment.build(.init(pod: pod, container: pod.spec!.containers![0], podIP: "", hostIP: ""))
        }
    }

    @Test("ClusterFirst resolv.conf has the namespace search list and ndots:5")
    func resolvClusterFirst() {
        let text = PodFiles.resolvConf(for: Self.pod(ns: "my-nginx"), dns: .init())
        #expect(text == "search my-nginx.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n")
    }

    @Test("dnsPolicy None uses dnsConfig alone; dnsConfig options override by name")
    func resolvNone() {
        var p = Self.pod()
        p.spec?.dnsPolicy = "None"
        var cfg = PodDNSConfig()
        cfg.nameservers = ["1.2.3.4"]
        cfg.searches = ["ns1.svc.cluster-domain.example"]
        cfg.options = [PodDNSConfigOption(name: "ndots", value: "2"), PodDNSConfigOption(name: "edns0")]
        p.spec?.dnsConfig = cfg
        #expect(PodFiles.resolvConf(for: p, dns: .init())
            == "search ns1.svc.cluster-domain.example\nnameserver 1.2.3.4\noptions ndots:2 edns0\n")
        p.spec?.dnsPolicy = "ClusterFirst"
        #expect(PodFiles.resolvConf(for: p, dns: .init()).hasSuffix("options ndots:2 edns0\n"))
    }

    @Test("hosts file names the pod, with its FQDN when a subdomain is set")
    func hosts() {
        var p = Self.pod()
        #expect(PodFiles.hosts(for: p, podIP: "10.244.1.5").hasSuffix("\n10.244.1.5\tweb-1\n"))
        p.spec?.hostname = "h"
        p.spec?.subdomain = "sub"
        #expect(PodFiles.hosts(for: p, podIP: "10.244.1.5").contains("10.244.1.5\th.sub.default.svc.cluster.local\th\n"))
    }

    @Test("image names classify with any registry, tag or digest", arguments: [
        ("nginx", BuiltinImage.nginx), ("docker.io/library/nginx:1.27", .nginx), ("bretfisher/httpenv", .httpenv),
        ("traefik/whoami:v1.10", .whoami), ("containous/whoami", .whoami), ("localhost:5000/busybox", .shell),
        ("nicolaka/netshoot@sha256:abc", .shell), ("jpetazzo/shpod", .shell),
        ("minikube-demo-server-fetcher", .demoFetcher), ("registry:5000/minikube-demo-server:v1", .demoServer),
    ])
    func classify(image: String, expected: BuiltinImage) {
        #expect(BuiltinImage.classify(image) == expected)
    }

    @Test("an unknown image is not built in")
    func unknownImage() {
        #expect(BuiltinImage.classify("redis:7") == nil)
        #expect(BuiltinImage.pullErrorMessage(for: "redis:7").contains("nginx"))
    }

    @Test("pod IPAM skips the gateway, used addresses and broadcast, and rotates")
    func ipam() throws {
        var ipam = PodIPAM(cidr: try #require(IPv4CIDR("10.244.1.0/24")))
        #expect(ipam.gateway.description == "10.244.1.1")
        let first = ipam.allocate(used: [])
        let a = try #require(first)
        #expect(a.description == "10.244.1.2")
        let second = ipam.allocate(used: [a])
        let b = try #require(second)
        #expect(b.description == "10.244.1.3")
        // a is free again, but the cursor moves on first.
        let third = ipam.allocate(used: [b])
        #expect(third?.description == "10.244.1.4")
        var small = PodIPAM(cidr: try #require(IPv4CIDR("10.0.0.0/30")))
        let only = small.allocate(used: [])
        #expect(only?.description == "10.0.0.2")
        let none = small.allocate(used: [IPv4Address("10.0.0.2")!])
        #expect(none == nil)
    }

    @Test("status: running and ready gives phase Running and Ready=True; a pull error keeps Pending")
    func status() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let pod: JSONValue = ["metadata": ["name": "p"], "spec": ["restartPolicy": "Always"], "status": ["phase": "Pending"]]
        let running = PodStatusBuilder.status(of: pod, report: PodReport(
            podIP: "10.244.1.5", hostIP: "172.18.0.3", startTime: now,
            containers: [ContainerReport(name: "web", image: "nginx", state: .running(startedAt: now), ready: true)]),
            now: now)
        #expect(running["phase"].string == "Running")
        #expect(running["podIP"].string == "10.244.1.5")
        let ready = running["conditions"].array?.first { $0["type"].string == "Ready" }
        #expect(ready?["status"].string == "True")
        #expect(running["containerStatuses"][0]["started"].bool == true)

        let pulling = PodStatusBuilder.status(of: pod, report: PodReport(
            podIP: "10.244.1.6", hostIP: "172.18.0.3", startTime: now,
            containers: [ContainerReport(name: "web", image: "redis", state: .waiting(reason: "ErrImagePull", message: "m"))]),
            now: now)
        #expect(pulling["phase"].string == "Pending")
        #expect(pulling["containerStatuses"][0]["state"]["waiting"]["reason"].string == "ErrImagePull")
        let notReady = pulling["conditions"].array?.first { $0["type"].string == "ContainersReady" }
        #expect(notReady?["message"].string == "containers with unready status: [web]")
    }

    @Test("phase follows restartPolicy for exited containers")
    func phases() {
        let ok = ContainerExit(exitCode: 0, reason: "Completed", startedAt: "", finishedAt: "")
        let bad = ContainerExit(exitCode: 3, reason: "Error", startedAt: "", finishedAt: "")
        let done = [ContainerReport(name: "a", image: "busybox", state: .terminated(ok))]
        let failed = [ContainerReport(name: "a", image: "busybox", state: .terminated(bad))]
        #expect(PodStatusBuilder.phase(done, restartPolicy: "Never") == "Succeeded")
        #expect(PodStatusBuilder.phase(failed, restartPolicy: "Never") == "Failed")
        #expect(PodStatusBuilder.phase(failed, restartPolicy: "OnFailure") == "Running")
        let backoff = [ContainerReport(
            name: "a", image: "busybox", state: .waiting(reason: "CrashLoopBackOff", message: nil), lastTermination: bad)]
        #expect(PodStatusBuilder.phase(backoff, restartPolicy: "Always") == "Running")
    }
}
