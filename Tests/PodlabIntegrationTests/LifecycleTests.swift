import Foundation
import Testing

/// `podlab up/down/status/kubectl`, authentication and crash safety.
@Suite("podlab's own commands", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct LifecycleTests {
    @Test("a request without a client certificate is refused")
    func unauthenticated() throws {
        let c = try TestCluster.get()
        let r = try run(["/usr/bin/curl", "-sk", "--max-time", "5", "https://127.0.0.1:\(c.port)/api/v1/namespaces"])
        #expect(r.status != 0, "curl without a certificate got an answer: \(r)")
        #expect(!r.out.contains("NamespaceList"), "\(r)")
        // With the admin certificate the same request works: the refusal above is about authentication.
        let dir = c.stateDir + "/pki"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        #expect(!files.isEmpty)
    }

    @Test("kubeconfig is written 0600 and podlab kubectl uses it")
    func kubeconfig() throws {
        let c = try TestCluster.get()
        let attrs = try FileManager.default.attributesOfItem(atPath: c.kubeconfig)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let merged = c.home + "/.kube/config"
        let mergedAttrs = try FileManager.default.attributesOfItem(atPath: merged)
        #expect((mergedAttrs[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: merged, encoding: .utf8).contains("current-context: podlab"))
        guard let k = KubectlBinary.all.first else { return }
        let r = try c.podlab(["kubectl", "get", "ns", "default", "-o", "name"], env: ["PATH": URL(fileURLWithPath: k.path).deletingLastPathComponent().path + ":/usr/bin:/bin"])
        #expect(r.out == "namespace/default\n", "\(r)")
    }

    @Test("up twice says the cluster runs; status shows the daemon and the nodes")
    func upTwiceAndStatus() throws {
        let c = try TestCluster.get()
        var r = try c.podlab(["up", "--api-port", "0"])
        #expect(r.status == 0 && r.out.contains("podlab is already running"), "\(r)")
        r = try c.podlab(["status"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out.contains("podlabd:  running, pid"), "\(r)")
        #expect(r.out.contains("podlab-control-plane") && r.out.contains("podlab-worker"), "\(r)")
        #expect(r.out.contains("namespaces: "), "\(r)")
    }

    @Test("down with nothing up says so; up without root names the missing capability")
    func downNothingAndNoRoot() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("pltest-none-\(getpid())").path
        var r = try run([TestCluster.podlabBinary, "down", "--state-dir", empty])
        #expect(r.status == 0 && r.out.contains("No podlab cluster is running"), "\(r)")
        r = try run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                     TestCluster.podlabBinary, "up", "--state-dir", empty])
        #expect(r.status == 1, "\(r)")
        #expect(r.err.hasPrefix("error: podlab up needs CAP_NET_ADMIN and CAP_SYS_ADMIN"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: empty))
    }

    @Test("a daemon killed with SIGKILL and started again keeps every acknowledged object")
    func crashKeepsObjects() throws {
        let c = try TestCluster(name: "crash")
        defer { _ = try? c.down() }
        guard let k = KubectlBinary.all.first else { return }
        let ns = "crash"
        _ = try c.kubectl(k, ["create", "ns", ns])
        for i in 0..<20 {
            let r = try c.kubectl(k, ["-n", ns, "create", "configmap", "cm\(i)", "--from-literal=i=\(i)"])
            #expect(r.status == 0, "\(r)")
        }
        let before = try c.kubectl(k, ["-n", ns, "get", "cm", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.uid} {end}"]).out
        let pidText = try String(contentsOfFile: c.stateDir + "/podlabd.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGKILL) == 0)
        try c.eventually("the daemon is gone") { kill(pid, 0) != 0 || (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z") == true }
        let up = try c.podlab(["up", "--api-port", String(c.port)])
        #expect(up.status == 0, "\(up)")
        let after = try c.kubectl(k, ["-n", ns, "get", "cm", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.uid} {end}"]).out
        #expect(after == before)
        // 20 ConfigMaps, plus the kube-root-ca.crt every namespace gets.
        #expect(before.split(separator: " ").count == 21, "\(before)")
        #expect(before.contains("kube-root-ca.crt="), "\(before)")
    }

    /// What podlab must leave as it found it in the root namespace.
    static func rootSnapshot() throws -> String {
        var out = ""
        for argv in [["/usr/sbin/ip", "-o", "link"], ["/usr/sbin/ip", "-o", "addr"], ["/usr/sbin/ip", "route", "show", "table", "all"],
                     ["/usr/sbin/ip", "rule"], ["/usr/sbin/nft", "list", "ruleset"]] {
            let r = try run(argv)
            // Link counters and per-link timers vary; names, flags, addresses and routes must not.
            out += "$ \(argv.joined(separator: " "))\n" + r.out.split(separator: "\n").map { line in
                line.replacingOccurrences(of: #"valid_lft \S+ preferred_lft \S+"#, with: "", options: .regularExpression)
            }.joined(separator: "\n") + "\n"
        }
        for key in ["ipv4/ip_forward", "ipv4/conf/all/rp_filter", "ipv4/conf/default/rp_filter", "ipv4/conf/all/arp_ignore",
                    "ipv4/conf/all/send_redirects", "ipv4/conf/all/proxy_arp", "ipv4/conf/all/route_localnet"] {
            out += key + "=" + ((try? String(contentsOfFile: "/proc/sys/net/" + key, encoding: .utf8)) ?? "-")
        }
        return out
    }

    @Test("after kill -9 of the daemon, down leaves no namespace, mount or process, and the root namespace as it was")
    func crashThenDown() throws {
        let before = try Self.rootSnapshot()
        let c = try TestCluster(name: "kill9")
        defer { _ = try? c.down() }
        guard let k = KubectlBinary.all.first else { return }
        _ = try c.kubectl(k, ["create", "deployment", "web", "--image=nginx", "--replicas=3"])
        _ = try c.kubectl(k, ["run", "sleeper", "--image=busybox", "--", "sleep", "1000000"])
        try c.eventually("4 pods Running", attempts: 300) {
            let out = try c.kubectl(k, ["get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase} {end}"]).out
            return out.split(separator: " ").filter { $0 == "Running" }.count == 4
        }
        let ips = try c.kubectl(k, ["get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.podIP} {end}"]).out
        let pidText = try String(contentsOfFile: c.stateDir + "/podlabd.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGKILL) == 0)
        try c.eventually("the daemon is gone") { kill(pid, 0) != 0 || (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z") == true }

        // A restarted daemon adopts the running pods: same IPs, no second sandbox.
        let up = try c.podlab(["up", "--api-port", String(c.port)])
        #expect(up.status == 0, "\(up)")
        try c.eventually("pods Running again with the same IPs", attempts: 100) {
            try c.kubectl(k, ["get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.podIP} {end}"]).out == ips
        }
        let netnsCount = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(c.netPrefix + "_") }.count
        // The 4 pods, the 2 coredns replicas and the ingress-nginx controller every cluster runs.
        #expect(netnsCount == 7)

        let pid2 = try #require(Int32(try String(contentsOfFile: c.stateDir + "/podlabd.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid2, SIGKILL) == 0)
        try c.eventually("the second daemon is gone") { kill(pid2, 0) != 0 || (try? String(contentsOfFile: "/proc/\(pid2)/stat", encoding: .utf8))?.contains(") Z") == true }
        let down = try c.down()
        #expect(down.status == 0, "\(down)")
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(c.netPrefix) }
        #expect(left.isEmpty, "\(left)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(c.netPrefix), "\(mounts)")
        // No process still runs from this cluster's state directory (container shims carry it in argv).
        let procs = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int32($0) != nil }
        let stray = procs.filter { p in
            let cmd = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(p)/cmdline"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return cmd.contains(c.stateDir)
        }
        #expect(stray.isEmpty, "\(stray)")
        #expect(try Self.rootSnapshot() == before)
    }

    @Test("podlab shell runs a command in a node's namespace and in outside; an unknown node is named")
    func shell() throws {
        let c = try TestCluster.get()
        var r = try c.podlab(["shell", "podlab-worker", "--", "/usr/sbin/ip", "-o", "-4", "addr", "show", "dev", "eth0"])
        #expect(r.status == 0 && r.out.contains("inet 172.18.0.3/16"), "\(r)")
        r = try c.podlab(["shell", "podlab-worker", "--", "/usr/bin/hostname"])
        #expect(r.out == "podlab-worker\n", "\(r)")
        r = try c.podlab(["shell", "outside", "--", "/usr/bin/ping", "-c1", "-W2", "172.18.0.2"])
        #expect(r.status == 0, "\(r)")
        r = try c.podlab(["shell", "podlab-nope", "--", "true"])
        #expect(r.status == 1 && r.err.contains("no node or namespace named \"podlab-nope\""), "\(r)")
    }

    @Test("the kubernetes Service's endpoint is the API on the control-plane node's wire address")
    func kubernetesEndpoint() throws {
        let c = try TestCluster.get()
        let k = try #require(KubectlBinary.all.first)
        let ep = try c.kubectl(k, ["-n", "default", "get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}"])
        #expect(ep.out == "172.18.0.2:6443", "\(ep)")
        // From another node, over the wire, with the admin certificate: the same API answers.
        let pki = c.stateDir + "/pki"
        let r = try c.podlab([
            "shell", "podlab-worker", "--", "/usr/bin/curl", "-sS", "-m", "10", "--cacert", pki + "/ca.crt",
            "--cert", pki + "/admin.crt", "--key", pki + "/admin.key", "https://172.18.0.2:6443/version",
        ])
        #expect(r.status == 0 && r.out.contains("\"gitVersion\""), "\(r)")
        // Without a client certificate the handshake is refused, there as on 127.0.0.1.
        let anonymous = try c.podlab([
            "shell", "podlab-worker", "--", "/usr/bin/curl", "-sS", "-m", "10", "--cacert", pki + "/ca.crt",
            "https://172.18.0.2:6443/version",
        ])
        #expect(anonymous.status != 0, "\(anonymous)")
    }
}
