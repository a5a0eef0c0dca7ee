import Testing

@testable import PodlabModel

@Suite("Validation")
struct ValidationTests {
    /// Defaults then validates, as the API does, and returns the messages.
    func errors(_ v: JSONValue, _ r: ResourceInfo, old: JSONValue? = nil) -> [String] {
        var o = v
        Defaulting.apply(&o, resource: r)
        var oldDefaulted = old
        if var od = old {
            Defaulting.apply(&od, resource: r)
            oldDefaulted = od
        }
        return Validation.validate(o, resource: r, old: oldDefaulted).map(\.description)
    }

    func deployment() throws -> JSONValue { try SeedManifests.json(SeedManifests.myNginxDeployment) }

    func service(_ spec: JSONValue) -> JSONValue {
        ["metadata": ["name": "web", "namespace": "default"], "spec": spec]
    }

    func pod(_ containers: JSONValue) -> JSONValue {
        ["metadata": ["name": "p", "namespace": "default"], "spec": ["containers": containers]]
    }

    static let label1123 =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    @Test("the seed manifests are valid")
    func seeds() throws {
        #expect(errors(try deployment(), Resources.deployments).isEmpty)
        var dep = try SeedManifests.json(SeedManifests.demoServerDeployment)
        dep.set("metadata.namespace", "default")
        #expect(errors(dep, Resources.deployments).isEmpty)
        var svc = try SeedManifests.json(SeedManifests.fetcherService)
        svc.set("metadata.namespace", "default")
        #expect(errors(svc, Resources.services).isEmpty)
    }

