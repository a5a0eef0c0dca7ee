import Foundation
import NIOHTTP1
import PodlabModel
import PodlabStore
import Testing

@testable import PodlabAPI

/// The REST surface, driven in-process with an in-memory store: no network, no root.
@Suite("Kubernetes REST handlers")
struct KubeAPITests {
    let store: ClusterStore
    let api: KubeAPI

    init() async throws {
        store = try ClusterStore(directory: nil)
        api = KubeAPI(store: store, network: ServiceNetworkConfig())
        for ns in ["default", "web"] {
            _ = try await store.create(Resources.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        }
    }

    func call(
        _ method: HTTPMethod, _ uri: String, _ body: JSONValue? = nil, contentType: String = "application/json",
        accept: String = "application/json"
    ) async -> (code: UInt, body: JSONValue, headers: [(String, String)]) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "accept", value: accept)
        let request = APIRequest(method: method, uri: uri, headers: headers, body: body?.serialized() ?? [])
        switch await api.handle(request) {
        case .json(let status, let value, let extra): return (status.code, value, extra)
        case .text(let status, let text): return (status.code, .string(text), [])
        case .bytes(let status, _, _): return (status.code, .null, [])
        case .stream: return (200, .null, [])
        }
    }

    static let service: JSONValue = [
        "apiVersion": "v1", "kind": "Service", "metadata": ["name": "httpenv"],
        "spec": ["selector": ["app": "httpenv"], "ports": [["port": 8888]], "type": "NodePort"],
    ]

    @Test("paths parse as kube-apiserver lays them out")
    func routes() {
        #expect(Route.parse("/version") == .version)
        #expect(Route.parse("/apis/apps/v1") == .resourceList(group: "apps", version: "v1"))
        guard case .resource(let t) = Route.parse("/apis/apps/v1/namespaces/web/deployments/x/scale") else {
            Issue.record("not a resource")
            return
        }
        #expect(t.resource == Resources.deployments && t.namespace == "web" && t.name == "x" && t.subresource == "scale")
        guard case .resource(let ns) = Route.parse("/api/v1/namespaces/web") else {
            Issue.record("namespace object not parsed")
            return
        }
        #expect(ns.resource == Resources.namespaces && ns.name == "web" && ns.namespace == nil)
        #expect(Route.parse("/api/v1/namespaces/web/widgets") == .notFound)
        #expect(Route.parse("/apis/apps/v1/namespaces/web/deployments/x/exec") == .notFound)
    }

    @Test("/version reports minor 31 so the kubectl dispatcher runs kubectl 1.31")
    func version() async {
        let r = await call(.GET, "/version")
        #expect(r.code == 200 && r.body["major"] == "1" && r.body["minor"] == "31")
    }

    @Test("discovery lists short names and the all category")
    func discovery() async {
        let r = await call(.GET, "/apis/apps/v1")
        let deploy = r.body["resources"].array?.first { $0["name"] == "deployments" }
        #expect(deploy?["shortNames"] == ["deploy"] && deploy?["categories"] == ["all"])
        let groups = await call(.GET, "/apis").body["groups"].array?.compactMap { $0["name"].string } ?? []
        #expect(groups.contains("networking.k8s.io") && groups.contains("rbac.authorization.k8s.io"))
    }

    @Test("create assigns a ClusterIP and NodePort and answers 201 with the whole object")
    func createService() async {
        let r = await call(.POST, "/api/v1/namespaces/web/services?fieldManager=kubectl-expose", Self.service)
        #expect(r.code == 201)
        #expect(r.body.at("spec.clusterIP").string?.hasPrefix("10.") == true)
        let nodePort = r.body["spec"]["ports"][0]["nodePort"].int ?? 0
        #expect((30000...32767).contains(nodePort))
        #expect(r.body["spec"]["ports"][0]["targetPort"] == 8888)
        #expect(r.body.at("metadata.namespace") == "web" && r.body.at("metadata.uid").string != nil)
    }

    @Test("an invalid object is 422 with the field path, and nothing is stored")
    func invalid() async {
        var bad = Self.service
        bad.set("spec.ports", [["port": 70000]])
        let r = await call(.POST, "/api/v1/namespaces/web/services", bad)
        #expect(r.code == 422 && r.body["reason"] == "Invalid")
        #expect(r.body["message"].string?.contains("spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive") == true)
        #expect(await call(.GET, "/api/v1/namespaces/web/services/httpenv").code == 404)
    }

    @Test("strict field validation refuses unknown fields; warn keeps them out with a Warning header")
    func unknownFields() async {
        var body = Self.service
        body.set("spec.bogus", true)
        let strict = await call(.POST, "/api/v1/namespaces/web/services?fieldValidation=Strict", body)
        #expect(strict.code == 400)
        #expect(strict.body["message"].string?.contains(#"strict decoding error: unknown field "spec.bogus""#) == true)
        let warn = await call(.POST, "/api/v1/namespaces/web/services?fieldValidation=Warn", body)
        #expect(warn.code == 201 && warn.body.at("spec.bogus").isNull)
        #expect(warn.headers.contains { $0.0 == "Warning" && $0.1.contains("unknown field") })
    }

    @Test("merge patch labels, strategic merge patch edits ports, a stale resourceVersion conflicts")
    func patches() async {
        _ = await call(.POST, "/api/v1/namespaces/web/services", Self.service)
        let labeled = await call(
            .PATCH, "/api/v1/namespaces/web/services/httpenv", ["metadata": ["labels": ["color": "blue"]]],
            contentType: "application/merge-patch+json")
        #expect(labeled.code == 200 && labeled.body.at("metadata.labels.color") == "blue")
        let edited = await call(
            .PATCH, "/api/v1/namespaces/web/services/httpenv",
            ["spec": ["$setElementOrder/ports": [["port": 9999]], "ports": [["port": 9999, "targetPort": 8888], ["$patch": "delete", "port": 8888]]]],
            contentType: "application/strategic-merge-patch+json")
        #expect(edited.code == 200)
        #expect(edited.body["spec"]["ports"].array?.count == 1 && edited.body["spec"]["ports"][0]["port"] == 9999)
        let stale = await call(
            .PATCH, "/api/v1/namespaces/web/services/httpenv", ["metadata": ["resourceVersion": "1", "labels": ["x": "y"]]],
            contentType: "application/merge-patch+json")
        #expect(stale.code == 409 && stale.body["reason"] == "Conflict")
    }

    @Test("list answers a Table when kubectl asks for one, with limit and continue")
    func tables() async {
        for i in 0..<3 {
            var s = Self.service
            s.set("metadata.name", .string("svc\(i)"))
            s.set("spec.type", "ClusterIP")
            _ = await call(.POST, "/api/v1/namespaces/web/services", s)
        }
        let table = await call(
            .GET, "/api/v1/namespaces/web/services?limit=2",
            accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
        #expect(table.body["kind"] == "Table")
        #expect(table.body["rows"].array?.count == 2)
        let token = table.body.at("metadata.continue").string ?? ""
        #expect(!token.isEmpty)
        let next = await call(.GET, "/api/v1/namespaces/web/services?limit=2&continue=\(token)")
        #expect(next.body["items"].array?.compactMap { $0.at("metadata.name").string } == ["svc2"])
    }

    @Test("selectors filter lists; a bad selector is 400 with kube-apiserver's message")
    func selectors() async {
        _ = await call(.POST, "/api/v1/namespaces/web/services", Self.service)
        let hit = await call(.GET, "/api/v1/namespaces/web/services?fieldSelector=metadata.name%3Dhttpenv")
        #expect(hit.body["items"].array?.count == 1)
        let miss = await call(.GET, "/api/v1/namespaces/web/services?labelSelector=app%3Dnone")
        #expect(miss.body["items"].array?.isEmpty == true)
        let bad = await call(.GET, "/api/v1/namespaces/web/services?fieldSelector=spec.bogus%3Dx")
        #expect(bad.code == 400)
    }

    @Test("scale reads and patches a Deployment through autoscaling/v1 Scale")
    func scale() async {
        let deploy: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "nginx", "image": "nginx"]]]],
            ],
        ]
        #expect(await call(.POST, "/apis/apps/v1/namespaces/web/deployments", deploy).code == 201)
        let s = await call(
            .PATCH, "/apis/apps/v1/namespaces/web/deployments/web/scale", ["spec": ["replicas": 5]],
            contentType: "application/merge-patch+json")
        #expect(s.code == 200 && s.body["kind"] == "Scale" && s.body.at("spec.replicas") == 5)
        #expect(s.body.at("status.selector") == "app=web")
        let negative = await call(
            .PATCH, "/apis/apps/v1/namespaces/web/deployments/web/scale", ["spec": ["replicas": -1]],
            contentType: "application/merge-patch+json")
        #expect(negative.code == 422)
        #expect(await call(.GET, "/apis/apps/v1/namespaces/web/deployments/web").body.at("spec.replicas") == 5)
    }

    @Test("protected namespaces cannot be deleted; others go Terminating")
    func namespaceDelete() async {
        let d = await call(.DELETE, "/api/v1/namespaces/default")
        #expect(d.code == 403)
        let w = await call(.DELETE, "/api/v1/namespaces/web")
        #expect(w.code == 200 && w.body.at("status.phase") == "Terminating")
    }

    @Test("self access reviews allow everything: podlab has one admin user")
    func canI() async {
        let r = await call(
            .POST, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": ["resourceAttributes": ["verb": "create", "resource": "pods"]]])
        #expect(r.code == 201 && r.body.at("status.allowed") == true)
    }

    @Test("exec and logs answer 503 naming what is missing until node agents exist")
    func streamsUnavailable() async {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
            "spec": ["containers": [["name": "c", "image": "nginx"]]],
        ]
        #expect(await call(.POST, "/api/v1/namespaces/web/pods", pod).code == 201)
        let r = await call(.GET, "/api/v1/namespaces/web/pods/p/log")
        #expect(r.code == 503 && r.body["message"].string?.contains("node agent") == true)
    }

    @Test("a filtered watch sends an object entering its selector as ADDED and one leaving it as DELETED")
    func selectorTransitions() {
        let blue: JSONValue = ["metadata": ["name": "p", "labels": ["color": "blue"]]]
        let red: JSONValue = ["metadata": ["name": "p", "labels": ["color": "red"]]]
        let isBlue: (JSONValue) -> Bool = { $0.at("metadata.labels.color") == "blue" }
        func event(_ object: JSONValue, previous: JSONValue?) -> WatchEvent {
            WatchEvent(kind: .modified, resource: Resources.pods, object: object, resourceVersion: 2, previous: previous)
        }
        #expect(KubeAPI.filtered(event(blue, previous: red), keep: isBlue) == "ADDED")
        #expect(KubeAPI.filtered(event(red, previous: blue), keep: isBlue) == "DELETED")
        #expect(KubeAPI.filtered(event(blue, previous: blue), keep: isBlue) == "MODIFIED")
        #expect(KubeAPI.filtered(event(red, previous: red), keep: isBlue) == nil)
        // Without the previous state (a replayed event), only the new state decides.
        #expect(KubeAPI.filtered(event(red, previous: nil), keep: isBlue) == nil)
    }

    @Test("sendInitialEvents=true (kubectl 1.37's delete wait) sends the state, then the initial-events-end bookmark")
    func watchList() async throws {
        for name in ["a", "b"] {
            _ = try await store.create(
                Resources.pods,
                ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "web"],
                 "spec": ["containers": [["name": "c", "image": "nginx"]]]])
        }
        let base = "/api/v1/namespaces/web/pods?watch=true&fieldSelector=metadata.name%3Db&sendInitialEvents=true"
        var headers = HTTPHeaders()
        headers.add(name: "accept", value: "application/json")
        let request = APIRequest(
            method: .GET, uri: base + "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1",
            headers: headers, body: [])
        guard case .stream(let stream) = await api.handle(request) else {
            Issue.record("not a watch stream")
            return
        }
        var sent: [JSONValue] = []
        for await event in stream.events {
            if let frame = stream.transform(event) { sent.append(frame) }
            if sent.count == 2 { break }
        }
        #expect(sent.first?["type"] == "ADDED" && sent.first?.at("object.metadata.name") == "b")
        #expect(sent.last?["type"] == "BOOKMARK")
        #expect(sent.last?.at("object.metadata.annotations").object?["k8s.io/initial-events-end"] == "true")
        #expect(sent.last?.at("object.metadata.resourceVersion").string == String(await store.currentResourceVersion))

        // Upstream's rules: bookmarks must be allowed and the match must be NotOlderThan.
        let noBookmarks = await call(.GET, base + "&resourceVersionMatch=NotOlderThan")
        #expect(noBookmarks.code == 422 && noBookmarks.body["message"].string?.contains("allowWatchBookmarks") == true)
        let noMatch = await call(.GET, base + "&allowWatchBookmarks=true")
        #expect(noMatch.code == 422 && noMatch.body["message"].string?.contains("resourceVersionMatch") == true)
    }
}
