import Foundation

/// kube-apiserver's defaulting: the values a stored object gets for fields the client left out.
///
/// Covers the versioned `SetDefaults_*` functions of pkg/apis/{core,apps,discovery,networking,rbac}/v1 and the
/// few values the registry or admission plugins fill in on every real cluster (namespace finalizer and phase,
/// Service IP families, pod serviceAccountName, priority and not-ready/unreachable tolerations).
/// Nothing here allocates (cluster IPs and node ports are `ServiceAllocation`'s job). Idempotent.
public enum Defaulting {
    /// Fills defaults into `obj`, an object of `resource` as `ObjectCodec.normalize` returns it.
    public static func apply(_ obj: inout JSONValue, resource: ResourceInfo) {
        switch (resource.group, resource.kind) {
        case ("", "Pod"): pod(&obj)
        case ("", "Service"): service(&obj)
        case ("", "Namespace"): namespace(&obj)
        case ("", "Secret"): secret(&obj)
        case ("", "Endpoints"): endpoints(&obj)
        case ("", "Node"): node(&obj)
        case ("apps", "Deployment"): deployment(&obj)
        case ("apps", "ReplicaSet"): replicaSet(&obj)
        case ("discovery.k8s.io", "EndpointSlice"): endpointSlice(&obj)
        case ("networking.k8s.io", "NetworkPolicy"): networkPolicy(&obj)
        case ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
            binding(&obj)
        default: break
        }
    }

    // MARK: - Helpers

    /// Sets `obj[key]` when it is missing or null (Go's "zero value means unset" for pointers and slices).
    static func setIfMissing(_ obj: inout JSONValue, _ key: String, _ value: JSONValue) {
        if obj[key].isNull { obj[key] = value }
    }

    /// Like `setIfMissing`, but an empty string also counts as unset (Go string fields with omitempty).
    static func setIfEmpty(_ obj: inout JSONValue, _ key: String, _ value: JSONValue) {
        if obj[key].isNull || obj[key].string == "" { obj[key] = value }
    }

    /// Applies `body` to each element of the array at `obj[key]`, if there is one.
    static func eachElement(_ obj: inout JSONValue, _ key: String, _ body: (inout JSONValue) -> Void) {
        guard var items = obj[key].array else { return }
        for i in items.indices { body(&items[i]) }
        obj[key] = .array(items)
    }

    // MARK: - core/v1

    static func pod(_ obj: inout JSONValue) {
        var spec = obj["spec"]
        if spec.isNull { spec = [:] }
        podSpec(&spec)
        // The ServiceAccount admission plugin names the account; v1 mirrors it in the deprecated field.
        setIfEmpty(&spec, "serviceAccountName", "default")
        setIfEmpty(&spec, "serviceAccount", spec["serviceAccountName"])
        // The Priority admission plugin, with no PriorityClass given.
        setIfMissing(&spec, "priority", 0)
        // DefaultTolerationSeconds admission: evict 300 s after a node goes not-ready or unreachable.
        var tolerations = spec["tolerations"].array ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
        where !tolerations.contains(where: { $0["key"].string == key && $0["effect"].string == "NoExecute" }) {
            tolerations.append([
                "key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300,
            ])
        }
        spec["tolerations"] = .array(tolerations)
        obj["spec"] = spec
        // A new pod is Pending until a node runs it (the pod strategy's PrepareForCreate).
        if obj.at("status.phase").isNull {
            var status = obj["status"].object ?? [:]
            status["phase"] = "Pending"
            status["qosClass"] = .string(qosClass(spec))
            obj["status"] = .object(status)
        }
    }