    @Test("a name is required unless generateName is given")
    func nameRequired() {
        #expect(errors(["metadata": ["namespace": "default"], "data": [:]], Resources.configMaps) == [
            "metadata.name: Required value: name or generateName is required"
        ])
        #expect(errors(["metadata": ["namespace": "default", "generateName": "cm-"]], Resources.configMaps).isEmpty)
    }

    @Test("pod names are DNS-1123 subdomains")
    func podName() {
        var p = pod([["name": "c", "image": "nginx"]])
        p.set("metadata.name", "My_Pod")
        #expect(errors(p, Resources.pods) == [
            #"metadata.name: Invalid value: "My_Pod": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#
        ])
    }

    @Test("service names are DNS-1035 labels: no leading digit, no dots")
    func serviceName() {
        var s = service(["selector": ["a": "b"], "ports": [["port": 80]]])
        s.set("metadata.name", "1web")
        #expect(errors(s, Resources.services) == [
            #"metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#
        ])
    }

    @Test("namespace names are DNS-1123 labels of at most 63 characters")
    func namespaceName() {
        let long = String(repeating: "a", count: 64)
        #expect(errors(["metadata": ["name": .string(long)]], Resources.namespaces) == [
            "metadata.name: Invalid value: \"\(long)\": must be no more than 63 characters",
            // The defaulted kubernetes.io/metadata.name label carries the same too-long value.
            "metadata.labels: Invalid value: \"\(long)\": must be no more than 63 characters",
        ])
        #expect(errors(["metadata": ["name": "a.b"]], Resources.namespaces) == [
            "metadata.name: Invalid value: \"a.b\": \(ValidationTests.label1123)"
        ])
        #expect(errors(["metadata": ["name": "ok", "namespace": "x"]], Resources.namespaces) == [
            "metadata.namespace: Forbidden: not allowed on this type"
        ])
    }

    @Test("label keys and values are checked")
    func labels() {
        let cm: JSONValue = ["metadata": ["name": "c", "namespace": "default", "labels": ["bad key": "ok", "k": "-bad"]]]
        #expect(errors(cm, Resources.configMaps) == [
            #"metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
            #"metadata.labels: Invalid value: "-bad": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#,
        ])
        let prefixed: JSONValue = ["metadata": ["name": "c", "namespace": "default", "labels": ["app.kubernetes.io/name": "web"]]]
        #expect(errors(prefixed, Resources.configMaps).isEmpty)
    }

    @Test("a Deployment's selector must match its template labels")
    func selectorMismatch() throws {
        var d = try deployment()
        d.set("spec.template.metadata.labels", ["run": "other"])
        #expect(errors(d, Resources.deployments) == [
            #"spec.template.metadata.labels: Invalid value: map[string]string{"run":"other"}: `selector` does not match template `labels`"#
        ])
    }

    @Test("a Deployment needs a selector, non-negative replicas and restartPolicy Always")
    func deploymentRules() throws {
        var d = try deployment()
        d.remove("spec.selector")
        d.set("spec.replicas", -1)
        d.set("spec.template.spec.restartPolicy", "Never")
        #expect(errors(d, Resources.deployments) == [
            "spec.selector: Required value",
            #"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ])
    }

    @Test("a Deployment's selector cannot change")
    func selectorImmutable() throws {
        let old = try deployment()
        var new = old
        new.set("spec.selector.matchLabels", ["run": "my-nginx", "x": "y"])
        new.set("spec.template.metadata.labels", ["run": "my-nginx", "x": "y"])
        #expect(errors(new, Resources.deployments, old: old) == [
            #"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"run":"my-nginx", "x":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
        ])
    }

    @Test("label selector expressions need a valid operator and values")
    func selectorExpressions() throws {
        var d = try deployment()
        d.set("spec.selector", ["matchExpressions": [["key": "run", "operator": "In"], ["key": "x", "operator": "Like", "values": ["a"]]]])
        let e = errors(d, Resources.deployments)
        #expect(e.contains("spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"))
        #expect(e.contains(#"spec.selector.matchExpressions[1].operator: Invalid value: "Like": not a valid selector operator"#))
    }

    @Test("containers need unique DNS-1123 names and an image")
    func containers() {
        let e = errors(pod([["name": "web", "image": "nginx"], ["name": "web"], ["name": "Bad", "image": "x"]]), Resources.pods)
        #expect(e == [
            #"spec.containers[1].name: Duplicate value: "web""#,
            "spec.containers[1].image: Required value",
            #"spec.containers[2].name: Invalid value: "Bad": \#(ValidationTests.label1123)"#,
        ])
        #expect(errors(pod([]), Resources.pods) == ["spec.containers: Required value"])
    }

    @Test("container ports are 1-65535, named as IANA services, with a supported protocol")
    func containerPorts() {
        let e = errors(pod([["name": "c", "image": "nginx", "ports": [
            ["containerPort": 70000], ["containerPort": 80, "name": "HTTP"], ["containerPort": 81, "protocol": "FOO"],
            ["containerPort": 82, "name": "http-alt-is-too-long"],
        ]]]), Resources.pods)
        #expect(e == [
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            #"spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"#,
            #"spec.containers[0].ports[2].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP""#,
            #"spec.containers[0].ports[3].name: Invalid value: "http-alt-is-too-long": must be no more than 15 characters"#,
        ])
    }

    @Test("pod updates may only change images and a few other fields")
    func podUpdate() {
        // A stored pod has its defaults; an update sends them back.
        var old = pod([["name": "c", "image": "nginx"]])
        Defaulting.apply(&old, resource: Resources.pods)
        var newImage = old
        var containers = old.at("spec.containers").array ?? []
        containers[0]["image"] = "nginx:1.27"
        newImage.set("spec.containers", .array(containers))
        #expect(errors(newImage, Resources.pods, old: old).isEmpty)
        var newPorts = old
        containers = old.at("spec.containers").array ?? []
        containers[0]["ports"] = [["containerPort": 80, "protocol": "TCP"]]
        newPorts.set("spec.containers", .array(containers))
        let e = errors(newPorts, Resources.pods, old: old)
        #expect(e.count == 1)
        #expect(e.first?.hasSuffix("+ spec.containers[0].ports: [{\"containerPort\":80,\"protocol\":\"TCP\"}]") == true)
        #expect(e.first?.hasPrefix("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)") == true)
    }

    @Test("metadata.name and namespace cannot change on update")
    func metaImmutable() {
        let old: JSONValue = ["metadata": ["name": "a", "namespace": "default"]]
        let new: JSONValue = ["metadata": ["name": "b", "namespace": "default"]]
        #expect(errors(new, Resources.configMaps, old: old) == [#"metadata.name: Invalid value: "b": field is immutable"#])
    }

    @Test("a Service needs ports unless headless or ExternalName")
    func servicePortsRequired() {
        #expect(errors(service(["selector": ["a": "b"]]), Resources.services) == ["spec.ports: Required value"])
        #expect(errors(service(["clusterIP": "None", "selector": ["a": "b"]]), Resources.services).isEmpty)
        #expect(errors(service(["type": "ExternalName", "externalName": "example.com"]), Resources.services).isEmpty)
    }

    @Test("Service ports: range, names when several, duplicates, protocols and target ports")
    func servicePorts() {
        let e = errors(service(["ports": [
            ["name": "a", "port": 0], ["port": 81], ["name": "a", "port": 82, "protocol": "FOO"],
            ["name": "c", "port": 83, "targetPort": 70000], ["name": "d", "port": 84, "targetPort": "Bad_Name"],
            ["name": "e", "port": 83],
        ]]), Resources.services)
        #expect(e == [
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[1].name: Required value",
            #"spec.ports[2].name: Duplicate value: "a""#,
            #"spec.ports[2].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP""#,
            "spec.ports[3].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            #"spec.ports[4].targetPort: Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"#,
            #"spec.ports[5]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:83, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}"#,
        ])
    }

    @Test("Service type must be supported; nodePort only for NodePort and LoadBalancer")
    func serviceType() {
        #expect(errors(service(["type": "Fancy", "ports": [["port": 80]]]), Resources.services).contains(
            #"spec.type: Unsupported value: "Fancy": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#))
        #expect(errors(service(["ports": [["port": 80, "nodePort": 30080]]]), Resources.services) == [
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
        ])
    }

    @Test("clusterIP None is only for ClusterIP Services; IPs must be valid")
    func clusterIPNone() {
        #expect(errors(service(["type": "NodePort", "clusterIP": "None", "ports": [["port": 80]]]), Resources.services) == [
            #"spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services"#
        ])
        #expect(errors(service(["clusterIP": "10.96.0.300", "ports": [["port": 80]]]), Resources.services) == [
            #"spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#
        ])
    }

    @Test("ExternalName Services need an externalName")
    func externalName() {
        #expect(errors(service(["type": "ExternalName"]), Resources.services) == ["spec.externalName: Required value"])
    }

    @Test("ClientIP affinity timeout is 1..86400")
    func affinityTimeout() {
        let s = service(["ports": [["port": 80]], "sessionAffinity": "ClientIP", "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 0]]])
        #expect(errors(s, Resources.services) == [
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"
        ])
    }

    @Test("externalTrafficPolicy is only for externally reachable Services")
    func externalTrafficPolicy() {
        #expect(errors(service(["ports": [["port": 80]], "externalTrafficPolicy": "Local"]), Resources.services) == [
            #"spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services"#
        ])
    }

    @Test("a Service's cluster IP cannot change once set")
    func clusterIPImmutable() {
        let old = service(["ports": [["port": 80]], "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"]])
        let new = service(["ports": [["port": 80]], "clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.6"]])
        #expect(errors(new, Resources.services, old: old) == [
            #"spec.clusterIPs[0]: Invalid value: []string{"10.96.0.6"}: may not change once set"#
        ])
    }

    @Test("Service selectors are label maps")
    func serviceSelector() {
        let e = errors(service(["ports": [["port": 80]], "selector": ["app": "a b"]]), Resources.services)
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix(#"spec.selector: Invalid value: "a b": a valid label must be"#) == true)
    }

    @Test("ConfigMap keys must be config keys")
    func configMapKeys() {
        let cm: JSONValue = ["metadata": ["name": "c", "namespace": "default"], "data": ["ok.key": "1", "bad key": "2", "..x": "3"]]
        #expect(errors(cm, Resources.configMaps) == [
            #"data[..x]: Invalid value: "..x": must not start with '..'"#,
            #"data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#,
        ])
    }

    @Test("an immutable ConfigMap's data cannot change")
    func immutableConfigMap() {
        let old: JSONValue = ["metadata": ["name": "c", "namespace": "default"], "immutable": true, "data": ["a": "1"]]
        var new = old
        new.set("data.a", "2")
        #expect(errors(new, Resources.configMaps, old: old) == ["data: Forbidden: field is immutable when `immutable` is set"])
    }

    @Test("EndpointSlice addressType must be supported and addresses must match it")
    func endpointSlice() {
        let s: JSONValue = [
            "metadata": ["name": "s", "namespace": "default"], "addressType": "IPv5",
            "endpoints": [["addresses": []]],
        ]
        #expect(errors(s, Resources.endpointSlices) == [
            #"addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6""#,
            "endpoints[0].addresses: Required value: must contain at least 1 address",
        ])
        let v4: JSONValue = ["metadata": ["name": "s", "namespace": "default"], "addressType": "IPv4", "endpoints": [["addresses": ["10.244.0.300"]]]]
        #expect(errors(v4, Resources.endpointSlices) == [#"endpoints[0].addresses[0]: Invalid value: "10.244.0.300": must be a valid IPv4 address"#])
    }

    @Test("NetworkPolicy ports and ipBlocks are checked")
    func networkPolicy() {
        let np: JSONValue = [
            "metadata": ["name": "n", "namespace": "default"],
            "spec": [
                "podSelector": [:],
                "ingress": [[
                    "from": [["ipBlock": ["cidr": "10.0.0.0/33"]], ["ipBlock": ["cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]]], [:]],
                    "ports": [["port": 70000], ["port": "http", "endPort": 90], ["protocol": "ICMP", "port": 80]],
                ]],
            ],
        ]
        #expect(errors(np, Resources.networkPolicies) == [
            "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.ingress[0].ports[1].endPort: Forbidden: may not be specified when `port` is non-numeric",
            #"spec.ingress[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP""#,
            #"spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#,
            #"spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`"#,
            "spec.ingress[0].from[2]: Required value: must specify a peer",
        ])
    }

    @Test("Ingress paths need a pathType, and Exact/Prefix paths must be absolute")
    func ingress() {
        let ing: JSONValue = [
            "metadata": ["name": "i", "namespace": "default"],
            "spec": ["rules": [["host": "example.com", "http": ["paths": [
                ["path": "/", "backend": ["service": ["name": "web", "port": ["number": 80]]]],
                ["path": "api", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["number": 80]]]],
                ["path": "/x", "pathType": "Exact", "backend": ["service": ["name": "web", "port": ["name": "http", "number": 80]]]],
            ]]]]],
        ]
        #expect(errors(ing, Resources.ingresses) == [
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
            #"spec.rules[0].http.paths[1].path: Invalid value: "api": must be an absolute path"#,
            #"spec.rules[0].http.paths[2].backend: Invalid value: "": cannot set both port name & port number"#,
        ])
    }

    @Test("RoleBinding roleRef and subjects are checked")
    func roleBinding() {
        let rb: JSONValue = [
            "metadata": ["name": "rb", "namespace": "default"],
            "roleRef": ["kind": "Thing", "name": "r"],
            "subjects": [["kind": "Robot", "name": "x"]],
        ]
        #expect(errors(rb, Resources.roleBindings) == [
            #"roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole""#,
            #"subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group""#,
        ])
    }

    @Test("Scale replicas cannot be negative")
    func scale() {
        #expect(Validation.validate(["metadata": ["name": "w", "namespace": "default"], "spec": ["replicas": -2]], resource: Resources.scale, old: nil)
            .map(\.description) == ["spec.replicas: Invalid value: -2: must be greater than or equal to 0"])
    }
}
