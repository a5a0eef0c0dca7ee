import Foundation
import Testing

/// The tutorials' kubectl commands against a real `podlab up`, once per real kubectl on the machine.
@Suite("kubectl drives podlab", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct KubectlWorkflowTests {
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

    static let nginxService = """
        apiVersion: v1
        kind: Service
        metadata:
          name: my-nginx
          labels:
            run: my-nginx
        spec:
          ports:
          - port: 80
            protocol: TCP
          selector:
            run: my-nginx

        """

    @Test("apply creates, re-apply is unchanged, an edit is configured; directories and comma lists work",
          arguments: KubectlBinary.all)
    func applyLifecycle(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("apply", k)
        let created = try c.kubectl(k, ["create", "ns", ns])
        #expect(created.out == "namespace/\(ns) created\n", "\(created)")

        let deploy = try c.file("deploy-\(ns).yaml", Self.nginxDeployment)
        let svc = try c.file("svc-\(ns).yaml", Self.nginxService)
        var r = try c.kubectl(k, ["-n", ns, "apply", "-f", "\(deploy),\(svc)"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "deployment.apps/my-nginx created\nservice/my-nginx created\n", "\(r)")

        r = try c.kubectl(k, ["-n", ns, "apply", "-f", deploy])
        #expect(r.out == "deployment.apps/my-nginx unchanged\n", "\(r)")

        let changed = try c.file(
            "deploy3-\(ns).yaml", Self.nginxDeployment.replacingOccurrences(of: "replicas: 2", with: "replicas: 3"))
        r = try c.kubectl(k, ["-n", ns, "apply", "-f", changed])
        #expect(r.out == "deployment.apps/my-nginx configured\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "deploy", "my-nginx", "-o", "jsonpath={.spec.replicas}"])
        #expect(r.out == "3")

        // A directory applies every manifest in it.
        let dir = URL(fileURLWithPath: deploy).deletingLastPathComponent().appendingPathComponent("dir-\(ns)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.nginxService.replacingOccurrences(of: "name: my-nginx\n  labels", with: "name: other\n  labels")
            .write(toFile: dir + "/other.yaml", atomically: true, encoding: .utf8)
        r = try c.kubectl(k, ["-n", ns, "apply", "-f", dir])
        #expect(r.out == "service/other created\n", "\(r)")

        // The deployment's pods run (the node agents start them), each with a pod IP of its node, over both nodes.
        try c.eventually("3 running pods", attempts: 300) {
            let rows = try c.kubectl(k, ["-n", ns, "get", "pods", "--no-headers"]).lines
            return rows.count == 3 && rows.allSatisfy { $0.contains(" 1/1 ") && $0.contains(" Running ") }
        }
        r = try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "wide"])
        let header = try #require(r.lines.first)
        #expect(
            header.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                == "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES", "\(r)")
        for line in r.lines.dropFirst() {
            let cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(cells[0].hasPrefix("my-nginx-"), "\(line)")
            #expect(cells[1] == "1/1" && cells[2] == "Running" && cells[3] == "0", "\(line)")
            #expect(cells[5].hasPrefix("10.244."), "\(line)")
            #expect(cells[6].hasPrefix("podlab-"), "\(line)")
            #expect(cells[7] == "<none>" && cells[8] == "<none>", "\(line)")
        }
        let nodes = Set(r.lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true)[6] })
        #expect(nodes.count == 2, "pods should spread over both nodes: \(r)")
    }

    @Test("create deployment, scale, expose as ClusterIP, NodePort and LoadBalancer", arguments: KubectlBinary.all)
    func imperative(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("imperative", k)
        _ = try c.kubectl(k, ["create", "namespace", ns])
        var r = try c.kubectl(k, ["-n", ns, "create", "deployment", "httpenv", "--image=bretfisher/httpenv"])
        #expect(r.out == "deployment.apps/httpenv created\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "scale", "deployment/httpenv", "--replicas=5"])
        #expect(r.out == "deployment.apps/httpenv scaled\n", "\(r)")
        try c.eventually("5 pods") { try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "name"]).lines.count == 5 }

        r = try c.kubectl(k, ["-n", ns, "expose", "deployment/httpenv", "--port", "8888"])
        #expect(r.out == "service/httpenv exposed\n", "\(r)")
        r = try c.kubectl(
            k, ["-n", ns, "expose", "deployment/httpenv", "--port", "8888", "--name", "httpenv-np", "--type", "NodePort"])
        #expect(r.out == "service/httpenv-np exposed\n", "\(r)")
        r = try c.kubectl(
            k, ["-n", ns, "expose", "deployment", "httpenv", "--type", "LoadBalancer", "--port", "80",
                "--target-port", "8888", "--name", "lb-httpenv"])
        #expect(r.out == "service/lb-httpenv exposed\n", "\(r)")

        try c.eventually("the LoadBalancer gets an IP") {
            try c.kubectl(k, ["-n", ns, "get", "svc", "lb-httpenv", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])
                .out.hasPrefix("172.18.")
        }
        r = try c.kubectl(k, ["-n", ns, "get", "svc"])
        let rows = r.lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], "\(r)")
        let byName = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0) })
        let clusterIP = try #require(byName["httpenv"])
        #expect(clusterIP[1] == "ClusterIP" && clusterIP[3] == "<none>" && clusterIP[4] == "8888/TCP", "\(r)")
        // Inside the service CIDR 10.96.0.0/12: 10.96.0.0 - 10.111.255.255.
        let octets = clusterIP[2].split(separator: ".").compactMap { Int($0) }
        #expect(octets.count == 4 && octets[0] == 10 && (96...111).contains(octets[1]), "\(r)")
        let np = try #require(byName["httpenv-np"])
        #expect(np[1] == "NodePort", "\(r)")
        #expect(np[4].range(of: #"^8888:3\d{4}/TCP$"#, options: .regularExpression) != nil, "\(r)")
        let lb = try #require(byName["lb-httpenv"])
        #expect(lb[1] == "LoadBalancer" && lb[3].hasPrefix("172.18."), "\(r)")
        #expect(lb[4].range(of: #"^80:3\d{4}/TCP$"#, options: .regularExpression) != nil, "\(r)")

        // Endpoints and slices exist for the selector.
        r = try c.kubectl(k, ["-n", ns, "get", "endpoints", "httpenv"])
        #expect(r.lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "ENDPOINTS", "AGE"], "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "endpointslices", "-l", "kubernetes.io/service-name=httpenv"])
        #expect(r.lines.first?.split(separator: " ", omittingEmptySubsequences: true)
            == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], "\(r)")
        #expect(r.lines.count == 2, "\(r)")

        try c.eventually("5 of 5 httpenv replicas available", attempts: 300) {
            r = try c.kubectl(k, ["-n", ns, "get", "deploy"])
            return r.lines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).prefix(4)
                == ["httpenv", "5/5", "5", "5"]
        }
        #expect(r.lines.first?.split(separator: " ", omittingEmptySubsequences: true)
            == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "rs", "-o", "wide"])
        #expect(r.lines.first?.split(separator: " ", omittingEmptySubsequences: true)
            == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"], "\(r)")

        r = try c.kubectl(k, ["-n", ns, "get", "all"])
        #expect(r.out.contains("deployment.apps/httpenv"), "\(r)")
        #expect(r.out.contains("service/httpenv-np"), "\(r)")
        #expect(r.out.contains("replicaset.apps/httpenv-"), "\(r)")
        #expect(r.out.contains("pod/httpenv-"), "\(r)")
    }

    @Test("get output formats: labels, -L, yaml, json, name, jsonpath, go-template, custom-columns, -A",
          arguments: KubectlBinary.all)
    func outputFormats(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("formats", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        _ = try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("svc-\(ns).yaml", Self.nginxService)])
        var r = try c.kubectl(k, ["-n", ns, "get", "svc", "--show-labels"])
        #expect(r.lines.first?.hasSuffix("LABELS") == true, "\(r)")
        #expect(r.lines.last?.hasSuffix("run=my-nginx") == true, "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "-L", "run"])
        #expect(r.lines.first?.hasSuffix("RUN") == true && r.lines.last?.hasSuffix("my-nginx") == true, "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "my-nginx", "-o", "yaml"])
        #expect(r.out.contains("clusterIP: 10."), "\(r)")
        #expect(r.out.contains("  sessionAffinity: None"), "\(r)")
        #expect(r.out.contains("    targetPort: 80"), "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "my-nginx", "-o", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(json?["kind"] as? String == "Service")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "-o", "name"])
        #expect(r.out == "service/my-nginx\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "my-nginx", "-o", "jsonpath={.spec.ports[0].port}{\"\\n\"}"])
        #expect(r.out == "80\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "my-nginx", "-o", "go-template={{.metadata.name}}:{{.spec.type}}"])
        #expect(r.out == "my-nginx:ClusterIP", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "-o", "custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].port"])
        #expect(r.lines.map { $0.split(separator: " ", omittingEmptySubsequences: true) } == [["NAME", "PORT"], ["my-nginx", "80"]], "\(r)")
        r = try c.kubectl(k, ["get", "svc", "-A"])
        #expect(r.lines.first?.hasPrefix("NAMESPACE") == true, "\(r)")
        #expect(r.out.contains("kube-system") && r.out.contains("kube-dns"), "\(r)")
        #expect(r.lines.contains { $0.hasPrefix("default ") && $0.contains(" kubernetes ") && $0.contains("10.96.0.1 ") }, "\(r)")
        r = try c.kubectl(k, ["get", "nodes"])
        #expect(r.lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], "\(r)")
        #expect(r.lines.dropFirst().map { String($0.split(separator: " ")[0]) } == ["podlab-control-plane", "podlab-worker"], "\(r)")
        r = try c.kubectl(k, ["get", "ns"])
        for name in ["default", "kube-system", "kube-public", "kube-node-lease", ns] {
            #expect(r.lines.contains { $0.hasPrefix(name + " ") && $0.contains(" Active ") }, "\(name): \(r)")
        }
    }

    @Test("describe shows endpoints and events; label, annotate and edit patch the object", arguments: KubectlBinary.all)
    func describeLabelEdit(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("describe", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        _ = try c.kubectl(k, ["-n", ns, "create", "deployment", "web", "--image=nginx", "--replicas=2"])
        _ = try c.kubectl(k, ["-n", ns, "expose", "deployment", "web", "--port", "8888"])
        var r = try c.kubectl(k, ["-n", ns, "describe", "svc", "web"])
        #expect(r.out.contains("Name:                     web") || r.out.contains("Name:              web"), "\(r)")
        #expect(r.out.contains("Selector:") && r.out.contains("app=web"), "\(r)")
        #expect(r.out.contains("TargetPort:") && r.out.contains("8888/TCP"), "\(r)")
        try c.eventually("deployment events") {
            try c.kubectl(k, ["-n", ns, "describe", "deploy", "web"]).out.contains("ScalingReplicaSet")
        }
        r = try c.kubectl(k, ["-n", ns, "describe", "deploy", "web"])
        #expect(r.out.contains("Scaled up replica set web-"), "\(r)")
        let pod = try #require(try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "name"]).lines.first)
        try c.eventually("Scheduled event") {
            try c.kubectl(k, ["-n", ns, "describe", pod]).out.contains("Successfully assigned \(ns)/")
        }

        r = try c.kubectl(k, ["-n", ns, "label", "svc", "web", "color=blue"])
        #expect(r.out == "service/web labeled\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "annotate", "svc", "web", "note=hello"])
        #expect(r.out == "service/web annotated\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "web", "-o", "jsonpath={.metadata.labels.color}/{.metadata.annotations.note}"])
        #expect(r.out == "blue/hello", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "label", "svc", "web", "color-"])
        #expect(r.out == "service/web unlabeled\n", "\(r)")

        let editor = try c.file("editor-\(ns).sh", "#!/bin/sh\nsed -i 's/- port: 8888/- port: 9999/' \"$1\"\n")
        chmod(editor, 0o755)
        r = try c.kubectl(k, ["-n", ns, "edit", "svc", "web"], env: ["EDITOR": editor, "KUBE_EDITOR": editor])
        #expect(r.out == "service/web edited\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "svc", "web", "-o", "jsonpath={.spec.ports[*].port}:{.spec.ports[0].targetPort}"])
        #expect(r.out == "9999:8888", "\(r)")
    }

    @Test("delete by name, by file, type/name lists, and cascading from a deployment", arguments: KubectlBinary.all)
    func deletes(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("delete", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        let deploy = try c.file("deploy-del-\(ns).yaml", Self.nginxDeployment)
        _ = try c.kubectl(k, ["-n", ns, "apply", "-f", deploy])
        _ = try c.kubectl(k, ["-n", ns, "run", "single", "--image=nginx"])
        _ = try c.kubectl(k, ["-n", ns, "create", "deployment", "other", "--image=nginx"])
        _ = try c.kubectl(k, ["-n", ns, "expose", "deployment", "other", "--port", "80"])
        try c.eventually("pods") { try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "name"]).lines.count == 4 }

        var r = try c.kubectl(k, ["-n", ns, "delete", "pod", "single"])
        #expect(r.status == 0 && r.out.hasPrefix("pod \"single\" deleted"), "\(r)")
        r = try c.kubectl(k, ["-n", ns, "delete", "-f", deploy])
        #expect(r.status == 0 && r.out.hasPrefix("deployment.apps \"my-nginx\" deleted"), "\(r)")
        r = try c.kubectl(k, ["-n", ns, "delete", "svc/other", "deploy/other"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out.contains("service \"other\" deleted") && r.out.contains("deployment.apps \"other\" deleted"), "\(r)")
        // Cascading: the garbage collector removes the ReplicaSets and their pods.
        try c.eventually("all pods and replicasets gone") {
            try c.kubectl(k, ["-n", ns, "get", "pods,rs", "-o", "name"]).out.isEmpty
        }
        r = try c.kubectl(k, ["-n", ns, "get", "all"])
        #expect(r.err.contains("No resources found in \(ns) namespace."), "\(r)")
    }

    @Test("config set-context --current --namespace switches where commands go", arguments: KubectlBinary.all)
    func setContext(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("bluegreen", k)
        let copy = try c.file("kubeconfig-\(ns)", try String(contentsOfFile: c.kubeconfig, encoding: .utf8))
        _ = try c.kubectl(k, ["create", "namespace", ns])
        var r = try c.kubectl(k, ["config", "set-context", "--current", "--namespace", ns], env: ["KUBECONFIG": copy])
        #expect(r.out == "Context \"podlab\" modified.\n", "\(r)")
        r = try c.kubectl(k, ["create", "deployment", "web01", "--image=nginx"], env: ["KUBECONFIG": copy])
        #expect(r.status == 0, "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "deploy", "-o", "name"])
        #expect(r.out == "deployment.apps/web01\n", "\(r)")
    }

    @Test("get -w prints a row when an object appears", arguments: KubectlBinary.all)
    func watch(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("watch", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: k.path)
        p.arguments = ["-n", ns, "get", "pods", "-w"]
        p.environment = ProcessInfo.processInfo.environment.merging(
            ["KUBECONFIG": c.kubeconfig, "HOME": c.home + "/watch"]) { _, b in b }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        let collected = LockedData()
        out.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            collected.set(collected.get() + d)
        }
        // kubectl needs a moment to list and start watching; the pod is created only after its first request.
        try c.eventually("kubectl get -w is running") { p.isRunning }
        Thread.sleep(forTimeInterval: 1)
        _ = try c.kubectl(k, ["-n", ns, "run", "watched", "--image=nginx"])
        try c.eventually("the watched pod's row") {
            String(decoding: collected.get(), as: UTF8.self).contains("watched")
        }
        out.fileHandleForReading.readabilityHandler = nil
        let text = String(decoding: collected.get(), as: UTF8.self)
        #expect(text.contains("NAME") && text.contains("READY") && text.contains("STATUS"), "\(text)")
        #expect(text.contains("Pending"), "\(text)")
    }
}

