import Foundation
import NIOHTTP1
import PodlabModel
import PodlabStore

/// The Kubernetes REST surface over the store: discovery, CRUD, patch, watch, Tables, subresources.
public struct KubeAPI: APIRequestHandler {
    public let store: ClusterStore
    public let network: ServiceNetworkConfig
    public let clock: @Sendable () -> Date
    /// Where pods/log, pods/exec and pods/attach find containers; nil answers them with 503.
    public let streams: PodStreamsConfig?

    /// `streams` plugs in the node agents' containers (see `PodStreamsConfig`); leave it nil to serve no streams.
    public init(
        store: ClusterStore, network: ServiceNetworkConfig, streams: PodStreamsConfig? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.network = network
        self.streams = streams
        self.clock = clock
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        do {
            return try await route(request)
        } catch let e as StatusError {
            return .error(e)
        } catch {
            return .error(StatusError(code: 500, reason: "InternalError", message: "Internal error occurred: \(error)"))
        }
    }

    func route(_ req: APIRequest) async throws -> APIResponse {
        switch Route.parse(req.path) {
        case .version: return .json(.ok, Discovery.version)
        case .health: return .text(.ok, "ok")
        case .apiVersions: return .json(.ok, Discovery.apiVersions)
        case .apiGroupList: return .json(.ok, Discovery.apiGroupList)
        case .resourceList(let g, let v):
            guard let list = Discovery.resourceList(group: g, version: v) else { throw KubeAPI.pathNotFound }
            return .json(.ok, list)
        case .openAPIRoot: return .json(.ok, Discovery.openAPIRoot)
        case .openAPIDocument(let path):
            guard let doc = Discovery.openAPIDocument(path: path) else { throw KubeAPI.pathNotFound }
            return .json(.ok, doc)
        case .openAPIv2:
            let wantsProtobuf = req.headers[canonicalForm: "accept"].contains { $0.contains("protobuf") }
            let (contentType, body) = Discovery.openAPIv2(protobuf: wantsProtobuf)
            return .bytes(.ok, contentType: contentType, body)
        case .notFound: throw KubeAPI.pathNotFound
        case .review(let kind): return try review(kind, req)
        case .customResourceDefinitions(let name):
            guard req.method == .GET else {
                throw StatusError(
                    code: 405, reason: "MethodNotAllowed",
                    message: "podlab does not support CustomResourceDefinitions: it serves only the built-in kinds")
            }
            if let name {
                throw StatusError(
                    code: 404, reason: "NotFound",
                    message: "customresourcedefinitions.apiextensions.k8s.io \"\(name)\" not found")
            }
            return .json(
                .ok,
                [
                    "kind": "CustomResourceDefinitionList", "apiVersion": "apiextensions.k8s.io/v1",
                    "metadata": ["resourceVersion": .string(String(await store.currentResourceVersion))],
                    "items": [],
                ])
        case .resource(let target): return try await resource(target, req)
        }
    }

    /// kube-apiserver's answer for a path it does not serve.
    static let pathNotFound = StatusError(
        code: 404, reason: "NotFound", message: "the server could not find the requested resource")

