import Foundation
import Testing

@testable import PodlabModel

/// Golden rows for each printer, from objects shaped like the tutorials' (seeds) and upstream's tests.
@Suite("TablePrinter")
struct TablePrinterTests {
    /// 6m5s after `created`.
    let now = Timestamps.parse("2026-11-23T08:10:00Z") ?? Date()
    let created = "2026-11-23T08:03:55Z"

    func meta(_ name: String, namespace: String? = "default", labels: [String: String] = [:]) -> JSONValue {
        var m: JSONValue = ["name": .string(name), "creationTimestamp": .string(created), "uid": .string("u-\(name)")]
        if let namespace { m["namespace"] = .string(namespace) }
        if !labels.isEmpty { m["labels"] = JSONValue(labels) }
        return m
    }

    func columnNames(_ resource: ResourceInfo) -> [String] {
        TablePrinter.columnDefinitions(for: resource).map { $0["name"].string ?? "?" }
    }

    func wideFlags(_ resource: ResourceInfo) -> [Int] {
        TablePrinter.columnDefinitions(for: resource).map { $0["priority"].int ?? -1 }
    }

    // MARK: Table envelope

    @Test("a Table carries kind, apiVersion, list metadata, every column and PartialObjectMetadata rows")
    func envelope() throws {
        let svc: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": meta("httpenv", labels: ["app": "httpenv"]),
            "spec": ["type": "NodePort", "clusterIPs": ["10.96.0.12"], "selector": ["app": "httpenv"],
                "ports": [["port": 8888, "protocol": "TCP", "nodePort": 31001, "targetPort": 8888]]],
        ]
        let table = TablePrinter.table(
            resource: Resources.services, objects: [svc], now: now, resourceVersion: "114",
            continueToken: "abc", remainingItemCount: 3)
        #expect(table["kind"] == "Table")
        #expect(table["apiVersion"] == "meta.k8s.io/v1")
        #expect(table["metadata"] == ["resourceVersion": "114", "continue": "abc", "remainingItemCount": 3])
        let columns = try #require(table["columnDefinitions"].array)
        #expect(columns.count == 7)
        #expect(columns[0]["format"] == "name")
        #expect(columns[1]["format"] == "")
        #expect(columns[6]["priority"] == 1)
        let row = table["rows"][0]
        #expect(row["cells"] == ["httpenv", "NodePort", "10.96.0.12", "<none>", "8888:31001/TCP", "6m5s", "app=httpenv"])
        #expect(row["object"] == [
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta("httpenv", labels: ["app": "httpenv"]),
        ])
        #expect(row["conditions"].isNull)
    }

    @Test("includeObject None nulls the row object, Object embeds the whole object; empty lists give no rows")
    func includeObject() {
        let ns: JSONValue = ["metadata": meta("default", namespace: nil), "status": ["phase": "Active"]]
        let none = TablePrinter.table(resource: Resources.namespaces, objects: [ns], now: now, includeObject: .none, resourceVersion: "1")
        #expect(none["rows"][0]["object"] == .null)
        let whole = TablePrinter.table(resource: Resources.namespaces, objects: [ns], now: now, includeObject: .object, resourceVersion: "1")
        #expect(whole["rows"][0]["object"] == ns)
        let empty = TablePrinter.table(resource: Resources.namespaces, objects: [], now: now, resourceVersion: nil)
        #expect(empty["rows"] == [])
        #expect(empty["metadata"] == [:])
        #expect(IncludeObject(rawValue: "Metadata") == .metadata)
    }

    @Test("every printer has exactly one Name column with format name, described columns, and one cell per column")
    func nameFormat() {
        for resource in Resources.all {
            let defs = TablePrinter.columnDefinitions(for: resource)
            let names = defs.filter { $0["format"] == "name" }
            #expect(names.count == 1, "\(resource.plural) needs exactly one name-format column")
            #expect(names.first?["name"] == "Name")
            for def in defs {
                #expect(def["description"].string?.isEmpty == false, "\(resource.plural) \(def["name"]) has no description")
                #expect(def.object?.count == 5)
            }
            #expect(TablePrinter.cells(for: ["metadata": meta("x")], resource: resource, now: now).count == defs.count,
                "\(resource.plural): one cell per column even for a bare object")
        }
    }

    // MARK: Pods

    func pod(
        _ name: String, phase: String = "Running", containers: [JSONValue], statuses: [JSONValue],
        initContainers: [JSONValue] = [], initStatuses: [JSONValue] = [], conditions: [JSONValue] = [],
        extraStatus: [String: JSONValue] = [:], extraSpec: [String: JSONValue] = [:], deleting: Bool = false
    ) -> JSONValue {
        var m = meta(name)
        if deleting { m["deletionTimestamp"] = "2026-11-23T08:09:00Z" }
        var spec: JSONValue = ["containers": .array(containers)]
        if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers) }
        for (k, v) in extraSpec { spec[k] = v }
        var status: JSONValue = ["phase": .string(phase), "containerStatuses": .array(statuses)]
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        if !conditions.isEmpty { status["conditions"] = .array(conditions) }
        for (k, v) in extraStatus { status[k] = v }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec, "status": status]
    }

    func podCells(_ p: JSONValue) -> [JSONValue] { TablePrinter.cells(for: p, resource: Resources.pods, now: now) }

    let running: JSONValue = ["running": ["startedAt": "2026-11-23T08:04:00Z"]]

    @Test("pod columns are NAME READY STATUS RESTARTS AGE + wide IP NODE NOMINATED NODE READINESS GATES")
    func podColumns() {
        #expect(columnNames(Resources.pods) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        #expect(wideFlags(Resources.pods) == [0, 0, 0, 0, 0, 1, 1, 1, 1])
        #expect(TablePrinter.columnDefinitions(for: Resources.pods)[3]["type"] == "string")
    }

    @Test("a running pod prints like the tutorial: 1/1 Running 0 with IP and node")
    func runningPod() {
        let p = pod(
            "my-nginx-756f645cd7-gsl4g", containers: [["name": "nginx", "image": "nginx"]],
            statuses: [["name": "nginx", "ready": true, "restartCount": 0, "state": running]],
            extraStatus: ["podIP": "10.244.1.5", "podIPs": [["ip": "10.244.1.5"]]],
            extraSpec: ["nodeName": "podlab-worker"])
        #expect(podCells(p) == ["my-nginx-756f645cd7-gsl4g", "1/1", "Running", "0", "6m5s", "10.244.1.5", "podlab-worker", "<none>", "<none>"])
    }

    @Test("a pending pod with nothing scheduled shows <none> for IP, node and nominated node")
    func pendingPod() {
        let p = pod("p", phase: "Pending", containers: [["name": "a"], ["name": "b"]], statuses: [])
        #expect(podCells(p) == ["p", "0/2", "Pending", "0", "6m5s", "<none>", "<none>", "<none>", "<none>"])
        // podIPs alone is read when podIP is absent.
        let q = pod("q", containers: [["name": "a"]], statuses: [], extraStatus: ["podIPs": [["ip": "fd00::5"]]])
        #expect(podCells(q)[5] == "fd00::5")
    }

    @Test("waiting reasons replace the phase: ErrImagePull, ImagePullBackOff, ContainerCreating")
    func waitingReasons() {
        for reason in ["ErrImagePull", "ImagePullBackOff", "ContainerCreating", "CrashLoopBackOff"] {
            let p = pod("p", phase: "Pending", containers: [["name": "app"]],
                statuses: [["name": "app", "ready": false, "restartCount": 0, "state": ["waiting": ["reason": .string(reason)]]]])
            #expect(podCells(p)[1] == "0/1")
            #expect(podCells(p)[2] == .string(reason))
        }
    }

    @Test("restarts show when the last container restarted, from lastState.terminated.finishedAt")
    func restartsAgo() {
        let p = pod("p", containers: [["name": "a"], ["name": "b"]], statuses: [
            ["name": "a", "ready": true, "restartCount": 2, "state": running,
             "lastState": ["terminated": ["exitCode": 1, "finishedAt": "2026-11-23T08:05:00Z"]]],
            ["name": "b", "ready": false, "restartCount": 1, "state": ["waiting": ["reason": "CrashLoopBackOff"]],
             "lastState": ["terminated": ["exitCode": 1, "finishedAt": "2026-11-23T08:09:30Z"]]],
        ])
        let cells = podCells(p)
        #expect(cells[1] == "1/2")
        #expect(cells[2] == "CrashLoopBackOff")
        #expect(cells[3] == "3 (30s ago)")
        // Restarts without any recorded termination time print the bare count.
        let q = pod("q", containers: [["name": "a"]], statuses: [["name": "a", "ready": true, "restartCount": 4, "state": running]])
        #expect(podCells(q)[3] == "4")
    }

    @Test("terminated containers give their reason, Signal:N or ExitCode:N")
    func terminatedReasons() {
        func status(_ terminated: JSONValue) -> JSONValue {
            podCells(pod("p", phase: "Failed", containers: [["name": "a"]],
                statuses: [["name": "a", "ready": false, "restartCount": 0, "state": ["terminated": terminated]]]))[2]
        }
        #expect(status(["exitCode": 137, "reason": "OOMKilled"]) == "OOMKilled")
        #expect(status(["exitCode": 0, "signal": 9]) == "Signal:9")
        #expect(status(["exitCode": 3]) == "ExitCode:3")
    }

    @Test("a pod whose containers all completed shows Completed and a Completed row condition")
    func completedPod() {
        let p = pod("job-x", phase: "Succeeded", containers: [["name": "a"]],
            statuses: [["name": "a", "ready": false, "restartCount": 0, "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]]])
        #expect(podCells(p)[1...2] == ["0/1", "Completed"])
        let table = TablePrinter.table(resource: Resources.pods, objects: [p], now: now, resourceVersion: "5")
        #expect(table["rows"][0]["conditions"] == [
            ["type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."],
        ])
        let failed = pod("f", phase: "Failed", containers: [["name": "a"]], statuses: [])
        #expect(TablePrinter.podRowConditions(failed)?.first?["reason"] == "Failed")
    }

    @Test("one completed container beside a running one reads Running when Ready, NotReady otherwise")
    func completedButRunning() {
        let statuses: [JSONValue] = [
            ["name": "a", "ready": true, "restartCount": 0, "state": running],
            ["name": "b", "ready": false, "restartCount": 0, "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]],
        ]
        let notReady = pod("p", containers: [["name": "a"], ["name": "b"]], statuses: statuses)
        #expect(podCells(notReady)[1...2] == ["1/2", "NotReady"])
        let ready = pod("p", containers: [["name": "a"], ["name": "b"]], statuses: statuses,
            conditions: [["type": "Ready", "status": "True"]])
        #expect(podCells(ready)[2] == "Running")
    }

    @Test("init containers: Init:N/M while running, Init:reason when waiting, failing, or signalled")
    func initContainers() {
        let inits: [JSONValue] = [["name": "i1"], ["name": "i2"]]
        let main: [JSONValue] = [["name": "app"]]
        let waitingMain: [JSONValue] = [["name": "app", "ready": false, "restartCount": 0, "state": ["waiting": ["reason": "PodInitializing"]]]]
        let progressing = pod("p", phase: "Pending", containers: main, statuses: waitingMain, initContainers: inits, initStatuses: [
            ["name": "i1", "restartCount": 0, "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]],
            ["name": "i2", "restartCount": 0, "state": running],
        ])
        #expect(podCells(progressing)[1...3] == ["0/1", "Init:1/2", "0"])
        let pulling = pod("p", phase: "Pending", containers: main, statuses: waitingMain, initContainers: inits, initStatuses: [
            ["name": "i1", "restartCount": 0, "state": ["waiting": ["reason": "ErrImagePull"]]],
        ])
        #expect(podCells(pulling)[2] == "Init:ErrImagePull")
        let failing = pod("p", phase: "Pending", containers: main, statuses: waitingMain, initContainers: inits, initStatuses: [
            ["name": "i1", "restartCount": 3, "state": ["terminated": ["exitCode": 2]],
             "lastState": ["terminated": ["exitCode": 2, "finishedAt": "2026-11-23T08:08:00Z"]]],
        ])
        #expect(podCells(failing)[2...3] == ["Init:ExitCode:2", "3 (2m ago)"])
        let signalled = pod("p", phase: "Pending", containers: main, statuses: waitingMain, initContainers: inits, initStatuses: [
            ["name": "i1", "restartCount": 0, "state": ["terminated": ["exitCode": 0, "signal": 15]]],
            ["name": "i2", "restartCount": 0, "state": ["terminated": ["exitCode": 1, "reason": "Error"]]],
        ])
        #expect(podCells(signalled)[2] == "Init:Error")
    }

    @Test("a sidecar (init container with restartPolicy Always) counts toward READY")
    func sidecar() {
        let p = pod("p", containers: [["name": "app"]],
            statuses: [["name": "app", "ready": true, "restartCount": 0, "state": running]],
            initContainers: [["name": "proxy", "restartPolicy": "Always"]],
            initStatuses: [["name": "proxy", "ready": true, "started": true, "restartCount": 1, "state": running]],
            conditions: [["type": "Initialized", "status": "True"], ["type": "Ready", "status": "True"]])
        #expect(podCells(p)[1...3] == ["2/2", "Running", "1"])
    }

    @Test("deletion: Terminating unless already finished; Unknown for a lost node")
    func terminating() {
        let statuses: [JSONValue] = [["name": "a", "ready": true, "restartCount": 0, "state": running]]
        #expect(podCells(pod("p", containers: [["name": "a"]], statuses: statuses, deleting: true))[2] == "Terminating")
        #expect(podCells(pod("p", phase: "Succeeded", containers: [["name": "a"]], statuses: [], deleting: true))[2] == "Succeeded")
        let lost = pod("p", containers: [["name": "a"]], statuses: statuses, extraStatus: ["reason": "NodeLost"], deleting: true)
        #expect(podCells(lost)[2] == "Unknown")
        let evicted = pod("p", phase: "Failed", containers: [["name": "a"]], statuses: [], extraStatus: ["reason": "Evicted"])
        #expect(podCells(evicted)[2] == "Evicted")
    }

    @Test("readiness gates count the true conditions they name; scheduling gates show SchedulingGated")
    func gates() {
        let p = pod("p", phase: "Pending", containers: [["name": "a"]], statuses: [],
            conditions: [["type": "example.com/lb", "status": "True"], ["type": "example.com/dns", "status": "False"],
                ["type": "PodScheduled", "status": "False", "reason": "SchedulingGated"]],
            extraSpec: ["readinessGates": [["conditionType": "example.com/lb"], ["conditionType": "example.com/dns"]]])
        let cells = podCells(p)
        #expect(cells[2] == "SchedulingGated")
        #expect(cells[8] == "1/2")
    }

    // MARK: Services

    func service(_ name: String, _ spec: JSONValue, status: JSONValue = .null) -> JSONValue {
        var s: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": spec]
        if !status.isNull { s["status"] = status }
        return s
    }

    func svcCells(_ s: JSONValue) -> [JSONValue] { TablePrinter.cells(for: s, resource: Resources.services, now: now) }

    @Test("service columns are NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE + wide SELECTOR")
    func serviceColumns() {
        #expect(columnNames(Resources.services) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"])
        #expect(wideFlags(Resources.services) == [0, 0, 0, 0, 0, 0, 1])
    }

    @Test("services print like the tutorials: ClusterIP, NodePort, LoadBalancer pending or assigned")
    func services() {
        let kubernetes = service("kubernetes", ["type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
            "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]]])
        #expect(svcCells(kubernetes) == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "6m5s", "<none>"])

        let pending = service("minikube-demo-server-service", ["type": "LoadBalancer", "clusterIPs": ["10.104.164.32"],
            "selector": ["app": "minikube-demo-server"], "ports": [["port": 8000, "protocol": "TCP", "nodePort": 31843]]])
        #expect(svcCells(pending)[1...4] == ["LoadBalancer", "10.104.164.32", "<pending>", "8000:31843/TCP"])
        #expect(svcCells(pending)[6] == "app=minikube-demo-server")

        let assigned = service("kubeanimals", ["type": "LoadBalancer", "clusterIPs": ["10.102.194.9"],
            "selector": ["version": "1.0", "app": "kubeanimals"], "ports": [["port": 80, "protocol": "TCP", "nodePort": 30489]]],
            status: ["loadBalancer": ["ingress": [["ip": "10.10.99.121", "ipMode": "VIP"]]]])
        #expect(svcCells(assigned)[3] == "10.10.99.121")
        #expect(svcCells(assigned)[6] == "app=kubeanimals,version=1.0")
    }

    @Test("external IPs, multiple ports, headless, ExternalName and unknown types follow getServiceExternalIP")
    func serviceEdges() {
        let multi = service("web", ["type": "NodePort", "clusterIPs": ["10.96.5.5"], "externalIPs": ["198.51.100.7", "198.51.100.8"],
            "ports": [["port": 80, "protocol": "TCP", "nodePort": 30080], ["port": 53, "protocol": "UDP"]]])
        #expect(svcCells(multi)[3...4] == ["198.51.100.7,198.51.100.8", "80:30080/TCP,53/UDP"])

        let lbWithExternal = service("lb", ["type": "LoadBalancer", "clusterIPs": ["10.96.5.6"], "externalIPs": ["198.51.100.9"]],
            status: ["loadBalancer": ["ingress": [["ip": "172.18.255.2"], ["hostname": "lb.example.com"], ["ip": "172.18.255.1"]]]])
        #expect(svcCells(lbWithExternal)[3] == "172.18.255.1,172.18.255.2,lb.example.com,198.51.100.9")
        #expect(svcCells(lbWithExternal)[4] == "<none>")

        let headless = service("db", ["type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"], "ports": [["port": 5432, "protocol": "TCP"]]])
        #expect(svcCells(headless)[2] == "None")

        let external = service("ext", ["type": "ExternalName", "externalName": "example.com"])
        #expect(svcCells(external)[1...4] == ["ExternalName", "<none>", "example.com", "<none>"])

        #expect(svcCells(service("odd", ["clusterIP": "10.96.0.9"]))[1...3] == ["", "10.96.0.9", "<unknown>"])
    }

    // MARK: Endpoints and EndpointSlices

    @Test("endpoints list ip:port, at most three then + N more, <none> without subsets")
    func endpoints() {
        func cells(_ subsets: JSONValue) -> [JSONValue] {
            TablePrinter.cells(for: ["metadata": meta("svc"), "subsets": subsets], resource: Resources.endpoints, now: now)
        }
        #expect(columnNames(Resources.endpoints) == ["Name", "Endpoints", "Age"])
        #expect(cells([["addresses": [["ip": "10.244.0.12"], ["ip": "10.244.0.13"]], "ports": [["port": 8000, "protocol": "TCP"]]]])
            == ["svc", "10.244.0.12:8000,10.244.0.13:8000", "6m5s"])
        let five: JSONValue = .array((1...5).map { ["ip": .string("10.244.1.\($0)")] })
        #expect(cells([["addresses": five, "ports": [["port": 80]]]])[1] == "10.244.1.1:80,10.244.1.2:80,10.244.1.3:80 + 2 more...")
        // Two ports over two addresses: four entries, one more than fits.
        #expect(cells([["addresses": [["ip": "10.0.0.1"], ["ip": "10.0.0.2"]], "ports": [["port": 80], ["port": 443]]]])[1]
            == "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...")
        #expect(cells([["addresses": [["ip": "10.0.0.1"]]]])[1] == "10.0.0.1")
        #expect(cells([["addresses": [["ip": "fd00::1"]], "ports": [["port": 80]]]])[1] == "[fd00::1]:80")
        #expect(cells([["notReadyAddresses": [["ip": "10.0.0.1"]], "ports": [["port": 80]]]])[1] == "")
        #expect(cells(.null)[1] == "<none>")
    }

    @Test("endpointslices print address type, ports and addresses with <unset> and + N more")
    func endpointSlices() {
        #expect(columnNames(Resources.endpointSlices) == ["Name", "AddressType", "Ports", "Endpoints", "Age"])
        let slice: JSONValue = [
            "metadata": meta("web-abc12"), "addressType": "IPv4",
            "ports": [["name": "http", "port": 80, "protocol": "TCP"], ["name": "metrics"], [:], ["port": 9090]],
            "endpoints": [["addresses": ["10.244.1.2"]], ["addresses": ["10.244.1.3"]], ["addresses": ["10.244.2.2", "10.244.2.3"]]],
        ]
        #expect(TablePrinter.cells(for: slice, resource: Resources.endpointSlices, now: now)
            == ["web-abc12", "IPv4", "80,metrics,* + 1 more...", "10.244.1.2,10.244.1.3,10.244.2.2 + 1 more...", "6m5s"])
        let empty: JSONValue = ["metadata": meta("e"), "addressType": "IPv4", "endpoints": .null]
        #expect(TablePrinter.cells(for: empty, resource: Resources.endpointSlices, now: now)[2...3] == ["<unset>", "<unset>"])
    }

    // MARK: Deployments and ReplicaSets

    @Test("deployments: READY r/d, UP-TO-DATE and AVAILABLE as integers, wide containers, images, selector")
    func deployments() {
        #expect(columnNames(Resources.deployments) == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
        #expect(wideFlags(Resources.deployments) == [0, 0, 0, 0, 0, 1, 1, 1])
        let d: JSONValue = [
            "metadata": meta("minikube-demo-server-deployment"),
            "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "demo"], "matchExpressions": [["key": "tier", "operator": "In", "values": ["web", "api"]]]],
                "template": ["spec": ["containers": [["name": "server", "image": "minikube-demo-server"], ["name": "log", "image": "busybox"]]]]],
            "status": ["replicas": 2, "readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1],
        ]
        #expect(TablePrinter.cells(for: d, resource: Resources.deployments, now: now)
            == ["minikube-demo-server-deployment", "1/2", 2, 1, "6m5s", "server,log", "minikube-demo-server,busybox", "app=demo,tier in (api,web)"])
        // A fresh deployment with no status yet: zeros, and replicas defaulting to 1.
        let fresh: JSONValue = ["metadata": meta("new"), "spec": ["selector": ["matchLabels": ["app": "new"]]]]
        #expect(TablePrinter.cells(for: fresh, resource: Resources.deployments, now: now)[1...3] == ["0/1", 0, 0])
        let bad: JSONValue = ["metadata": meta("bad"), "spec": ["selector": ["matchExpressions": [["key": "a", "operator": "Near"]]]]]
        #expect(TablePrinter.cells(for: bad, resource: Resources.deployments, now: now)[7] == "<invalid>")
    }

    @Test("replicasets: DESIRED CURRENT READY integers, selector through FormatLabelSelector")
    func replicaSets() {
        #expect(columnNames(Resources.replicaSets) == ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"])
        #expect(TablePrinter.columnDefinitions(for: Resources.replicaSets)[1]["type"] == "integer")
        let rs: JSONValue = [
            "metadata": meta("minikube-demo-server-deployment-694d46996b"),
            "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "demo", "pod-template-hash": "694d46996b"]],
                "template": ["spec": ["containers": [["name": "server", "image": "minikube-demo-server"]]]]],
            "status": ["replicas": 1, "readyReplicas": 1],
        ]
        #expect(TablePrinter.cells(for: rs, resource: Resources.replicaSets, now: now)
            == ["minikube-demo-server-deployment-694d46996b", 1, 1, 1, "6m5s", "server", "minikube-demo-server", "app=demo,pod-template-hash=694d46996b"])
        let scaledDown: JSONValue = ["metadata": meta("old"), "spec": ["replicas": 0]]
        #expect(TablePrinter.cells(for: scaledDown, resource: Resources.replicaSets, now: now)[1...3] == [0, 0, 0])
        #expect(TablePrinter.cells(for: scaledDown, resource: Resources.replicaSets, now: now)[7] == "<none>")
    }

    // MARK: Namespaces and nodes

    @Test("namespaces print their phase")
    func namespaces() {
        #expect(columnNames(Resources.namespaces) == ["Name", "Status", "Age"])
        let ns: JSONValue = ["metadata": meta("kube-system", namespace: nil), "status": ["phase": "Active"]]
        #expect(TablePrinter.cells(for: ns, resource: Resources.namespaces, now: now) == ["kube-system", "Active", "6m5s"])
    }

    @Test("nodes: Ready/NotReady/Unknown with SchedulingDisabled, roles from labels, version and node info")
    func nodes() {
        #expect(columnNames(Resources.nodes) == ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"])
        let cp: JSONValue = [
            "metadata": meta("podlab-control-plane", namespace: nil, labels: ["node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": "podlab-control-plane"]),
            "status": [
                "conditions": [["type": "MemoryPressure", "status": "False"], ["type": "Ready", "status": "True"]],
                "addresses": [["type": "InternalIP", "address": "172.18.0.2"], ["type": "Hostname", "address": "podlab-control-plane"]],
                "nodeInfo": ["kubeletVersion": "v1.31.0", "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "podlab://0.1.0"],
            ],
        ]
        #expect(TablePrinter.cells(for: cp, resource: Resources.nodes, now: now)
            == ["podlab-control-plane", "Ready", "control-plane", "6m5s", "v1.31.0", "172.18.0.2", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64", "podlab://0.1.0"])
        let cordoned: JSONValue = [
            "metadata": meta("w", namespace: nil, labels: ["kubernetes.io/role": "edge", "node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/": ""]),
            "spec": ["unschedulable": true],
            "status": ["conditions": [["type": "Ready", "status": "Unknown"]], "addresses": [["type": "ExternalIP", "address": "203.0.113.4"]]],
        ]
        #expect(TablePrinter.cells(for: cordoned, resource: Resources.nodes, now: now)
            == ["w", "NotReady,SchedulingDisabled", "edge,worker", "6m5s", "", "<none>", "203.0.113.4", "<unknown>", "<unknown>", "<unknown>"])
        let bare: JSONValue = ["metadata": meta("b", namespace: nil)]
        #expect(TablePrinter.cells(for: bare, resource: Resources.nodes, now: now)[1...2] == ["Unknown", "<none>"])
    }

    // MARK: Events

    @Test("events use the modern column order and fall back between timestamps")
    func events() {
        #expect(columnNames(Resources.events) == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"])
        #expect(wideFlags(Resources.events) == [0, 0, 0, 0, 1, 1, 0, 1, 1, 1])
        let pulled: JSONValue = [
            "metadata": meta("web-1.17a"), "type": "Normal", "reason": "Pulled", "message": "  Container image \"nginx\" already present on machine\n",
            "involvedObject": ["kind": "Pod", "name": "web-1", "namespace": "default", "fieldPath": "spec.containers{nginx}"],
            "source": ["component": "kubelet", "host": "podlab-worker"],
            "firstTimestamp": "2026-11-23T08:04:00Z", "lastTimestamp": "2026-11-23T08:09:00Z", "count": 3,
        ]
        #expect(TablePrinter.cells(for: pulled, resource: Resources.events, now: now)
            == ["60s", "Normal", "Pulled", "pod/web-1", "spec.containers{nginx}", "kubelet, podlab-worker",
                "Container image \"nginx\" already present on machine", "6m", 3, "web-1.17a"])
        // An events.k8s.io-style event: eventTime only, reportingComponent, no count, a series.
        let modern: JSONValue = [
            "metadata": meta("e2"), "type": "Warning", "reason": "FailedScheduling", "message": "0/2 nodes are available",
            "involvedObject": ["kind": "Pod", "name": "p"], "eventTime": "2026-11-23T08:05:00.123456Z",
            "reportingComponent": "default-scheduler", "reportingInstance": "",
        ]
        let cells = TablePrinter.cells(for: modern, resource: Resources.events, now: now)
        #expect(cells[0] == "4m59s")
        #expect(cells[5] == "default-scheduler")
        #expect(cells[7] == "4m59s")
        #expect(cells[8] == 1)
        var series = modern
        series["series"] = ["count": 7, "lastObservedTime": "2026-11-23T08:09:50.000000Z"]
        #expect(TablePrinter.cells(for: series, resource: Resources.events, now: now)[0] == "10s")
        #expect(TablePrinter.cells(for: series, resource: Resources.events, now: now)[8] == 7)
        let kindOnly: JSONValue = ["metadata": meta("e3"), "involvedObject": ["kind": "Node"]]
        let kindCells = TablePrinter.cells(for: kindOnly, resource: Resources.events, now: now)
        #expect(kindCells[3] == "node")
        #expect(kindCells[0] == "<unknown>")
    }

    // MARK: Networking

    @Test("ingresses: CLASS or <none>, hosts with * and + N more, load-balancer address, 80 or 80, 443")
    func ingresses() {
        #expect(columnNames(Resources.ingresses) == ["Name", "Class", "Hosts", "Address", "Ports", "Age"])
        let ing: JSONValue = [
            "metadata": meta("example-ingress"),
            "spec": ["ingressClassName": "nginx", "tls": [["hosts": ["hello-world.example"]]],
                "rules": [["host": "hello-world.example"], ["host": "b.example"], [:], ["host": "d.example"], ["host": "e.example"]]],
            "status": ["loadBalancer": ["ingress": [["ip": "172.18.0.3"]]]],
        ]
        #expect(TablePrinter.cells(for: ing, resource: Resources.ingresses, now: now)
            == ["example-ingress", "nginx", "hello-world.example,b.example,d.example + 2 more...", "172.18.0.3", "80, 443", "6m5s"])
        let plain: JSONValue = ["metadata": meta("p"), "spec": ["defaultBackend": ["service": ["name": "web"]]]]
        #expect(TablePrinter.cells(for: plain, resource: Resources.ingresses, now: now)[1...4] == ["<none>", "*", "", "80"])
    }

    @Test("ingressclasses print controller and Kind.group/name parameters")
    func ingressClasses() {
        #expect(columnNames(Resources.ingressClasses) == ["Name", "Controller", "Parameters", "Age"])
        let nginx: JSONValue = ["metadata": meta("nginx", namespace: nil), "spec": ["controller": "k8s.io/ingress-nginx"]]
        #expect(TablePrinter.cells(for: nginx, resource: Resources.ingressClasses, now: now) == ["nginx", "k8s.io/ingress-nginx", "<none>", "6m5s"])
        let withParams: JSONValue = ["metadata": meta("lb", namespace: nil), "spec": ["controller": "example.com/lb",
            "parameters": ["apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"]]]
        #expect(TablePrinter.cells(for: withParams, resource: Resources.ingressClasses, now: now)[2] == "IngressParameters.k8s.example.com/external-lb")
    }

    @Test("networkpolicies print the pod selector, <none> for the empty one")
    func networkPolicies() {
        #expect(columnNames(Resources.networkPolicies) == ["Name", "Pod-Selector", "Age"])
        func selector(_ spec: JSONValue) -> JSONValue {
            TablePrinter.cells(for: ["metadata": meta("np"), "spec": spec], resource: Resources.networkPolicies, now: now)[1]
        }
        #expect(selector(["podSelector": [:], "policyTypes": ["Ingress"]]) == "<none>")
        #expect(selector([:]) == "<none>")
        #expect(selector(["podSelector": ["matchLabels": ["app": "web", "env": "prod"]]]) == "app=web,env=prod")
        #expect(selector(["podSelector": ["matchExpressions": [["key": "tier", "operator": "NotIn", "values": ["db"]],
            ["key": "app", "operator": "Exists"], ["key": "legacy", "operator": "DoesNotExist"]]]]) == "app,!legacy,tier notin (db)")
        #expect(selector(["podSelector": ["matchExpressions": [["key": "tier", "operator": "In", "values": []]]]]) == "<error>")
    }

    // MARK: Config, identity, RBAC

    @Test("configmaps count data and binaryData; secrets print type and data count; serviceaccounts count secrets")
    func configAndIdentity() {
        #expect(columnNames(Resources.configMaps) == ["Name", "Data", "Age"])
        let cm: JSONValue = ["metadata": meta("kube-root-ca.crt"), "data": ["ca.crt": "..."], "binaryData": ["blob": "AAA="]]
        #expect(TablePrinter.cells(for: cm, resource: Resources.configMaps, now: now) == ["kube-root-ca.crt", 2, "6m5s"])
        #expect(columnNames(Resources.secrets) == ["Name", "Type", "Data", "Age"])
        let secret: JSONValue = ["metadata": meta("db"), "type": "Opaque", "data": ["user": "YQ==", "pass": "Yg=="]]
        #expect(TablePrinter.cells(for: secret, resource: Resources.secrets, now: now) == ["db", "Opaque", 2, "6m5s"])
        #expect(columnNames(Resources.serviceAccounts) == ["Name", "Secrets", "Age"])
        let sa: JSONValue = ["metadata": meta("default")]
        #expect(TablePrinter.cells(for: sa, resource: Resources.serviceAccounts, now: now) == ["default", 0, "6m5s"])
    }

    @Test("rolebindings print Kind/name and subjects split by kind; roles get the default table with CREATED AT")
    func rbac() {
        #expect(columnNames(Resources.roleBindings) == ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"])
        #expect(wideFlags(Resources.clusterRoleBindings) == [0, 0, 0, 1, 1, 1])
        #expect(TablePrinter.columnDefinitions(for: Resources.clusterRoleBindings)[3]["description"] == "Users in the clusterRoleBinding")
        let rb: JSONValue = [
            "metadata": meta("read-pods"), "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"],
            "subjects": [["kind": "User", "name": "jane"], ["kind": "User", "name": "joe"], ["kind": "Group", "name": "devs"],
                ["kind": "ServiceAccount", "name": "builder", "namespace": "ci"]],
        ]
        #expect(TablePrinter.cells(for: rb, resource: Resources.roleBindings, now: now)
            == ["read-pods", "Role/pod-reader", "6m5s", "jane, joe", "devs", "ci/builder"])

        for resource in [Resources.roles, Resources.clusterRoles] {
            let defs = TablePrinter.columnDefinitions(for: resource)
            #expect(defs.map { $0["name"] } == ["Name", "Created At"])
            #expect(defs[1]["type"] == "date")
        }
        let role: JSONValue = ["metadata": meta("pod-reader"), "rules": []]
        #expect(TablePrinter.cells(for: role, resource: Resources.roles, now: now) == ["pod-reader", "2026-11-23T08:03:55Z"])
        #expect(TablePrinter.cells(for: ["metadata": ["name": "x"]], resource: Resources.clusterRoles, now: now)
            == ["x", "0001-01-01T00:00:00Z"])
    }

    @Test("an unknown resource gets the default Name / Created At table")
    func unknownResource() {
        let widgets = ResourceInfo(group: "example.com", kind: "Widget", plural: "widgets")
        #expect(columnNames(widgets) == ["Name", "Created At"])
        #expect(TablePrinter.cells(for: ["metadata": meta("w1")], resource: widgets, now: now) == ["w1", "2026-11-23T08:03:55Z"])
    }

    @Test("AGE is <unknown> without a creationTimestamp and <invalid> for one far in the future")
    func ageEdges() {
        let noTime: JSONValue = ["metadata": ["name": "n"], "status": ["phase": "Active"]]
        #expect(TablePrinter.cells(for: noTime, resource: Resources.namespaces, now: now)[2] == "<unknown>")
        let future: JSONValue = ["metadata": ["name": "n", "creationTimestamp": "2026-11-23T09:00:00Z"]]
        #expect(TablePrinter.cells(for: future, resource: Resources.namespaces, now: now)[2] == "<invalid>")
    }
}