/// Manifests that carry RBAC objects apply unchanged (podlab stores them; it has one admin user).
@Suite("tutorial manifests with RBAC objects", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct RBACManifestTests {
    /// Seed 004's shpod.yml, with the indentation the captured page lost restored.
    static func shpod(_ ns: String) -> String {
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: \(ns)
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: shpod
          namespace: \(ns)
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: \(ns)
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: cluster-admin
        subjects:
        - kind: ServiceAccount
          name: shpod
          namespace: \(ns)
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: shpod
          namespace: \(ns)
        spec:
          serviceAccountName: shpod
          containers:
          - name: shpod
            image: bretfisher/shpod
            imagePullPolicy: Always
            stdin: true
            tty: true
            env:
            - name: HOSTIP
              valueFrom:
                fieldRef:
                  fieldPath: status.hostIP

        """
    }

    @Test("seed 004's shpod.yml applies unchanged, and kubectl auth can-i says yes", arguments: KubectlBinary.all)
    func shpod(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("shpod", k)
        var r = try c.kubectl(k, ["apply", "-f", try c.file("shpod-\(ns).yml", Self.shpod(ns))])
        #expect(r.status == 0, "\(r)")
        #expect(
            r.out == """
                namespace/\(ns) created
                serviceaccount/shpod created
                clusterrolebinding.rbac.authorization.k8s.io/\(ns) created
                pod/shpod created

                """, "\(r)")
        r = try c.kubectl(k, ["get", "clusterrolebinding", ns, "-o", "jsonpath={.roleRef.name}/{.subjects[0].name}"])
        #expect(r.out == "cluster-admin/shpod", "\(r)")
        r = try c.kubectl(k, ["auth", "can-i", "create", "pods", "-n", ns])
        #expect(r.out == "yes\n", "\(r)")
        r = try c.kubectl(k, ["-n", ns, "get", "sa"])
        #expect(r.lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "SECRETS", "AGE"], "\(r)")
        #expect(r.lines.contains { $0.hasPrefix("default ") } && r.lines.contains { $0.hasPrefix("shpod ") }, "\(r)")
    }
}