    static func methodNotAllowed(_ req: APIRequest) -> StatusError {
        StatusError(
            code: 405, reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource")
    }

    // MARK: - Self reviews: podlab has one admin user, so every check is allowed.

    func review(_ plural: String, _ req: APIRequest) throws -> APIResponse {
        guard req.method == .POST else { throw KubeAPI.methodNotAllowed(req) }
        let kinds = [
            "selfsubjectaccessreviews": ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
            "selfsubjectrulesreviews": ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
            "selfsubjectreviews": ("authentication.k8s.io/v1", "SelfSubjectReview"),
        ]
        guard let (apiVersion, kind) = kinds[plural] else { throw KubeAPI.pathNotFound }
        // The answer does not depend on what was asked, so a body podlab cannot decode (kubectl 1.32+ sends
        // these reviews as protobuf) still gets its answer; a JSON body is echoed back as upstream does.
        var body: JSONValue = (try? parseBody(req)) ?? ["spec": [:]]
        body["apiVersion"] = .string(apiVersion)
        body["kind"] = .string(kind)
        if body["metadata"].isNull { body["metadata"] = [:] }
        switch plural {
        case "selfsubjectaccessreviews":
            body["status"] = [
                "allowed": true,
                "reason": "podlab has a single admin user; RBAC objects are stored but not enforced",
            ]
        case "selfsubjectrulesreviews":
            body["status"] = [
                "resourceRules": [["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]],
                "nonResourceRules": [["verbs": ["*"], "nonResourceURLs": ["*"]]],
                "incomplete": false,
            ]
        case "selfsubjectreviews":
            body["status"] = [
                "userInfo": [
                    "username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"],
                ]
            ]
        default:
            throw KubeAPI.pathNotFound
        }
        return .json(.created, body)
    }

    // MARK: - Resources

    func resource(_ t: ResourceTarget, _ req: APIRequest) async throws -> APIResponse {
        let r = t.resource
        if t.namespace != nil, !r.namespaced { throw KubeAPI.pathNotFound }
        if let sub = t.subresource {
            guard let name = t.name else { throw KubeAPI.pathNotFound }
            return try await subresource(sub, t, name: name, req)
        }
        switch (req.method, t.name) {
        case (.GET, nil):
            if req.query.bool("watch") { return try await watch(t, req) }
            return try await list(t, req)
        case (.POST, nil): return try await create(t, req)
        case (.DELETE, nil): return try await deleteCollection(t, req)
        case (.GET, let name?): return try await get(t, name: name, req)
        case (.PUT, let name?): return try await update(t, name: name, req, part: .main)
        case (.PATCH, let name?): return try await patch(t, name: name, req, part: .main)
        case (.DELETE, let name?): return try await delete(t, name: name, req)
        default: throw KubeAPI.methodNotAllowed(req)
        }
    }

    func subresource(_ sub: String, _ t: ResourceTarget, name: String, _ req: APIRequest) async throws -> APIResponse {
        switch sub {
        case "status":
            switch req.method {
            case .GET: return try await get(t, name: name, req)
            case .PUT: return try await update(t, name: name, req, part: .status)
            case .PATCH: return try await patch(t, name: name, req, part: .status)
            default: throw KubeAPI.methodNotAllowed(req)
            }
        case "scale":
            switch req.method {
            case .GET:
                guard let obj = await store.get(t.resource, namespace: t.namespace, name: name) else {
                    throw StatusError.notFound(t.resource, name)
                }
                return .json(.ok, ScaleSubresource.scale(of: obj, resource: t.resource))
            case .PUT, .PATCH: return try await scale(t, name: name, req)
            default: throw KubeAPI.methodNotAllowed(req)
            }
        case "log", "exec", "attach":
            // With streams configured, the server answers these through `handleStream`; a caller of `handle`
            // gets the same answer when it is a plain one.
            if streams != nil, let answer = await handleStream(req) {
                switch answer {
                case .response(let response): return response
                case .chunked: throw StatusError.badRequest("pods/log with follow=true needs the HTTP server's stream")
                case .webSocket: throw StatusError.badRequest("Upgrade request required")
                }
            }
            // The node agents that run pod processes come with the pods issue; until then nothing runs.
            guard await store.get(t.resource, namespace: t.namespace, name: name) != nil else {
                throw StatusError.notFound(t.resource, name)
            }
            throw StatusError(
                code: 503, reason: "ServiceUnavailable",
                message: "pods/\(sub) is not available: podlab has no node agent running pod processes yet, "
                    + "so pod \"\(name)\" has no container to \(sub == "log" ? "read logs from" : sub)")
        default:
            throw KubeAPI.pathNotFound
        }
    }

    // MARK: - Reads

    func get(_ t: ResourceTarget, name: String, _ req: APIRequest) async throws -> APIResponse {
        guard let obj = await store.get(t.resource, namespace: t.namespace, name: name) else {
            throw StatusError.notFound(t.resource, name)
        }
        if req.wantsTable {
            let table = TablePrinter.table(
                resource: t.resource, objects: [obj], now: clock(), includeObject: includeObject(req),
                resourceVersion: obj.at("metadata.resourceVersion").string)
            return .json(.ok, table)
        }
        return .json(.ok, obj)
    }

    func includeObject(_ req: APIRequest) -> IncludeObject {
        req.query["includeObject"].flatMap(IncludeObject.init(rawValue:)) ?? .metadata
    }

    /// Label and field selectors from the query, parsed with precise errors (400).
    func filters(_ t: ResourceTarget, _ req: APIRequest) throws -> @Sendable (JSONValue) -> Bool {
        let labels: LabelSelectorQuery?
        let fields: FieldSelectorQuery?
        do {
            labels = try req.query["labelSelector"].flatMap { $0.isEmpty ? nil : try LabelSelectorQuery(parsing: $0) }
            fields = try req.query["fieldSelector"].flatMap {
                $0.isEmpty ? nil : try FieldSelectorQuery(parsing: $0, resource: t.resource)
            }
        } catch let e as SelectorError {
            throw StatusError.badRequest(e.message)
        }
        let r = t.resource
        return { obj in
            if let labels, !labels.matches(obj.at("metadata.labels").stringMap ?? [:]) { return false }
            if let fields, !fields.matches(obj, resource: r) { return false }
            return true
        }
    }

    func list(_ t: ResourceTarget, _ req: APIRequest) async throws -> APIResponse {
        let keep = try filters(t, req)
        let (all, rv) = await store.list(t.resource, namespace: t.namespace)
        var items = all.filter(keep)
        var continueToken: String?
        var remaining: Int?
        if let start = req.query["continue"], !start.isEmpty {
            guard let key = ContinueToken.decode(start) else {
                throw StatusError.badRequest("invalid continue token: \(start)")
            }
            items = items.filter { ContinueToken.key(of: $0) > key }
        }
        if let limit = req.query["limit"].flatMap(Int.init), limit > 0, items.count > limit {
            remaining = items.count - limit
            items = Array(items.prefix(limit))
            continueToken = items.last.map { ContinueToken.encode(ContinueToken.key(of: $0)) }
        }
        let rvText = String(rv)
        if req.wantsTable {
            return .json(
                .ok,
                TablePrinter.table(
                    resource: t.resource, objects: items, now: clock(), includeObject: includeObject(req),
                    resourceVersion: rvText, continueToken: continueToken, remainingItemCount: remaining))
        }
        var meta: JSONValue = ["resourceVersion": .string(rvText)]
        if let continueToken { meta["continue"] = .string(continueToken) }
        if let remaining { meta["remainingItemCount"] = .int(Int64(remaining)) }
        return .json(
            .ok,
            [
                "kind": .string("\(t.resource.kind)List"), "apiVersion": .string(t.resource.apiVersion),
                "metadata": meta, "items": .array(items),
            ])
    }

    // MARK: - Watch

    func watch(_ t: ResourceTarget, _ req: APIRequest) async throws -> APIResponse {
        let keep = try filters(t, req)
        let r = t.resource
        let asTable = req.wantsTable
        let includeObj = includeObject(req)
        let bookmarks = req.query.bool("allowWatchBookmarks")
        let timeout = req.query["timeoutSeconds"].flatMap(Double.init)
        let rvParam = req.query["resourceVersion"] ?? ""
        let events: AsyncStream<WatchEvent>
        if req.query.bool("sendInitialEvents") {
            // client-go's WatchList: the current state as ADDED events, then a bookmark saying they are all there.
            // Upstream's rules for the parameters, with its field names.
            guard bookmarks else {
                throw KubeAPI.invalidListOptions("allowWatchBookmarks: Forbidden: sendInitialEvents requires allowWatchBookmarks=true")
            }
            guard req.query["resourceVersionMatch"] == "NotOlderThan" else {
                throw KubeAPI.invalidListOptions(
                    "resourceVersionMatch: Forbidden: sendInitialEvents requires resourceVersionMatch=NotOlderThan")
            }
            if !rvParam.isEmpty, Int64(rvParam) == nil {
                throw StatusError.badRequest("invalid resourceVersion \"\(rvParam)\": must be an integer")
            }
            events = try await store.watch(r, namespace: t.namespace, from: nil, initialEvents: true, endBookmark: true)
        } else if rvParam.isEmpty || rvParam == "0" {
            // "Start at any point": the current state as ADDED events, then what follows (one atomic step).
            events = try await store.watch(r, namespace: t.namespace, from: nil, initialEvents: true)
        } else {
            guard let v = Int64(rvParam) else {
                throw StatusError.badRequest("invalid resourceVersion \"\(rvParam)\": must be an integer")
            }
            events = try await store.watch(r, namespace: t.namespace, from: v)
        }
        let clock = self.clock
        let encode: @Sendable (String, JSONValue) -> JSONValue = { type, obj in
            guard asTable else { return ["type": .string(type), "object": obj] }
            let table = TablePrinter.table(
                resource: r, objects: [obj], now: clock(), includeObject: includeObj,
                resourceVersion: obj.at("metadata.resourceVersion").string)
            return ["type": .string(type), "object": table]
        }
        return .stream(
            WatchStream(
                initial: [], events: events,
                timeout: timeout.map { .milliseconds(Int64($0 * 1000)) },
                transform: { event in
                    if event.kind == .bookmark {
                        guard bookmarks else { return nil }
                        var mark = KubeAPI.bookmark(r, event.resourceVersion)
                        if let annotations = event.object.at("metadata.annotations").object, !annotations.isEmpty {
                            mark["metadata"]["annotations"] = event.object.at("metadata.annotations")
                        }
                        return encode("BOOKMARK", mark)
                    }
                    return KubeAPI.filtered(event, keep: keep).map { encode($0, event.object) }
                }))
    }

    /// The event type a filtered watch sends for `event`, or nil to send nothing. As kube-apiserver does, an
    /// object modified into the selector is ADDED and one modified out of it is DELETED (with its new state).
    static func filtered(_ event: WatchEvent, keep: (JSONValue) -> Bool) -> String? {
        let now = keep(event.object)
        guard event.kind == .modified, let previous = event.previous else {
            return now ? event.kind.rawValue : nil
        }
        switch (keep(previous), now) {
        case (true, true): return "MODIFIED"
        case (false, true): return "ADDED"
        case (true, false): return "DELETED"
        case (false, false): return nil
        }
    }

    /// Bad watch parameters, as kube-apiserver reports them: 422 for the kind ListOptions in meta.k8s.io.
    static func invalidListOptions(_ detail: String) -> StatusError {
        StatusError(code: 422, reason: "Invalid", message: "ListOptions.meta.k8s.io \"\" is invalid: \(detail)")
    }

    static func bookmark(_ r: ResourceInfo, _ rv: Int64) -> JSONValue {
        [
            "kind": .string(r.kind), "apiVersion": .string(r.apiVersion),
            "metadata": ["resourceVersion": .string(String(rv))],
        ]
    }
}

/// Continue tokens: the last key of the previous page, base64 so it is opaque to clients as upstream's are.
enum ContinueToken {
    static func key(of obj: JSONValue) -> String {
        (obj.at("metadata.namespace").string ?? "") + "/" + (obj.at("metadata.name").string ?? "")
    }
    static func encode(_ key: String) -> String { Data(key.utf8).base64EncodedString() }
    static func decode(_ token: String) -> String? {
        Data(base64Encoded: token).flatMap { String(data: $0, encoding: .utf8) }
    }
}
