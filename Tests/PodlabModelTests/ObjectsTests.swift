import Testing

@testable import PodlabModel

/// Manifests from the seed tutorials (/work/shared/seeds), converted from YAML to JSON as written.
enum SeedManifests {
    /// Seed 000: run-my-nginx.yaml.
    static let myNginxDeployment = #"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "my-nginx", "namespace": "my-nginx"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"run": "my-nginx"}}, "template": {"metadata": {"labels": {"run": "my-nginx"}}, "spec": {"containers": [{"image": "nginx", "name": "my-nginx", "ports": [{"containerPort": 80}]}]}}}}"#
    /// Seed 001: minikube-demo-server-deployment.yaml.
    static let demoServerDeployment = #"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"labels": {"app": "minikube-demo-server"}, "name": "minikube-demo-server-deployment"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "minikube-demo-server"}}, "template": {"metadata": {"labels": {"app": "minikube-demo-server"}}, "spec": {"containers": [{"image": "minikube-demo-server:1.0", "imagePullPolicy": "Never", "name": "minikube-demo-server", "ports": [{"containerPort": 8000}]}]}}}}"#
    /// Seed 001: minikube-demo-server-fetcher-service.yaml.
    static let fetcherService = #"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "minikube-demo-server-fetcher-service"}, "spec": {"ports": [{"port": 8000, "protocol": "TCP", "targetPort": 8000}], "selector": {"app": "minikube-demo-server-fetcher"}, "type": "LoadBalancer"}}"#

    static func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }
}

@Suite("Typed objects")
struct ObjectsTests {
    @Test("seed 000's Deployment decodes into the typed struct")
    func seedDeployment() throws {
        let d = try SeedManifests.json(SeedManifests.myNginxDeployment).decode(as: Deployment.self)
        #expect(d.metadata.name == "my-nginx")
        #expect(d.metadata.namespace == "my-nginx")
        #expect(d.spec?.replicas == 2)
        #expect(d.spec?.selector?.matchLabels == ["run": "my-nginx"])
        let c = try #require(d.spec?.template?.spec?.containers?.first)
        #expect(c.name == "my-nginx")
        #expect(c.image == "nginx")
        #expect(c.ports?.first?.containerPort == 80)
        #expect(c.ports?.first?.protocol == nil)
    }

    @Test("seed 001's LoadBalancer Service decodes with an integer targetPort")
    func seedService() throws {
        let s = try SeedManifests.json(SeedManifests.fetcherService).decode(as: Service.self)
        #expect(s.spec?.type == "LoadBalancer")
        #expect(s.spec?.ports?.first?.targetPort == .int(8000))
        #expect(s.spec?.ports?.first?.protocol == "TCP")
        #expect(s.spec?.selector == ["app": "minikube-demo-server-fetcher"])
    }

    @Test("IntOrString decodes numbers and strings and encodes them back unchanged")
    func intOrString() throws {
        let v: JSONValue = ["a": 8080, "b": "http", "c": "25%"]
        struct T: Codable { var a: IntOrString; var b: IntOrString; var c: IntOrString }
        let t = try v.decode(as: T.self)
        #expect(t.a == .int(8080))
        #expect(t.b == .string("http"))
        #expect(t.c.stringValue == "25%")
        #expect(try JSONValue(encoding: t) == v)
    }

    @Test("IntOrString rejects a boolean, naming the field and what was found")
    func intOrStringRejectsBool() throws {
        let v: JSONValue = ["metadata": [:], "spec": ["ports": [["port": 80, "targetPort": true]]]]
        let error = #expect(throws: FieldTypeError.self) { try v.decode(as: Service.self) }
        #expect(error?.description == "spec.ports[0].targetPort: expected integer or string, got boolean")
    }

    @Test("a Quantity written as a YAML number is kept as text")
    func quantityNumber() throws {
        let v: JSONValue = ["limits": ["cpu": 1, "memory": "128Mi"]]
        let r = try v.decode(as: ResourceRequirements.self)
        #expect(r.limits?["cpu"]?.text == "1")
        #expect(try JSONValue(encoding: r)["limits"]["cpu"] == "1")
    }

    @Test("unset optional fields are left out when encoding")
    func omitsNil() throws {
        let pod = Pod(metadata: ObjectMeta(name: "web"), spec: PodSpec(containers: [Container(name: "c", image: "nginx")]))
        let json = try JSONValue(encoding: pod)
        #expect(json == ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web"], "spec": ["containers": [["name": "c", "image": "nginx"]]]])
    }

    @Test("every served resource has its typed struct, and Scale has one too")
    func lookup() {
        for r in Resources.all + [Resources.scale] {
            #expect(KubeObjects.hasType(for: r), "\(r.kind)")
            #expect(KubeObjects.type(for: r).resource == r, "\(r.kind)")
        }
        #expect(KubeObjects.type(for: Resources.services) is Service.Type)
        #expect(KubeObjects.type(for: Resources.endpointSlices) is EndpointSlice.Type)
        #expect(!KubeObjects.hasType(for: ResourceInfo(group: "example.com", kind: "Widget", plural: "widgets")))
    }

    @Test("the node's kubelet endpoint keeps upstream's capitalised Port member")
    func daemonEndpointPort() throws {
        let v: JSONValue = ["kubeletEndpoint": ["Port": 10250]]
        let d = try v.decode(as: NodeDaemonEndpoints.self)
        #expect(d.kubeletEndpoint?.port == 10250)
        #expect(try JSONValue(encoding: d) == v)
    }

    @Test("a generic object keeps every member it was given")
    func genericObject() throws {
        let v: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": ["size": 3]]
        let g = try v.decode(as: GenericObject.self)
        #expect(g.metadata.name == "w")
        #expect(try JSONValue(encoding: g) == v)
    }
}
