import Foundation
import Testing

/// `podlab up/down/status/kubectl`, authentication and crash safety.
@Suite("podlab's own commands", .enabled(if: Privilege.canRunCluster), .serialized)
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
}
