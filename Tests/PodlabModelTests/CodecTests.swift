import Testing

@testable import PodlabModel

@Suite("Object codec")
struct CodecTests {
    func normalize(_ body: JSONValue, _ r: ResourceInfo, _ mode: FieldValidationMode = .strict) throws -> (
        object: JSONValue, warnings: [String]
    ) {
        try ObjectCodec.normalize(body, resource: r, mode: mode)
    }

    func statusError(_ body: JSONValue, _ r: ResourceInfo, _ mode: FieldValidationMode = .strict) -> StatusError? {
        #expect(throws: StatusError.self) { try normalize(body, r, mode) }
    }

    @Test("the seed manifests pass strict decoding unchanged")
    func seeds() throws {
        for (text, r) in [
            (SeedManifests.myNginxDeployment, Resources.deployments),
            (SeedManifests.demoServerDeployment, Resources.deployments),
            (SeedManifests.fetcherService, Resources.services),
        ] {
            let input = try SeedManifests.json(text)
            let (out, warnings) = try normalize(input, r)
            #expect(out == input)
            #expect(warnings.isEmpty)
        }
    }

    @Test("strict mode rejects unknown fields with kube-apiserver's wording, all of them")
    func strictUnknown() throws {
        var d = try SeedManifests.json(SeedManifests.myNginxDeployment)
        d.set("spec.foo", 1)
        d.set("spec.bar", ["x": 1])
        let e = try #require(statusError(d, Resources.deployments))
        #expect(e.code == 400)
        #expect(e.reason == "BadRequest")
        #expect(
            e.message
                == #"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bar", unknown field "spec.foo""#
        )
    }

    @Test("unknown fields deep inside a pod template are named by their full path")
    func nestedUnknown() throws {
        let d = try SeedManifests.json(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"},{"name":"d","image":"nginx","foo":true,"ports":[{"containerPort":80,"contianerPort":81}]}]}}}}"#
        )
        let e = try #require(statusError(d, Resources.deployments))
        #expect(e.message.hasSuffix(
            #"strict decoding error: unknown field "spec.template.spec.containers[1].foo", unknown field "spec.template.spec.containers[1].ports[0].contianerPort""#
        ))
    }

    @Test("warn mode drops unknown fields and returns one warning per field")
    func warnMode() throws {
        var d = try SeedManifests.json(SeedManifests.fetcherService)
        d.set("spec.foo", "x")
        d.set("status.bar", 1)
        let (out, warnings) = try normalize(d, Resources.services, .warn)
        #expect(warnings == [#"unknown field "spec.foo""#, #"unknown field "status.bar""#])
        #expect(out.at("spec.foo").isNull)
        #expect(out.at("spec.type") == "LoadBalancer")
    }

    @Test("ignore mode drops unknown fields silently")
    func ignoreMode() throws {
        var d = try SeedManifests.json(SeedManifests.fetcherService)
        d["extra"] = "x"
        let (out, warnings) = try normalize(d, Resources.services, .ignore)
        #expect(warnings.isEmpty)
        #expect(out["extra"].isNull)
        #expect(out.at("metadata.name") == "minikube-demo-server-fetcher-service")
    }

    @Test("null members, label keys and kept-as-given structures are not unknown fields")
    func notUnknown() throws {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "p", "labels": ["any.key/x": "y"], "annotations": ["a": "b"], "creationTimestamp": nil],
            "spec": [
                "containers": [["name": "c", "image": "nginx", "securityContext": ["privileged": true], "resources": [:]]],
                "affinity": ["nodeAffinity": ["whatever": [1, 2]]],
                "volumes": [],
                "nodeSelector": nil,
            ],
        ]
        let (out, _) = try normalize(pod, Resources.pods)
        #expect(out.at("spec.affinity") == ["nodeAffinity": ["whatever": [1, 2]]])
        #expect(out.at("spec.volumes") == [])
        #expect(out["spec"]["containers"][0]["resources"] == [:])
    }

    @Test("a type error names the field path, kube-apiserver style")
    func typeError() throws {
        let svc: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "s"], "spec": ["ports": [["port": "80"]]]]
        let e = try #require(statusError(svc, Resources.services))
        #expect(e.code == 400)
        #expect(e.message == #"Service in version "v1" cannot be handled as a Service: spec.ports[0].port: expected integer, got string"#)
    }

    @Test("a missing apiVersion, kind and metadata are filled in from the endpoint")
    func fillsTypeMeta() throws {
        let (out, _) = try normalize(["spec": ["replicas": 1]], Resources.replicaSets)
        #expect(out["apiVersion"] == "apps/v1")
        #expect(out["kind"] == "ReplicaSet")
        #expect(out["metadata"] == [:])
    }

    @Test("the same kind in another API version is refused with upstream's message")
    func apiVersionMismatch() throws {
        let e = try #require(statusError(["apiVersion": "apps/v1beta1", "kind": "Deployment"], Resources.deployments))
        #expect(e.message == "the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)")
    }

    @Test("another kind is refused as an unknown conversion, or an unregistered kind")
    func kindMismatch() throws {
        let e = try #require(statusError(["apiVersion": "apps/v1", "kind": "Deployment"], Resources.services))
        #expect(e.message == #"Deployment in version "v1" cannot be handled as a Service: converting (v1.Deployment) to (core.Service): unknown conversion"#)
        let e2 = try #require(statusError(["apiVersion": "v1", "kind": "Deployment"], Resources.services))
        #expect(e2.message.hasPrefix(#"Deployment in version "v1" cannot be handled as a Service: no kind "Deployment" is registered for version "v1""#))
    }

    @Test("a body that is not an object is refused as unrecognized")
    func notAnObject() throws {
        let e = try #require(statusError([1, 2], Resources.pods))
        #expect(e.code == 400)
        #expect(e.message.hasPrefix("the object provided is unrecognized (must be of type Pod): couldn't get version/kind"))
    }

    @Test("a numeric resource quantity is accepted and stored as text")
    func quantity() throws {
        let pod: JSONValue = [
            "metadata": ["name": "p"],
            "spec": ["containers": [["name": "c", "image": "nginx", "resources": ["limits": ["cpu": 1]]]]],
        ]
        let (out, warnings) = try normalize(pod, Resources.pods)
        #expect(warnings.isEmpty)
        #expect(out["spec"]["containers"][0].at("resources.limits.cpu") == "1")
    }

    @Test("Scale bodies decode against the autoscaling/v1 Scale resource")
    func scale() throws {
        let (out, _) = try normalize(
            ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": "web"], "spec": ["replicas": 3]],
            Resources.scale)
        #expect(out.at("spec.replicas") == 3)
    }
}
