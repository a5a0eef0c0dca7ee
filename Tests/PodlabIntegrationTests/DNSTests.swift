import Foundation
import Testing

/// Cluster DNS on real packets: the coredns pods behind 10.96.0.10, asked by the VM's own tools in pods.
@Suite("cluster DNS", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct DNSTests {
    static func exec(_ c: TestCluster, _ k: KubectlBinary, _ ns: String, _ pod: String, _ argv: [String]) throws -> Run {
        try c.kubectl(k, ["-n", ns, "exec", pod, "--"] + argv)
    }

    /// The client pod every test asks from, once it runs.
    static func client(_ c: TestCluster, _ k: KubectlBinary, _ ns: String) throws {
        _ = try c.kubectl(k, ["-n", ns, "run", "client", "--image=nicolaka/netshoot", "--command", "--", "sleep", "100000"])
        try c.eventually("the client runs", attempts: 300) {
            try c.kubectl(k, ["-n", ns, "get", "pod", "client", "-o", "jsonpath={.status.phase}"]).out == "Running"
        }
    }

    @Test("the coredns Deployment runs two ready replicas behind kube-dns, with metrics on 9153",
          arguments: KubectlBinary.all.prefix(1))
    func corednsPods(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        try c.eventually("2 ready coredns pods", attempts: 300) {
            try c.kubectl(k, ["-n", "kube-system", "get", "deploy", "coredns", "-o", "jsonpath={.status.readyReplicas}"]).out == "2"
        }
        let pods = try c.kubectl(k, ["-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns", "-o", "name"])
        #expect(pods.out.split(separator: "\n").count == 2 && pods.out.contains("pod/coredns-"), "\(pods)")
        let ep = try c.kubectl(k, ["-n", "kube-system", "get", "endpoints", "kube-dns", "-o", "jsonpath={.subsets[0].ports[*].name}"])
        #expect(Set(ep.out.split(separator: " ")) == ["dns", "dns-tcp", "metrics"], "\(ep)")
    }

    @Test("seeds 002-004: nslookup and curl by Service name, across namespaces, and the fetcher's lookup",
          arguments: KubectlBinary.all.prefix(1))
    func serviceNames(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("dns", k)
        let other = c.namespace("dnsother", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        _ = try c.kubectl(k, ["create", "ns", other])
        _ = try c.kubectl(k, ["-n", ns, "create", "deployment", "httpenv", "--image=bretfisher/httpenv"])
        _ = try c.kubectl(k, ["-n", ns, "expose", "deployment", "httpenv", "--port", "8888"])
        _ = try c.kubectl(k, ["-n", ns, "create", "deployment", "svc-destination", "--image=traefik/whoami"])
        _ = try c.kubectl(k, ["-n", ns, "expose", "deployment", "svc-destination", "--port", "8080", "--target-port", "80"])
        let demo = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: minikube-demo-server-deployment}
            spec:
              selector: {matchLabels: {app: minikube-demo-server}}
              template:
                metadata: {labels: {app: minikube-demo-server}}
                spec: {containers: [{name: s, image: "minikube-demo-server:1.0", ports: [{containerPort: 8000}]}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: minikube-demo-server-service}
            spec: {selector: {app: minikube-demo-server}, ports: [{port: 8000, targetPort: 8000}]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: fetcher}
            spec:
              selector: {matchLabels: {app: fetcher}}
              template:
                metadata: {labels: {app: fetcher}}
                spec: {containers: [{name: f, image: "minikube-demo-server-fetcher:1.0", ports: [{containerPort: 8000}]}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: fetcher}
            spec: {selector: {app: fetcher}, ports: [{port: 8000, targetPort: 8000}]}
            """
        _ = try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("demo-\(ns).yaml", demo)])
        try Self.client(c, k, ns)
        _ = try c.kubectl(k, ["-n", other, "run", "client", "--image=nicolaka/netshoot", "--command", "--", "sleep", "100000"])

        let ip = try c.kubectl(k, ["-n", ns, "get", "svc", "svc-destination", "-o", "jsonpath={.spec.clusterIP}"]).out
        var looked = Run(status: -1, out: "", err: "")
        try c.eventually("nslookup answers", attempts: 100) {
            looked = try Self.exec(c, k, ns, "client", ["nslookup", "svc-destination"])
            return looked.status == 0
        }
        #expect(looked.out.contains("Server:\t\t10.96.0.10"), "\(looked)")
        #expect(looked.out.contains("Name:\tsvc-destination.\(ns).svc.cluster.local\nAddress: \(ip)"), "\(looked)")

        try c.eventually("curl httpenv:8888 by name", attempts: 200) {
            let r = try Self.exec(c, k, ns, "client", ["curl", "-s", "-m", "2", "httpenv:8888"])
            return r.status == 0 && r.out.contains("\"HOSTNAME\":\"httpenv-")
        }
        // From another namespace, through the `<svc>.<ns>` search expansion, piped to jq as seed 004 does.
        try c.eventually("curl httpenv.<ns>:8888 from another namespace", attempts: 200) {
            let r = try c.kubectl(k, ["-n", other, "exec", "client", "--", "sh", "-c",
                                      "curl -s -m 2 http://httpenv.\(ns):8888 | jq -r .HOSTNAME"])
            return r.status == 0 && r.out.hasPrefix("httpenv-")
        }
        // Seed 001: the fetcher resolves minikube-demo-server-service itself.
        try c.eventually("the fetcher fetches through DNS", attempts: 200) {
            let r = try Self.exec(c, k, ns, "client", ["curl", "-s", "-m", "3", "fetcher:8000"])
            return r.out == #"{"message":"Fetched: Hello world!"}"#
        }
    }

    @Test("headless, SRV, PTR, ExternalName, NODATA and NXDOMAIN with an SOA, and outside names refused",
          arguments: KubectlBinary.all.prefix(1))
    func records(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("dnsrec", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        // Three pods whose readiness is a file the test removes. Pods share the VM's /tmp (podlab gives them no
        // filesystem of their own), so each has its own file, and the test removes them at the end.
        defer { for i in 0..<3 { try? FileManager.default.removeItem(atPath: "/tmp/\(ns)-hl\(i).ready") } }
        var manifest = """
            apiVersion: v1
            kind: Service
            metadata: {name: hl}
            spec: {clusterIP: None, selector: {app: hl}, ports: [{name: http, port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {selector: {app: hl}, ports: [{name: http, port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: my-service}
            spec: {type: ExternalName, externalName: my.database.example.com}
            """
        for i in 0..<3 {
            manifest += """

                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: hl\(i), labels: {app: hl}}
                spec:
                  containers:
                  - name: c
                    image: busybox
                    command: [sh, -c, "touch /tmp/\(ns)-hl\(i).ready && sleep 100000"]
                    readinessProbe: {exec: {command: [cat, /tmp/\(ns)-hl\(i).ready]}, periodSeconds: 1}
                """
        }
        _ = try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("records-\(ns).yaml", manifest)])
        try Self.client(c, k, ns)
        let fqdn = "hl.\(ns).svc.cluster.local"
        /// dig's output with every run of spaces and tabs made one space, so checks do not depend on its alignment.
        func dig(_ args: [String]) throws -> Run {
            var r = try Self.exec(c, k, ns, "client", ["dig", "+time=2", "+tries=1"] + args)
            r.out = r.out.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }.joined(separator: "\n")
            return r
        }
        var podIPs: [String] = []
        try c.eventually("3 ready pods", attempts: 300) {
            podIPs = try c.kubectl(k, ["-n", ns, "get", "pods", "-l", "app=hl", "-o",
                "jsonpath={range .items[?(@.status.containerStatuses[0].ready==true)]}{.status.podIP} {end}"])
                .out.split(separator: " ").map(String.init)
            return podIPs.count == 3
        }
        try c.eventually("the headless name lists every ready pod", attempts: 100) {
            Set(try dig(["+short", fqdn]).out.split(separator: "\n").map(String.init)) == Set(podIPs)
        }
        // hl0 stops being ready: its address leaves the answer soon after (probe period 1 s, then the slice).
        let hl0 = try c.kubectl(k, ["-n", ns, "get", "pod", "hl0", "-o", "jsonpath={.status.podIP}"]).out
        _ = try Self.exec(c, k, ns, "hl0", ["rm", "/tmp/\(ns)-hl0.ready"])
        let start = ContinuousClock.now
        try c.eventually("the unready pod leaves the answer", attempts: 100) {
            Set(try dig(["+short", fqdn]).out.split(separator: "\n").map(String.init)) == Set(podIPs.filter { $0 != hl0 })
        }
        #expect(ContinuousClock.now - start < .seconds(5))

        // SRV for a named port: one target per ready endpoint for headless, the Service name for a ClusterIP.
        let srv = try dig(["SRV", "_http._tcp.\(fqdn)"])
        let srvLines = srv.out.split(separator: "\n").filter { $0.contains(" IN SRV ") }
        #expect(srvLines.count == 2 && srvLines.allSatisfy { $0.contains(" 80 ") && $0.hasSuffix(".hl.\(ns).svc.cluster.local.") }, "\(srv)")
        let webSRV = try dig(["+short", "SRV", "_http._tcp.web.\(ns).svc.cluster.local"])
        #expect(webSRV.out.trimmingCharacters(in: .whitespacesAndNewlines) == "0 100 80 web.\(ns).svc.cluster.local.", "\(webSRV)")
        // PTR of the ClusterIP.
        let webIP = try c.kubectl(k, ["-n", ns, "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"]).out
        let ptr = try dig(["+short", "-x", webIP])
        #expect(ptr.out.trimmingCharacters(in: .whitespacesAndNewlines) == "web.\(ns).svc.cluster.local.", "\(ptr)")
        // ExternalName: a CNAME (seed 002).
        let cname = try dig(["my-service.\(ns).svc.cluster.local"])
        #expect(cname.out.contains("my-service.\(ns).svc.cluster.local. 30 IN CNAME my.database.example.com."), "\(cname)")
        // AAAA of a v4-only Service: NODATA, with the zone's SOA.
        let aaaa = try dig(["AAAA", "web.\(ns).svc.cluster.local"])
        #expect(aaaa.out.contains("status: NOERROR") && aaaa.out.contains("ANSWER: 0,") && aaaa.out.contains("IN SOA ns.dns.cluster.local."), "\(aaaa)")
        // An unknown name: NXDOMAIN with the SOA.
        let missing = try dig(["nope.\(ns).svc.cluster.local"])
        #expect(missing.out.contains("status: NXDOMAIN") && missing.out.contains("IN SOA ns.dns.cluster.local."), "\(missing)")
        // Over TCP, the same answer.
        let tcp = try dig(["+tcp", "+short", "web.\(ns).svc.cluster.local"])
        #expect(tcp.out.trimmingCharacters(in: .whitespacesAndNewlines) == webIP, "\(tcp)")
        // Names outside the cluster are refused: nothing leaves the VM.
        let outside = try dig(["example.com"])
        #expect(outside.out.contains("status: REFUSED"), "\(outside)")
        // The new records appear soon after the object does.
        _ = try c.kubectl(k, ["-n", ns, "create", "service", "clusterip", "late", "--tcp=81"])
        try c.eventually("a new Service resolves", attempts: 50) {
            try dig(["+short", "late.\(ns).svc.cluster.local"]).out.contains("10.")
        }
    }

    @Test("an upstream in the coredns ConfigMap gets outside names, through the VM's own namespace")
    func forwarding() throws {
        let c = try TestCluster.get()
        let k = KubectlBinary.all[0]
        let ns = c.namespace("dnsfwd", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        try Self.client(c, k, ns)
        // The upstream: dnsmasq on the VM's loopback, knowing one name. It daemonizes and its pid file says which
        // process to kill afterwards (a long-lived child of this process would inherit its blocked SIGTERM).
        let pidFile = try c.file("dnsmasq-\(ns).pid", "")
        let started = try run([
            "/usr/sbin/dnsmasq", "--user=root", "--port=53533", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--pid-file=\(pidFile)", "--address=/podlab-upstream.test/192.0.2.77",
        ])
        #expect(started.status == 0, "\(started)")
        let upstreamPID = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        defer { if upstreamPID > 0 { kill(upstreamPID, SIGKILL) } }
        try #require(upstreamPID > 0)
        let original = try c.kubectl(k, ["-n", "kube-system", "get", "cm", "coredns", "-o", "jsonpath={.data.Corefile}"]).out
        #expect(!original.contains("forward"), "\(original)")
        func setCorefile(_ text: String) throws {
            let patch = try JSONSerialization.data(withJSONObject: ["data": ["Corefile": text]])
            let r = try c.kubectl(k, ["-n", "kube-system", "patch", "cm", "coredns", "--type", "merge", "-p",
                                      String(decoding: patch, as: UTF8.self)])
            #expect(r.status == 0, "\(r)")
        }
        defer { try? setCorefile(original) }
        func ask() throws -> Run {
            try Self.exec(c, k, ns, "client", ["dig", "+time=2", "+tries=1", "podlab-upstream.test"])
        }
        try c.eventually("refused while the Corefile has no forward", attempts: 100) { try ask().out.contains("status: REFUSED") }
        try setCorefile(original.replacingOccurrences(
            of: "    prometheus :9153\n", with: "    prometheus :9153\n    forward . 127.0.0.1:53533\n"))
        try c.eventually("the upstream's answer comes back", attempts: 100) {
            let r = try ask()
            return r.out.contains("status: NOERROR") && r.out.contains("192.0.2.77")
        }
        try setCorefile(original)
        try c.eventually("refused again without the upstream", attempts: 100) { try ask().out.contains("status: REFUSED") }
    }

    @Test("a malformed packet corpus gets answers and leaves the server answering")
    func malformed() throws {
        let c = try TestCluster.get()
        let k = KubectlBinary.all[0]
        let ns = c.namespace("dnsbad", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        try Self.client(c, k, ns)
        // Hex of one datagram each: 1 and 2 bytes, a bare header claiming a question, a compression loop, a
        // pointer past the end, counts claiming answers that are not there, a 64-byte label, no question at all,
        // and a response (QR set), which a server must not answer.
        let corpus = [
            "12", "1234", "123401000001000000000000",
            "abcd01000001000000000000c00c00010001",
            "abcd01000001000000000000c0ff00010001",
            "abcd01000001000500000000036b38730000010001",
            "abcd01000001000000000000" + "40" + String(repeating: "61", count: 64) + "0000010001",
            "abcd01000000000000000000",
            "abcd81000001000000000000036b38730000010001",
        ]
        let script = "for h in \(corpus.joined(separator: " ")); do "
            + "printf \"$(echo $h | sed 's/../\\\\x&/g')\" | nc -u -w1 10.96.0.10 53 | od -An -tx1 -N4 | tr -d ' \\n'; echo; done"
        let r = try c.kubectl(k, ["-n", ns, "exec", "client", "--", "bash", "-c", script], timeout: .seconds(60))
        let replies = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The first 4 bytes of each reply: the id, then QR set with the rcode (FORMERR = 1) in the low bits.
        #expect(replies.count >= corpus.count, "\(r)")
        if replies.count >= corpus.count {
            #expect(replies[0].hasPrefix("0000") && replies[1].hasPrefix("1234") && replies[2].hasPrefix("1234"), "\(replies)")
            for i in 3...7 { #expect(replies[i].hasPrefix("abcd8"), "\(i): \(replies)") }
            for i in [0, 1, 2, 3, 4, 5, 6, 7] { #expect(replies[i].hasSuffix("1"), "FORMERR for \(i): \(replies)") }
            #expect(replies[8] == "", "a response got a reply: \(replies)")
        }
        let after = try Self.exec(c, k, ns, "client", ["dig", "+short", "+time=2", "kubernetes.default.svc.cluster.local"])
        #expect(after.out.trimmingCharacters(in: .whitespacesAndNewlines) == "10.96.0.1", "\(after)")
    }
}
