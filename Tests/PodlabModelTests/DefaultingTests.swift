import Testing

@testable import PodlabModel

@Suite("Defaulting")
struct DefaultingTests {
    func defaulted(_ v: JSONValue, _ r: ResourceInfo) -> JSONValue {
        var o = v
        Defaulting.apply(&o, resource: r)
        return o
    }

    @Test("a pod gets kube-apiserver's spec, container, port and probe defaults")
    func pod() throws {
        let pod: JSONValue = [
            "metadata": ["name": "p", "namespace": "default"],
            "spec": [
                "containers": [[
                    "name": "c", "image": "nginx", "ports": [["containerPort": 80]],
                    "readinessProbe": ["httpGet": ["port": 80]],
                ]]
            ],
        ]
        let d = defaulted(pod, Resources.pods)
        let spec = d["spec"]
        #expect(spec["restartPolicy"] == "Always")
        #expect(spec["dnsPolicy"] == "ClusterFirst")
        #expect(spec["terminationGracePeriodSeconds"] == 30)
        #expect(spec["schedulerName"] == "default-scheduler")
        #expect(spec["securityContext"] == [:])
        #expect(spec["enableServiceLinks"] == true)
        #expect(spec["serviceAccountName"] == "default")
        #expect(spec["serviceAccount"] == "default")
        #expect(spec["priority"] == 0)
        #expect(spec["tolerations"].array?.count == 2)
        let c = spec["containers"][0]
        #expect(c["terminationMessagePath"] == "/dev/termination-log")
        #expect(c["terminationMessagePolicy"] == "File")
        #expect(c["imagePullPolicy"] == "Always")
        #expect(c["resources"] == [:])
        #expect(c["ports"][0]["protocol"] == "TCP")
        #expect(c["readinessProbe"] == [
            "httpGet": ["port": 80, "path": "/", "scheme": "HTTP"], "timeoutSeconds": 1, "periodSeconds": 10,
            "successThreshold": 1, "failureThreshold": 3,
        ])
        #expect(d.at("status.phase") == "Pending")
        #expect(d.at("status.qosClass") == "BestEffort")
    }

    @Test("imagePullPolicy is Always for :latest or no tag, IfNotPresent otherwise", arguments: [
        ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
        ("localhost:5000/app", "Always"), ("localhost:5000/app:v1", "IfNotPresent"),
        ("busybox@sha256:abcd", "IfNotPresent"), ("bretfisher/httpenv", "Always"),
    ])
    func pullPolicy(image: String, policy: String) {
        #expect(Defaulting.pullPolicy(forImage: image) == policy)
    }

    @Test("values the user gave are kept")
    func keepsGiven() throws {
        let d = defaulted(try SeedManifests.json(SeedManifests.demoServerDeployment), Resources.deployments)
        #expect(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Never")
        #expect(d.at("spec.replicas") == 2)
    }

    @Test("a Deployment gets replicas, strategy, history and deadline defaults, and its template the pod defaults")
    func deployment() throws {
        var dep = try SeedManifests.json(SeedManifests.myNginxDeployment)
        dep.remove("spec.replicas")
        let d = defaulted(dep, Resources.deployments)
        #expect(d.at("spec.replicas") == 1)
        #expect(d.at("spec.strategy") == ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]])
        #expect(d.at("spec.revisionHistoryLimit") == 10)
        #expect(d.at("spec.progressDeadlineSeconds") == 600)
        let t = d.at("spec.template.spec")
        #expect(t["restartPolicy"] == "Always")
        #expect(t["containers"][0]["ports"][0]["protocol"] == "TCP")
        // Templates are not admitted as pods: no service account or tolerations are added.
        #expect(t["serviceAccountName"].isNull)
        #expect(t["tolerations"].isNull)
    }

    @Test("a Recreate Deployment gets no rollingUpdate parameters")
    func recreate() {
        let d = defaulted(["spec": ["strategy": ["type": "Recreate"]]], Resources.deployments)
        #expect(d.at("spec.strategy") == ["type": "Recreate"])
    }

    @Test("a ReplicaSet defaults to one replica")
    func replicaSet() {
        #expect(defaulted(["spec": [:]], Resources.replicaSets).at("spec.replicas") == 1)
    }

    @Test("a ClusterIP Service gets type, protocol, targetPort, affinity, policies and IPv4 single-stack")
    func service() {
        let d = defaulted(["metadata": ["name": "s"], "spec": ["selector": ["a": "b"], "ports": [["port": 80]]]], Resources.services)
        let s = d["spec"]
        #expect(s["type"] == "ClusterIP")
        #expect(s["ports"][0] == ["port": 80, "protocol": "TCP", "targetPort": 80])
        #expect(s["sessionAffinity"] == "None")
        #expect(s["internalTrafficPolicy"] == "Cluster")
        #expect(s["externalTrafficPolicy"].isNull)
        #expect(s["ipFamilyPolicy"] == "SingleStack")
        #expect(s["ipFamilies"] == ["IPv4"])
        #expect(d["status"] == ["loadBalancer": [:]])
    }

    @Test("NodePort and LoadBalancer Services get externalTrafficPolicy Cluster; LoadBalancers allocate node ports")
    func externalPolicy() throws {
        let d = defaulted(try SeedManifests.json(SeedManifests.fetcherService), Resources.services)
        #expect(d.at("spec.externalTrafficPolicy") == "Cluster")
        #expect(d.at("spec.allocateLoadBalancerNodePorts") == true)
        #expect(d["spec"]["ports"][0]["targetPort"] == 8000)
    }

    @Test("ExternalName Services get no IP families or internal traffic policy")
    func externalName() {
        let d = defaulted(["spec": ["type": "ExternalName", "externalName": "example.com"]], Resources.services)
        #expect(d.at("spec.ipFamilies").isNull)
        #expect(d.at("spec.ipFamilyPolicy").isNull)
        #expect(d.at("spec.internalTrafficPolicy").isNull)
    }

    @Test("headless Services without a selector default to RequireDualStack, with a selector to SingleStack")
    func headless() {
        let bare = defaulted(["spec": ["clusterIP": "None"]], Resources.services)
        #expect(bare.at("spec.ipFamilyPolicy") == "RequireDualStack")
        #expect(bare.at("spec.ipFamilies") == ["IPv4", "IPv6"])
        #expect(bare.at("spec.clusterIPs") == ["None"])
        let selected = defaulted(["spec": ["clusterIP": "None", "selector": ["a": "b"]]], Resources.services)
        #expect(selected.at("spec.ipFamilyPolicy") == "SingleStack")
        #expect(selected.at("spec.ipFamilies") == ["IPv4"])
    }

    @Test("ClientIP affinity gets the three-hour timeout")
    func affinity() {
        let d = defaulted(["spec": ["sessionAffinity": "ClientIP", "ports": [["port": 80]]]], Resources.services)
        #expect(d.at("spec.sessionAffinityConfig.clientIP.timeoutSeconds") == 10800)
    }

    @Test("a Namespace gets its name label, the kubernetes finalizer and phase Active")
    func namespace() {
        let d = defaulted(["metadata": ["name": "my-nginx", "labels": ["team": "a"]]], Resources.namespaces)
        #expect(d.at("metadata.labels") == ["team": "a", "kubernetes.io/metadata.name": "my-nginx"])
        #expect(d.at("spec.finalizers") == ["kubernetes"])
        #expect(d.at("status.phase") == "Active")
    }

    @Test("a NetworkPolicy's policyTypes are Ingress, plus Egress when egress rules exist; ports default to TCP")
    func networkPolicy() {
        let ingressOnly = defaulted(["spec": ["podSelector": [:], "ingress": [["ports": [["port": 80]]]]]], Resources.networkPolicies)
        #expect(ingressOnly.at("spec.policyTypes") == ["Ingress"])
        #expect(ingressOnly["spec"]["ingress"][0]["ports"][0]["protocol"] == "TCP")
        let both = defaulted(["spec": ["podSelector": [:], "egress": [["to": []]]]], Resources.networkPolicies)
        #expect(both.at("spec.policyTypes") == ["Ingress", "Egress"])
        let given = defaulted(["spec": ["podSelector": [:], "policyTypes": ["Egress"]]], Resources.networkPolicies)
        #expect(given.at("spec.policyTypes") == ["Egress"])
    }

    @Test("EndpointSlice ports default to TCP")
    func endpointSlice() {
        let d = defaulted(["addressType": "IPv4", "ports": [["port": 80]]], Resources.endpointSlices)
        #expect(d["ports"][0]["protocol"] == "TCP")
    }

    @Test("a Secret is Opaque and its stringData is folded into base64 data")
    func secret() {
        let d = defaulted(["stringData": ["user": "admin"], "data": ["a": "Yg=="]], Resources.secrets)
        #expect(d["type"] == "Opaque")
        #expect(d["data"] == ["user": "YWRtaW4=", "a": "Yg=="])
        #expect(d["stringData"].isNull)
    }

    @Test("an Ingress path gets no pathType: it is required")
    func ingress() {
        let ing: JSONValue = ["spec": ["rules": [["http": ["paths": [["path": "/"]]]]]]]
        #expect(defaulted(ing, Resources.ingresses) == ing)
    }

    @Test("defaulting twice gives the same object as defaulting once", arguments: [
        (SeedManifests.myNginxDeployment, Resources.deployments), (SeedManifests.fetcherService, Resources.services),
    ])
    func idempotent(text: String, r: ResourceInfo) throws {
        let once = defaulted(try SeedManifests.json(text), r)
        #expect(defaulted(once, r) == once)
    }
}