    /// SetDefaults_PodSpec and its containers, volumes and probes: shared by pods and pod templates.
    static func podSpec(_ spec: inout JSONValue) {
        setIfEmpty(&spec, "dnsPolicy", "ClusterFirst")
        setIfEmpty(&spec, "restartPolicy", "Always")
        setIfMissing(&spec, "securityContext", [:])
        setIfMissing(&spec, "terminationGracePeriodSeconds", 30)
        setIfEmpty(&spec, "schedulerName", "default-scheduler")
        setIfMissing(&spec, "enableServiceLinks", true)
        let hostNetwork = spec["hostNetwork"].bool ?? false
        for key in ["containers", "initContainers"] {
            eachElement(&spec, key) { container(&$0, hostNetwork: hostNetwork) }
        }
        eachElement(&spec, "volumes") { volume(&$0) }
    }

    /// SetDefaults_Container and the defaults of what it holds.
    static func container(_ c: inout JSONValue, hostNetwork: Bool) {
        setIfEmpty(&c, "terminationMessagePath", "/dev/termination-log")
        setIfEmpty(&c, "terminationMessagePolicy", "File")
        setIfEmpty(&c, "imagePullPolicy", .string(pullPolicy(forImage: c["image"].string ?? "")))
        setIfMissing(&c, "resources", [:])
        eachElement(&c, "ports") { p in
            setIfEmpty(&p, "protocol", "TCP")
            // With the host's network the container port is the host port.
            if hostNetwork, p["hostPort"].int ?? 0 == 0, !p["containerPort"].isNull { p["hostPort"] = p["containerPort"] }
        }
        eachElement(&c, "env") { e in
            if !e.at("valueFrom.fieldRef").isNull, e.at("valueFrom.fieldRef.apiVersion").string?.isEmpty ?? true {
                e.set("valueFrom.fieldRef.apiVersion", "v1")
            }
        }
        for key in ["livenessProbe", "readinessProbe", "startupProbe"] where !c[key].isNull {
            var p = c[key]
            probe(&p)
            c[key] = p
        }
    }

    /// `Always` for `:latest` or no tag, else `IfNotPresent` (a digest counts as a tag).
    public static func pullPolicy(forImage image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        // The tag follows the last ':' after the last '/', so `host:5000/app` has no tag.
        let lastComponent = image.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(image)
        guard let colon = lastComponent.lastIndex(of: ":") else { return "Always" }
        let tag = lastComponent[lastComponent.index(after: colon)...]
        return tag == "latest" ? "Always" : "IfNotPresent"
    }

    /// SetDefaults_Probe and SetDefaults_HTTPGetAction.
    static func probe(_ p: inout JSONValue) {
        setIfMissing(&p, "timeoutSeconds", 1)
        setIfMissing(&p, "periodSeconds", 10)
        setIfMissing(&p, "successThreshold", 1)
        setIfMissing(&p, "failureThreshold", 3)
        if !p["httpGet"].isNull {
            var h = p["httpGet"]
            setIfEmpty(&h, "path", "/")
            setIfEmpty(&h, "scheme", "HTTP")
            p["httpGet"] = h
        }
    }

    /// SetDefaults_Volume (no source means emptyDir) and the 0644 default modes of projected files.
    static func volume(_ v: inout JSONValue) {
        let sources = (v.object ?? [:]).filter { $0.key != "name" && !$0.value.isNull }
        if sources.isEmpty { v["emptyDir"] = [:] }
        for key in ["configMap", "secret", "projected", "downwardAPI"] where !v[key].isNull {
            var s = v[key]
            setIfMissing(&s, "defaultMode", 420)
            v[key] = s
        }
        if !v["hostPath"].isNull {
            var h = v["hostPath"]
            setIfMissing(&h, "type", "")
            v["hostPath"] = h
        }
    }

