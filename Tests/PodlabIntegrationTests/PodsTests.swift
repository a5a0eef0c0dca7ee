import Foundation
import Testing

/// Issue 4's "done means": real pods in network namespaces, driven by real kubectl.
@Suite("pods are real", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct PodsTests {
    static let nginxDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: my-nginx
        spec:
          selector:
            matchLabels:
              run: my-nginx
          replicas: 2
          template:
            metadata:
              labels:
                run: my-nginx
            spec:
              containers:
              - name: my-nginx
                image: nginx
                ports:
                - containerPort: 80
        """

    /// Waits until `kubectl get pods` in `ns` shows `count` pods Running and Ready.
    func waitRunning(_ c: TestCluster, _ k: KubectlBinary, ns: String, count: Int, selector: String? = nil) throws {
        var args = ["-n", ns, "get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase}/{.status.containerStatuses[0].ready} {end}"]
        if let selector { args += ["-l", selector] }
        try c.eventually("\(count) pods Running and ready in \(ns)", attempts: 300) {
            let out = try c.kubectl(k, args).out
            return out.split(separator: " ").filter { $0 == "Running/true" }.count == count
        }
    }

    func podIPs(_ c: TestCluster, _ k: KubectlBinary, ns: String, selector: String) throws -> [(name: String, ip: String, node: String)] {
        let out = try c.kubectl(k, ["-n", ns, "get", "pods", "-l", selector, "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName}{\"\\n\"}{end}"]).out
        return out.split(separator: "\n").map { line in
            let f = line.split(separator: " ").map(String.init)
            return (f[0], f.count > 1 ? f[1] : "", f.count > 2 ? f[2] : "")
        }
    }

    @Test("seed 000: nginx pods on both nodes answer a busybox pod on the other node, flat and without NAT",
          arguments: KubectlBinary.all)
    func seed000(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("my-nginx", k)
        _ = try c.kubectl(k, ["create", "namespace", ns])
        defer { _ = try? c.kubectl(k, ["delete", "namespace", ns, "--wait=false"]) }
        let f = try c.file("run-my-nginx-\(ns).yaml", Self.nginxDeployment)
        var r = try c.kubectl(k, ["-n", ns, "apply", "-f", f])
        #expect(r.status == 0, "\(r)")
        try waitRunning(c, k, ns: ns, count: 2, selector: "run=my-nginx")

        let pods = try podIPs(c, k, ns: ns, selector: "run=my-nginx")
        #expect(Set(pods.map(\.node)) == ["podlab-control-plane", "podlab-worker"], "\(pods)")
        r = try c.kubectl(k, ["-n", ns, "get", "pods", "-l", "run=my-nginx", "-o", "wide"])
        for p in pods {
            #expect(r.out.contains(p.ip) && r.out.contains(p.node), "\(r)")
            #expect(p.ip.hasPrefix("10.244."), "\(p)")
        }
        r = try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "yaml"])
        #expect(r.out.split(separator: "\n").filter { $0.contains("podIP:") }.count == 2, "\(r)")

        // A busybox pod on the node of the first nginx pod reaches the nginx pod on the *other* node.
        let target = pods[0]
        let other = pods[1]
        let bb = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: bb
            spec:
              nodeName: \(target.node)
              containers:
              - name: bb
                image: busybox
                command: ["sleep", "1000000"]
            """
        r = try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("bb-\(ns).yaml", bb)])
        #expect(r.status == 0, "\(r)")
        try c.eventually("bb Running", attempts: 300) {
            try c.kubectl(k, ["-n", ns, "get", "pod", "bb", "-o", "jsonpath={.status.phase}"]).out == "Running"
        }
        let bbIP = try c.kubectl(k, ["-n", ns, "get", "pod", "bb", "-o", "jsonpath={.status.podIP}"]).out
        r = try c.kubectl(k, ["-n", ns, "exec", "bb", "--", "wget", "-q", "-O", "-", other.ip])
        #expect(r.status == 0 && r.out.contains("<title>Welcome to nginx!</title>"), "\(r)")
        // The nginx pod saw the busybox pod's own address: no NAT between pods.
        try c.eventually("the access log shows \(bbIP)", attempts: 50) {
            try c.kubectl(k, ["-n", ns, "logs", other.name]).out.contains("\(bbIP) - - [")
        }

        r = try c.kubectl(k, ["-n", ns, "exec", "bb", "--", "hostname"])
        #expect(r.out == "bb\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "exec", "bb", "--", "cat", "/etc/resolv.conf"])
        #expect(r.out.contains("search \(ns).svc.cluster.local svc.cluster.local cluster.local"), "\(r)")
        #expect(r.out.contains("nameserver 10.96.0.10") && r.out.contains("options ndots:5"), "\(r)")
        r = try c.kubectl(k, ["-n", ns, "exec", "bb", "--", "sh", "-c", "exit 3"])
        #expect(r.status == 3, "\(r)")
        r = try c.kubectl(k, ["-n", ns, "exec", "-i", "bb", "--", "cat"], stdin: "through stdin\n")
        #expect(r.status == 0 && r.out == "through stdin\n", "\(r)")
    }

    @Test("httpenv shows HOSTNAME and the KUBERNETES_* variables", arguments: KubectlBinary.all.prefix(1))
    func httpenv(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("httpenv", k)
        _ = try c.kubectl(k, ["create", "namespace", ns])
        defer { _ = try? c.kubectl(k, ["delete", "namespace", ns, "--wait=false"]) }
        var r = try c.kubectl(k, ["-n", ns, "create", "deployment", "httpenv", "--image=bretfisher/httpenv"])
        #expect(r.status == 0, "\(r)")
        _ = try c.kubectl(k, ["-n", ns, "run", "shell", "--image=busybox", "--", "sleep", "1000000"])
        try waitRunning(c, k, ns: ns, count: 2)
        let pod = try #require(try podIPs(c, k, ns: ns, selector: "app=httpenv").first)
        r = try c.kubectl(k, ["-n", ns, "exec", "shell", "--", "wget", "-q", "-O", "-", "http://\(pod.ip):8888/"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out.contains("\"HOSTNAME\":\"\(pod.name)\""), "\(r)")
        #expect(r.out.contains("\"KUBERNETES_SERVICE_HOST\":\"10.96.0.1\""), "\(r)")
        #expect(r.out.contains("\"KUBERNETES_PORT_443_TCP\":\"tcp://10.96.0.1:443\""), "\(r)")
    }

    /// kubectl attaches only after it sees the pod running, so a command's first lines are printed before anyone is
    /// attached; the output must still reach the terminal that ran `kubectl run -i`, in order.
    @Test("kubectl run --rm -i shows a command's output from its first line", arguments: KubectlBinary.all)
    func runAttachedFromTheStart(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("runrm", k)
        _ = try c.kubectl(k, ["create", "namespace", ns])
        defer { _ = try? c.kubectl(k, ["delete", "namespace", ns, "--wait=false"]) }
        // Still running when kubectl attaches: the first line is printed long before.
        var r = try c.kubectl(k, ["-n", ns, "run", "early", "--rm", "-i", "--restart=Never", "--image=busybox", "--",
                                  "sh", "-c", "echo first-line; sleep 2; echo last-line"], timeout: .seconds(90))
        #expect(r.status == 0, "\(r)")
        #expect(r.out.contains("first-line\nlast-line\n"), "\(r)")
        // Over before kubectl attaches.
        r = try c.kubectl(k, ["-n", ns, "run", "quick", "--rm", "-i", "--restart=Never", "--image=busybox", "--",
                              "echo", "only-line"], timeout: .seconds(90))
        #expect(r.status == 0 && r.out.contains("only-line\n"), "\(r)")
        // --rm deleted both pods.
        r = try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "name"])
        #expect(r.out.isEmpty, "\(r)")
    }

    @Test("an unknown image reports ErrImagePull with a message naming the built-in images",
          arguments: KubectlBinary.all.prefix(1))
    func unknownImage(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("badimage", k)
        _ = try c.kubectl(k, ["create", "namespace", ns])
        defer { _ = try? c.kubectl(k, ["delete", "namespace", ns, "--wait=false"]) }
        _ = try c.kubectl(k, ["-n", ns, "run", "redis", "--image=redis:7"])
        try c.eventually("ErrImagePull or ImagePullBackOff", attempts: 100) {
            let out = try c.kubectl(k, ["-n", ns, "get", "pod", "redis"]).out
            return out.contains("ErrImagePull") || out.contains("ImagePullBackOff")
        }
        let msg = try c.kubectl(k, ["-n", ns, "get", "pod", "redis", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.message}"]).out
        #expect(msg.contains("redis:7") && msg.contains("bretfisher/httpenv"), "\(msg)")
    }

    @Test("a failing readiness probe keeps the pod out of the Service's endpoints", arguments: KubectlBinary.all.prefix(1))
    func readiness(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("probes", k)
        _ = try c.kubectl(k, ["create", "namespace", ns])
        defer { _ = try? c.kubectl(k, ["delete", "namespace", ns, "--wait=false"]) }
        func pod(_ name: String, path: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: \(name)
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx
                ports: [{containerPort: 80}]
                readinessProbe:
                  httpGet: {path: \(path), port: 80}
                  periodSeconds: 1
            ---
            """
        }
        let svc = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{port: 80}]
            """
        let f = try c.file("probes-\(ns).yaml", pod("good", path: "/") + "\n" + pod("bad", path: "/healthz") + "\n" + svc)
        let r = try c.kubectl(k, ["-n", ns, "apply", "-f", f])
        #expect(r.status == 0, "\(r)")
        let goodIP = try { () throws -> String in
            var ip = ""
            try c.eventually("good is ready", attempts: 200) {
                ip = try c.kubectl(k, ["-n", ns, "get", "pod", "good", "-o", "jsonpath={.status.podIP}"]).out
                let ready = try c.kubectl(k, ["-n", ns, "get", "pod", "good", "-o", "jsonpath={.status.containerStatuses[0].ready}"]).out
                return ready == "true" && !ip.isEmpty
            }
            return ip
        }()
        try c.eventually("endpoints list only the ready pod", attempts: 100) {
            try c.kubectl(k, ["-n", ns, "get", "endpoints", "web", "-o", "jsonpath={.subsets[0].addresses[*].ip}"]).out == goodIP
        }
        let bad = try c.kubectl(k, ["-n", ns, "get", "pod", "bad"])
        #expect(bad.out.contains("0/1") && bad.out.contains("Running"), "\(bad)")
        let events = try c.kubectl(k, ["-n", ns, "get", "events", "--field-selector", "involvedObject.name=bad"])
        #expect(events.out.contains("Readiness probe failed: HTTP probe failed with statuscode: 404"), "\(events)")
    }

    @Test("a pod that takes its grace period to stop does not hold up a new pod", arguments: KubectlBinary.all.prefix(1))
    func slowStopDoesNotBlock(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("slowstop", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        // The shell ignores SIGTERM (its sleeps do not), so only the SIGKILL after the grace period stops it.
        let stubborn = """
            apiVersion: v1
            kind: Pod
            metadata: {name: stubborn}
            spec:
              terminationGracePeriodSeconds: 20
              containers:
              - name: sh
                image: busybox
                command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
            """
        #expect(try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("stubborn-\(ns).yaml", stubborn)]).status == 0)
        try waitRunning(c, k, ns: ns, count: 1)
        let del = try c.kubectl(k, ["-n", ns, "delete", "pod", "stubborn", "--wait=false"])
        #expect(del.status == 0, "\(del)")
        _ = try c.kubectl(k, ["-n", ns, "run", "quick", "--image=nginx"])
        try c.eventually("quick runs while stubborn is still stopping", attempts: 100) {
            try c.kubectl(k, ["-n", ns, "get", "pod", "quick", "-o", "jsonpath={.status.phase}"]).out == "Running"
        }
        let still = try c.kubectl(k, ["-n", ns, "get", "pod", "stubborn", "-o", "jsonpath={.metadata.deletionTimestamp}"])
        #expect(still.status == 0 && !still.out.isEmpty, "stubborn should still be Terminating: \(still)")
        _ = try c.kubectl(k, ["-n", ns, "delete", "pod", "stubborn", "--grace-period=0", "--force"])
    }
}
