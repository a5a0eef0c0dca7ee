import Foundation
import Testing

/// The labs, run by `podlab lab` against a cluster of their own (they work in the default namespace, as the
/// tutorials do): all five pass, each has a negative control whose check names the cause, and exercise mode
/// takes a learner through one lab with the commands typed as the tutorial writes them.
@Suite("labs", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct LabTests {
    static let labsDir: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("labs").path
    }()

    static let cluster: Result<TestCluster, TestFailure> = {
        do { return .success(try TestCluster(name: "labs")) } catch let e as TestFailure { return .failure(e) } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    /// `podlab lab SUB --state-dir S ARGS...`
    static func lab(_ c: TestCluster, _ sub: String, _ args: [String], timeout: Duration = .seconds(300)) throws -> Run {
        try run(
            [TestCluster.podlabBinary, "lab", sub, "--state-dir", c.stateDir] + args,
            env: ["HOME": c.home, "PODLAB_LABS": labsDir], timeout: timeout)
    }

    /// A learner's shell command with the cluster's kubeconfig.
    static func type(_ c: TestCluster, _ command: String, in dir: String) throws -> Run {
        try run(["/bin/bash", "-c", "cd \(dir) && \(command)"], env: ["HOME": c.home, "KUBECONFIG": c.kubeconfig], timeout: .seconds(90))
    }

    /// Scales a Deployment in `default` to 0 and waits until its pods are gone.
    static func scaleToZero(_ c: TestCluster, _ k: KubectlBinary, _ deployment: String, selector: String) throws {
        _ = try c.kubectl(k, ["scale", "deployment/\(deployment)", "--replicas=0"])
        try c.eventually("the pods of \(deployment) are gone", attempts: 200) {
            try c.kubectl(k, ["get", "pods", "-l", selector, "-o", "name"]).out.isEmpty
        }
    }

    @Test("podlab lab run --all --format tap passes all five labs")
    func all() throws {
        let c = try Self.cluster.get()
        let list = try Self.lab(c, "list", [])
        #expect(list.lines.map { String($0.split(separator: " ").first ?? "") }
            == ["connecting-apps", "service-discovery", "routing-models", "exposing-containers", "clusterip-headless"])
        let r = try Self.lab(c, "run", ["--all", "--format", "tap"], timeout: .seconds(600))
        let tap = r.lines.filter { !$0.hasPrefix("#") && !$0.hasPrefix(" ") }
        let failed = tap.filter { $0.hasPrefix("not ok") }
        #expect(r.status == 0 && failed.isEmpty, "failed checks: \(failed)\n\(r.out.suffix(4000))")
        #expect(tap.first == "TAP version 13")
        let plan = tap.last ?? ""
        #expect(plan.hasPrefix("1.."), "no TAP plan at the end: \(plan)")
        let count = Int(plan.dropFirst(3)) ?? 0
        #expect(count >= 50 && tap.filter { $0.hasPrefix("ok ") }.count == count)
        // Every lab cleaned up after itself.
        let left = try c.kubectl(KubectlBinary.all[0], ["get", "deploy,svc", "-n", "default", "-o", "name"]).out
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "service/kubernetes", "left behind: \(left)")
    }

    @Test("JUnit output names every check and marks the failed one with its cause")
    func junitAndNegativeControls() throws {
        let c = try Self.cluster.get()
        let k = KubectlBinary.all[0]
        // connecting-apps: a selector that matches nothing empties the endpoints.
        var r = try Self.lab(c, "run", ["connecting-apps", "--step", "4", "--keep"])
        #expect(r.status == 0, "\(r)")
        _ = try c.kubectl(k, ["-n", "my-nginx", "patch", "svc", "my-nginx", "-p", #"{"spec":{"selector":{"run":"my-nginxx"}}}"#])
        r = try Self.lab(c, "check", ["--lab", "connecting-apps", "--step", "4"])
        #expect(r.status != 0)
        #expect(r.out.contains("its selector run=my-nginxx matches no pod in namespace my-nginx (pods there have run=my-nginx)"), "\(r)")

        // service-discovery: no pods behind the Service.
        r = try Self.lab(c, "run", ["service-discovery", "--step", "2", "--keep"])
        #expect(r.status == 0, "\(r)")
        try Self.scaleToZero(c, k, "minikube-demo-server-deployment", selector: "app=minikube-demo-server")
        r = try Self.lab(c, "check", ["--lab", "service-discovery", "--step", "2"])
        #expect(r.status != 0)
        #expect(r.out.contains("0 ready endpoint(s)"), "\(r)")
        #expect(r.out.contains("its selector app=minikube-demo-server matches no pod in namespace default"), "\(r)")

        // routing-models: the NodePort blocked in the node that outside sends to; the pods still answer.
        r = try Self.lab(c, "run", ["routing-models", "--step", "4", "--keep"])
        #expect(r.status == 0, "\(r)")
        let nodePort = try c.kubectl(k, ["get", "svc", "svc-nodeport-destination", "-o", "jsonpath={.spec.ports[0].nodePort}"]).out
        let block = "nft add table ip labblock && nft add chain ip labblock pre '{ type filter hook prerouting priority -300; }' "
            + "&& nft add rule ip labblock pre tcp dport \(nodePort) drop"
        for node in ["podlab-control-plane", "podlab-worker"] {
            let b = try c.podlab(["shell", node, "--", "sh", "-c", block])
            #expect(b.status == 0, "\(b)")
        }
        defer {
            for node in ["podlab-control-plane", "podlab-worker"] {
                _ = try? c.podlab(["shell", node, "--", "nft", "delete", "table", "ip", "labblock"])
            }
        }
        r = try Self.lab(c, "check", ["--lab", "routing-models", "--step", "4"])
        #expect(r.status != 0)
        #expect(r.out.contains("timed out (curl 28), expected answered"), "\(r)")
        #expect(r.out.contains("the Service has 3 ready endpoint(s)") && r.out.contains("lost on the way"), "\(r)")

        // exposing-containers: the Service points at a label no pod has; JUnit carries the cause.
        r = try Self.lab(c, "run", ["exposing-containers", "--step", "2", "--keep"])
        #expect(r.status == 0, "\(r)")
        _ = try c.kubectl(k, ["patch", "svc", "httpenv", "-p", #"{"spec":{"selector":{"app":"httpenvx"}}}"#])
        r = try Self.lab(c, "check", ["--lab", "exposing-containers", "--step", "2"])
        #expect(r.status != 0)
        // (routing-models' pods are still there: --keep left them.)
        #expect(r.out.contains("its selector app=httpenvx matches no pod in namespace default (pods there have "), "\(r)")
        #expect(r.out.contains("app=httpenv,") || r.out.contains("app=httpenv)"), "\(r)")

        // clusterip-headless: not-ready pods drop out of the headless answer.
        r = try Self.lab(c, "run", ["clusterip-headless", "--step", "7", "--keep", "--format", "junit"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out.contains("<testsuite name=\"clusterip-headless\"") && r.out.contains("failures=\"0\""), "\(r.out)")
        try Self.scaleToZero(c, k, "httpenv", selector: "app=httpenv")
        r = try Self.lab(c, "check", ["--lab", "clusterip-headless", "--step", "7"])
        #expect(r.status != 0)
        #expect(r.out.contains("NXDOMAIN, expected NOERROR"), "\(r)")
        #expect(r.out.contains("its selector app=httpenv matches no pod in namespace default"), "\(r)")
        // A clean run removes what --keep left.
        r = try Self.lab(c, "run", ["clusterip-headless", "--step", "1"])
        #expect(r.status == 0, "\(r)")
    }

    @Test("exercise mode: start, a failing check, the learner's commands, check, next, to the end")
    func exercise() throws {
        let c = try Self.cluster.get()
        var r = try Self.lab(c, "start", ["connecting-apps"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out.contains("Step 1/5: Run two nginx pods") && r.out.contains("kubectl create ns my-nginx"), "\(r)")
        let dir = c.stateDir + "/lab/connecting-apps"
        #expect(FileManager.default.fileExists(atPath: dir + "/run-my-nginx.yaml"))

        // Nothing typed yet: the check fails and next refuses.
        r = try Self.lab(c, "check", [])
        #expect(r.status != 0 && r.out.contains("✗"), "\(r)")
        r = try Self.lab(c, "next", [])
        #expect(r.status != 0 && r.out.contains("Step 1 is not done yet"), "\(r)")

        let steps: [[String]] = [
            ["kubectl create ns my-nginx", "kubectl -n my-nginx apply -f run-my-nginx.yaml",
             "kubectl -n my-nginx rollout status deployment/my-nginx --timeout=60s"],
            ["kubectl -n my-nginx get pods -o yaml | grep 'podIP:'"],
            ["kubectl -n my-nginx expose deployment/my-nginx"],
            ["kubectl -n my-nginx describe svc my-nginx"],
            ["export MyClusterIP=$(kubectl -n my-nginx get svc my-nginx -ojsonpath='{.spec.clusterIP}') && "
                + "kubectl -n my-nginx run load-generator --env=\"MyClusterIP=${MyClusterIP}\" --image=busybox -- sleep 1000000 && "
                + "kubectl -n my-nginx wait --for=condition=Ready pod/load-generator --timeout=60s && "
                + "kubectl -n my-nginx exec load-generator -- sh -c 'wget -q -O - ${MyClusterIP} | grep \"<title>\"'"],
        ]
        for (i, commands) in steps.enumerated() {
            for command in commands {
                let typed = try Self.type(c, command, in: dir)
                #expect(typed.status == 0, "\(command): \(typed)")
            }
            r = try Self.lab(c, "check", [])
            #expect(r.status == 0, "step \(i + 1): \(r)")
            r = try Self.lab(c, "status", [])
            #expect(r.out.contains(" ✓ \(i + 1). "), "\(r)")
            r = try Self.lab(c, "next", [])
            #expect(r.status == 0, "\(r)")
            if i + 1 < steps.count {
                #expect(r.out.contains("Step \(i + 2)/5"), "\(r)")
                let hint = try Self.lab(c, "hint", [])
                #expect(hint.status == 0 && hint.out.contains("The checks:"), "\(hint)")
            } else {
                #expect(r.out.contains("lab connecting-apps is complete"), "\(r)")
            }
        }
        r = try Self.lab(c, "reset", [])
        #expect(r.status == 0, "\(r)")
        try c.eventually("my-nginx is deleted", attempts: 300) {
            try c.kubectl(KubectlBinary.all[0], ["get", "ns", "my-nginx"]).status != 0
        }
        r = try Self.lab(c, "status", [])
        #expect(r.status != 0 && r.err.contains("no lab in progress"), "\(r)")
    }

    @Test("podlab service --url prints minikube's URL, and refuses a ClusterIP Service")
    func serviceURL() throws {
        let c = try Self.cluster.get()
        let k = KubectlBinary.all[0]
        _ = try c.kubectl(k, ["create", "ns", "svcurl"])
        defer { _ = try? c.kubectl(k, ["delete", "ns", "svcurl", "--wait=false"]) }
        _ = try c.kubectl(k, ["-n", "svcurl", "create", "service", "nodeport", "np", "--tcp=80:80"])
        _ = try c.kubectl(k, ["-n", "svcurl", "create", "service", "clusterip", "cip", "--tcp=80:80"])
        let port = try c.kubectl(k, ["-n", "svcurl", "get", "svc", "np", "-o", "jsonpath={.spec.ports[0].nodePort}"]).out
        var r = try c.podlab(["service", "np", "-n", "svcurl", "--url"])
        #expect(r.status == 0 && r.out == "http://172.18.0.2:\(port)\n", "\(r)")
        r = try c.podlab(["service", "cip", "-n", "svcurl", "--url"])
        #expect(r.status != 0 && r.err.contains("has type ClusterIP"), "\(r)")
        r = try c.podlab(["service", "nope", "-n", "svcurl", "--url"])
        #expect(r.status != 0 && r.err.contains("services \"nope\" not found"), "\(r)")
    }
}