    /// The pod's QoS class from its containers' requests and limits (pkg/apis/core/helper/qos, simplified).
    static func qosClass(_ spec: JSONValue) -> String {
        let containers = (spec["containers"].array ?? []) + (spec["initContainers"].array ?? [])
        var anySet = false
        var guaranteed = true
        for c in containers {
            let limits = c.at("resources.limits").object ?? [:]
            let requests = c.at("resources.requests").object ?? [:]
            if !limits.isEmpty || !requests.isEmpty { anySet = true }
            for r in ["cpu", "memory"] {
                guard let l = limits[r] else {
                    guaranteed = false
                    continue
                }
                if let q = requests[r], q != l { guaranteed = false }
            }
        }
        if !anySet { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    static func service(_ obj: inout JSONValue) {
        var spec = obj["spec"]
        if spec.isNull { spec = [:] }
        setIfEmpty(&spec, "type", "ClusterIP")
        setIfEmpty(&spec, "sessionAffinity", "None")
        let type = spec["type"].string ?? "ClusterIP"
        if spec["sessionAffinity"].string == "ClientIP", spec.at("sessionAffinityConfig.clientIP.timeoutSeconds").isNull {
            spec.set("sessionAffinityConfig.clientIP.timeoutSeconds", 10800)
        }
        eachElement(&spec, "ports") { p in
            setIfEmpty(&p, "protocol", "TCP")
            // targetPort unset (or 0) means "the same as port".
            if p["targetPort"].isNull || p["targetPort"].int == 0 || p["targetPort"].string == "" {
                p["targetPort"] = p["port"]
            }
        }
        if type == "NodePort" || type == "LoadBalancer" { setIfEmpty(&spec, "externalTrafficPolicy", "Cluster") }
        if type != "ExternalName" { setIfEmpty(&spec, "internalTrafficPolicy", "Cluster") }
        if type == "LoadBalancer" { setIfMissing(&spec, "allocateLoadBalancerNodePorts", true) }
        // ClusterIP mirrored into clusterIPs (the service strategy's normalizeClusterIPs).
        if let ip = spec["clusterIP"].string, !ip.isEmpty, (spec["clusterIPs"].array ?? []).isEmpty {
            spec["clusterIPs"] = [.string(ip)]
        }
        if type != "ExternalName" {
            // The registry's initIPFamilyFields: headless services without a selector default to dual-stack.
            let headless = spec["clusterIP"].string == "None"
            let selectorless = (spec["selector"].object ?? [:]).isEmpty
            if headless && selectorless {
                setIfEmpty(&spec, "ipFamilyPolicy", "RequireDualStack")
            } else {
                setIfEmpty(&spec, "ipFamilyPolicy", "SingleStack")
            }
            if (spec["ipFamilies"].array ?? []).isEmpty {
                var families: [JSONValue] = ["IPv4"]
                if headless && selectorless && spec["ipFamilyPolicy"].string != "SingleStack" {
                    families.append("IPv6")
                }
                spec["ipFamilies"] = .array(families)
            }
        }
        obj["spec"] = spec
        setIfMissing(&obj, "status", ["loadBalancer": [:]])
    }

    static func namespace(_ obj: inout JSONValue) {
        // SetDefaults_Namespace: the immutable name label that namespaceSelectors can match.
        // (The label key contains dots, so it is set on the labels map, not through a dotted path.)
        if let name = obj.at("metadata.name").string, !name.isEmpty {
            var labels = obj.at("metadata.labels").object ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            obj.set("metadata.labels", .object(labels))
        }
        if (obj.at("spec.finalizers").array ?? []).isEmpty { obj.set("spec.finalizers", ["kubernetes"]) }
        if obj.at("status.phase").string?.isEmpty ?? true { obj.set("status.phase", "Active") }
    }

    static func secret(_ obj: inout JSONValue) {
        setIfEmpty(&obj, "type", "Opaque")
        // stringData is write-only: v1 conversion folds it into data (base64) and never stores it.
        if let plain = obj["stringData"].object {
            var data = obj["data"].object ?? [:]
            for (k, v) in plain { data[k] = .string(Data((v.string ?? "").utf8).base64EncodedString()) }
            obj["data"] = .object(data)
            obj = .object((obj.object ?? [:]).filter { $0.key != "stringData" })
        }
    }

    static func endpoints(_ obj: inout JSONValue) {
        eachElement(&obj, "subsets") { s in eachElement(&s, "ports") { setIfEmpty(&$0, "protocol", "TCP") } }
    }

    static func node(_ obj: inout JSONValue) {
        // SetDefaults_NodeStatus: allocatable defaults to capacity.
        if obj.at("status.allocatable").isNull, let cap = obj.at("status.capacity").object {
            obj.set("status.allocatable", .object(cap))
        }
    }

    // MARK: - apps/v1

    /// Pod template defaults (SetDefaults_PodSpec through the template), for Deployments and ReplicaSets.
    static func template(_ spec: inout JSONValue) {
        guard !spec["template"].isNull else { return }
        var t = spec["template"]
        var ps = t["spec"]
        if ps.isNull { ps = [:] }
        podSpec(&ps)
        t["spec"] = ps
        spec["template"] = t
    }

    static func deployment(_ obj: inout JSONValue) {
        var spec = obj["spec"]
        if spec.isNull { spec = [:] }
        setIfMissing(&spec, "replicas", 1)
        var strategy = spec["strategy"]
        if strategy.isNull { strategy = [:] }
        setIfEmpty(&strategy, "type", "RollingUpdate")
        if strategy["type"].string == "RollingUpdate" {
            var ru = strategy["rollingUpdate"]
            if ru.isNull { ru = [:] }
            setIfMissing(&ru, "maxUnavailable", "25%")
            setIfMissing(&ru, "maxSurge", "25%")
            strategy["rollingUpdate"] = ru
        }
        spec["strategy"] = strategy
        setIfMissing(&spec, "revisionHistoryLimit", 10)
        setIfMissing(&spec, "progressDeadlineSeconds", 600)
        template(&spec)
        obj["spec"] = spec
    }

    static func replicaSet(_ obj: inout JSONValue) {
        var spec = obj["spec"]
        if spec.isNull { spec = [:] }
        setIfMissing(&spec, "replicas", 1)
        template(&spec)
        obj["spec"] = spec
    }

    // MARK: - discovery, networking, rbac

    static func endpointSlice(_ obj: inout JSONValue) {
        eachElement(&obj, "ports") { p in
            setIfEmpty(&p, "protocol", "TCP")
            setIfMissing(&p, "name", "")
        }
    }

    static func networkPolicy(_ obj: inout JSONValue) {
        var spec = obj["spec"]
        if spec.isNull { spec = [:] }
        for direction in ["ingress", "egress"] {
            eachElement(&spec, direction) { rule in eachElement(&rule, "ports") { setIfEmpty(&$0, "protocol", "TCP") } }
        }
        if (spec["policyTypes"].array ?? []).isEmpty {
            // SetDefaults_NetworkPolicy: Ingress always applies; Egress only when egress rules are given.
            var types: [JSONValue] = ["Ingress"]
            if !(spec["egress"].array ?? []).isEmpty { types.append("Egress") }
            spec["policyTypes"] = .array(types)
        }
        setIfMissing(&spec, "podSelector", [:])
        obj["spec"] = spec
    }

    static func binding(_ obj: inout JSONValue) {
        // SetDefaults_Subject: Users and Groups are rbac's; ServiceAccounts stay in the core group ("", omitted).
        eachElement(&obj, "subjects") { s in
            guard s["apiGroup"].string?.isEmpty ?? true else { return }
            if s["kind"].string == "User" || s["kind"].string == "Group" { s["apiGroup"] = "rbac.authorization.k8s.io" }
        }
        if !obj["roleRef"].isNull, obj.at("roleRef.apiGroup").string?.isEmpty ?? true {
            obj.set("roleRef.apiGroup", "rbac.authorization.k8s.io")
        }
    }
}
