import Foundation
import NIOHTTP1
import PodlabModel
import PodlabStore

extension ClusterStore {
    /// Runs `body` on the store's actor: everything it does (reads, allocation, the write) happens with no
    /// other request in between, so two Services can never be given the same ClusterIP or NodePort.
    func transact<T: Sendable>(_ body: @Sendable (isolated ClusterStore) throws -> T) throws -> T {
        try body(self)
    }
}

/// Which part of an object a write may change: the main resource ignores `status`, the status subresource
/// changes only `status` (kube-apiserver's PrepareForUpdate / status strategies).
enum WritePart: Sendable { case main, status }

extension KubeAPI {
    /// Resources whose `status` is written only through the status subresource.
    static func hasStatusSubresource(_ r: ResourceInfo) -> Bool { r.subresources.contains("status") }

    // MARK: - Bodies and options

    /// Decodes a request body: JSON, or Kubernetes protobuf as kubectl 1.32+ sends for `create <generator>`.
    func parseBody(_ req: APIRequest) throws -> JSONValue {
        guard !req.body.isEmpty else {
            throw StatusError.badRequest("the request body is empty: expected a JSON object")
        }
        switch req.contentType {
        case "application/vnd.kubernetes.protobuf":
            do { return try KubeProtobuf.decode(req.body) } catch {
                throw StatusError.badRequest("the protobuf request body could not be decoded: \(error)")
            }
        case "application/json", "application/merge-patch+json", "application/strategic-merge-patch+json",
            "application/json-patch+json", "":
            do { return try JSONValue(parsing: req.body) } catch {
                throw StatusError.badRequest("the request body is not valid JSON: \(error)")
            }
        case "application/apply-patch+yaml":
            throw StatusError(
                code: 415, reason: "UnsupportedMediaType",
                message: "server-side apply (application/apply-patch+yaml) is not supported by podlab; "
                    + "use client-side `kubectl apply` (without --server-side)")
        default:
            throw StatusError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format (\(req.contentType)) - accepted media "
                    + "types include: application/json, application/vnd.kubernetes.protobuf")
        }
    }

    func validationMode(_ req: APIRequest) throws -> FieldValidationMode {
        guard let raw = req.query["fieldValidation"], !raw.isEmpty else { return .warn }
        guard let mode = FieldValidationMode(rawValue: raw) else {
            throw StatusError.badRequest(
                "fieldValidation parameter unsupported: \(raw). Supported values are: Ignore, Warn, Strict")
        }
        return mode
    }

    func isDryRun(_ req: APIRequest) throws -> Bool {
        let values = req.query.all("dryRun")
        for v in values where v != "All" {
            throw StatusError.badRequest("dryRun: Unsupported value: \"\(v)\": supported values: \"All\"")
        }
        return !values.isEmpty
    }

    static func warningHeaders(_ warnings: [String]) -> [(String, String)] {
        warnings.map { w in
            let escaped = w.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return ("Warning", "299 - \"\(escaped)\"")
        }
    }

    // MARK: - The write pipeline (pure; runs inside `transact`)

    /// Decodes, defaults, allocates and validates an object for a write. Throws StatusError; changes nothing.
    static func prepare(
        _ body: JSONValue, resource r: ResourceInfo, namespace: String?, mode: FieldValidationMode,
        old: JSONValue?, part: WritePart, services: [JSONValue], network: ServiceNetworkConfig
    ) throws -> (object: JSONValue, warnings: [String]) {
        var (obj, warnings) = try ObjectCodec.normalize(body, resource: r, mode: mode)
        if r.namespaced {
            let given = obj.at("metadata.namespace").string ?? ""
            if given.isEmpty, let namespace {
                obj.set("metadata.namespace", .string(namespace))
            } else if let namespace, given != namespace {
                throw StatusError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
        } else {
            obj.remove("metadata.namespace")
        }
        if let old {
            obj = merge(new: obj, old: old, resource: r, part: part)
        }
        Defaulting.apply(&obj, resource: r)
        let name = obj.at("metadata.name").string ?? obj.at("metadata.generateName").string ?? ""
        if r == Resources.services {
            var rng = SystemRandomNumberGenerator()
            let others = services.filter {
                !($0.at("metadata.namespace") == obj.at("metadata.namespace")
                    && $0.at("metadata.name") == obj.at("metadata.name"))
            }
            let errors = ServiceAllocation.allocate(&obj, old: old, existing: others, config: network, using: &rng)
            if !errors.isEmpty { throw StatusError.invalid(r, name, errors) }
        }
        let errors = Validation.validate(obj, resource: r, old: old)
        if !errors.isEmpty { throw StatusError.invalid(r, name, errors) }
        return (obj, warnings)
    }

    /// What an update keeps from the stored object: status on the main resource, everything but status on
    /// the status subresource, and always the identity fields the store owns.
    static func merge(new: JSONValue, old: JSONValue, resource r: ResourceInfo, part: WritePart) -> JSONValue {
        var out: JSONValue
        switch part {
        case .main:
            out = new
            if hasStatusSubresource(r) { out["status"] = old["status"] }
        case .status:
            out = old
            out["status"] = new["status"]
            if let rv = new.at("metadata.resourceVersion").string { out.set("metadata.resourceVersion", .string(rv)) }
        }
        for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            out.set("metadata.\(key)", old.at("metadata.\(key)"))
            if out.at("metadata.\(key)").isNull { out.remove("metadata.\(key)") }
        }
        return out
    }

    // MARK: - Create, update, patch

    func create(_ t: ResourceTarget, _ req: APIRequest) async throws -> APIResponse {
        let body = try parseBody(req)
        let mode = try validationMode(req)
        let dryRun = try isDryRun(req)
        let r = t.resource
        let ns = t.namespace
        let network = self.network
        let (obj, warnings) = try await store.transact { store in
            let services = r == Resources.services ? store.list(Resources.services, namespace: nil).items : []
            var (prepared, warnings) = try KubeAPI.prepare(
                body, resource: r, namespace: ns, mode: mode, old: nil, part: .main, services: services,
                network: network)
            if r == Resources.ingresses {
                // The DefaultIngressClass admission plugin: a new Ingress without a class gets the default one.
                IngressClassSelector.admitDefaultClass(
                    &prepared, classes: store.list(Resources.ingressClasses, namespace: nil).items)
            }
            if dryRun { return (prepared, warnings) }
            return (try store.create(r, prepared), warnings)
        }
        return .json(.created, obj, headers: KubeAPI.warningHeaders(warnings))
    }

    func update(_ t: ResourceTarget, name: String, _ req: APIRequest, part: WritePart) async throws -> APIResponse {
        let body = try parseBody(req)
        if let given = body.at("metadata.name").string, given != name {
            throw StatusError.badRequest(
                "the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        return try await replace(t, name: name, req, part: part) { _ in body }
    }

    func patch(_ t: ResourceTarget, name: String, _ req: APIRequest, part: WritePart) async throws -> APIResponse {
        let patchBody = try parseBody(req)
        let contentType = req.contentType
        let r = t.resource
        return try await replace(t, name: name, req, part: part) { old in
            let patched = try KubeAPI.applyPatch(patchBody, contentType: contentType, to: old, resource: r)
            if let given = patched.at("metadata.name").string, given != name {
                throw StatusError.badRequest("metadata.name: Invalid value: \"\(given)\": field is immutable")
            }
            return patched
        }
    }

    /// The shared body of PUT and PATCH, inside the store's actor: read the stored object, make the candidate
    /// from it, refuse a stale resourceVersion (409), run the write pipeline, and store it (unless dry run).
    func replace(
        _ t: ResourceTarget, name: String, _ req: APIRequest, part: WritePart,
        candidate: @escaping @Sendable (JSONValue) throws -> JSONValue
    ) async throws -> APIResponse {
        let mode = try validationMode(req)
        let dryRun = try isDryRun(req)
        let r = t.resource
        let ns = t.namespace
        let network = self.network
        let (obj, warnings) = try await store.transact { store in
            guard let old = store.get(r, namespace: ns, name: name) else { throw StatusError.notFound(r, name) }
            let new = try candidate(old)
            if let rv = new.at("metadata.resourceVersion").string, !rv.isEmpty,
                rv != old.at("metadata.resourceVersion").string
            {
                throw StatusError.conflict(r, name)
            }
            let services = r == Resources.services ? store.list(Resources.services, namespace: nil).items : []
            var (prepared, warnings) = try KubeAPI.prepare(
                new, resource: r, namespace: ns, mode: mode, old: old, part: part, services: services,
                network: network)
            prepared.set("metadata.resourceVersion", old.at("metadata.resourceVersion"))
            if dryRun { return (prepared, warnings) }
            return (try store.update(r, prepared), warnings)
        }
        return .json(.ok, obj, headers: KubeAPI.warningHeaders(warnings))
    }

    /// Applies a patch of the given media type to `old`; errors are 422/400 Status with the reason.
    static func applyPatch(_ patch: JSONValue, contentType: String, to old: JSONValue, resource r: ResourceInfo)
        throws -> JSONValue
    {
        do {
            switch contentType {
            case "application/merge-patch+json":
                guard case .object = patch else {
                    throw StatusError.badRequest("a JSON merge patch must be a JSON object, got \(patch.typeName)")
                }
                return JSONMergePatch.apply(patch, to: old)
            case "application/strategic-merge-patch+json":
                guard case .object = patch else {
                    throw StatusError.badRequest("a strategic merge patch must be a JSON object, got \(patch.typeName)")
                }
                return try StrategicMergePatch.apply(patch, to: old, kind: r.kind)
            case "application/json-patch+json":
                return try JSONPatch.apply(patch, to: old)
            default:
                throw StatusError(
                    code: 415, reason: "UnsupportedMediaType",
                    message: "the body of the request was in an unknown format (\(contentType)) - accepted media "
                        + "types include: application/json-patch+json, application/merge-patch+json, "
                        + "application/strategic-merge-patch+json")
            }
        } catch let e as StatusError {
            throw e
        } catch {
            throw StatusError(code: 422, reason: "Invalid", message: "the patch could not be applied: \(error)")
        }
    }

    // MARK: - Scale

    func scale(_ t: ResourceTarget, name: String, _ req: APIRequest) async throws -> APIResponse {
        let body = try parseBody(req)
        let contentType = req.contentType
        let isPut = req.method == .PUT
        let r = t.resource
        let ns = t.namespace
        let result = try await store.transact { store -> JSONValue in
            guard var obj = store.get(r, namespace: ns, name: name) else { throw StatusError.notFound(r, name) }
            let current = ScaleSubresource.scale(of: obj, resource: r)
            let desired =
                isPut
                ? body
                : try KubeAPI.applyPatch(body, contentType: contentType, to: current, resource: ScaleSubresource.info)
            let replicas = try ScaleSubresource.replicas(in: desired, name: name)
            obj.set("spec.replicas", .int(Int64(replicas)))
            let updated = try store.update(r, obj)
            return ScaleSubresource.scale(of: updated, resource: r)
        }
        return .json(.ok, result)
    }

    // MARK: - Delete

    struct DeleteOptions: Sendable {
        var propagation: String = "Background"
        var gracePeriodSeconds: Int64?
        var uid: String?
        var resourceVersion: String?
        var dryRun = false
    }

    func deleteOptions(_ req: APIRequest) throws -> DeleteOptions {
        var o = DeleteOptions()
        if !req.body.isEmpty {
            let body = try parseBody(req)
            o.propagation = body["propagationPolicy"].string ?? o.propagation
            o.gracePeriodSeconds = body["gracePeriodSeconds"].int.map(Int64.init)
            o.uid = body.at("preconditions.uid").string
            o.resourceVersion = body.at("preconditions.resourceVersion").string
            o.dryRun = !(body["dryRun"].array ?? []).isEmpty
        }
        if let p = req.query["propagationPolicy"] { o.propagation = p }
        if let g = req.query["gracePeriodSeconds"].flatMap(Int64.init) { o.gracePeriodSeconds = g }
        if try isDryRun(req) { o.dryRun = true }
        guard ["Background", "Foreground", "Orphan"].contains(o.propagation) else {
            throw StatusError.badRequest(
                "propagationPolicy: Unsupported value: \"\(o.propagation)\": supported values: \"Foreground\", "
                    + "\"Background\", \"Orphan\"")
        }
        return o
    }

    func delete(_ t: ResourceTarget, name: String, _ req: APIRequest) async throws -> APIResponse {
        let options = try deleteOptions(req)
        let r = t.resource
        let ns = t.namespace
        let now = Timestamps.format(clock())
        let result = try await store.transact { store in
            try KubeAPI.delete(r, namespace: ns, name: name, options: options, now: now, in: store)
        }
        return .json(.ok, result)
    }

    func deleteCollection(_ t: ResourceTarget, _ req: APIRequest) async throws -> APIResponse {
        let keep = try filters(t, req)
        let options = try deleteOptions(req)
        let r = t.resource
        let ns = t.namespace
        let now = Timestamps.format(clock())
        let deleted = try await store.transact { store in
            let victims = store.list(r, namespace: ns).items.filter(keep)
            return try victims.compactMap { obj -> JSONValue? in
                guard let name = obj.at("metadata.name").string else { return nil }
                return try KubeAPI.delete(
                    r, namespace: obj.at("metadata.namespace").string, name: name, options: options, now: now,
                    in: store)
            }
        }
        return .json(
            .ok,
            [
                "kind": .string("\(r.kind)List"), "apiVersion": .string(r.apiVersion),
                "metadata": [:], "items": .array(deleted),
            ])
    }

    /// Namespaces that kube-apiserver refuses to delete.
    static let protectedNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    /// Deletes one object inside the store's actor, with kube-apiserver's graceful rules:
    /// a Namespace goes Terminating (the namespace controller empties it), a Pod whose containers run gets a
    /// deletionTimestamp (its node agent finishes it), everything else goes at once. Owner references decide
    /// cascading: Orphan strips them from dependents now, Foreground deletes dependents first, Background leaves
    /// them to the garbage collector.
    static func delete(
        _ r: ResourceInfo, namespace ns: String?, name: String, options: DeleteOptions, now: String,
        in store: isolated ClusterStore
    ) throws -> JSONValue {
        guard let obj = store.get(r, namespace: ns, name: name) else { throw StatusError.notFound(r, name) }
        if let uid = options.uid, uid != obj.at("metadata.uid").string {
            throw StatusError(
                code: 409, reason: "Conflict",
                message: "Precondition failed: UID in precondition: \(uid), UID in object meta: "
                    + (obj.at("metadata.uid").string ?? ""))
        }
        if let rv = options.resourceVersion, rv != obj.at("metadata.resourceVersion").string {
            throw StatusError(
                code: 409, reason: "Conflict",
                message: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object "
                    + "meta: " + (obj.at("metadata.resourceVersion").string ?? ""))
        }
        if r == Resources.namespaces, protectedNamespaces.contains(name) {
            throw StatusError(
                code: 403, reason: "Forbidden",
                message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted",
                details: .init(name: name, group: "", kind: "namespaces"))
        }
        if options.dryRun { return obj }
        let uid = obj.at("metadata.uid").string ?? ""
        switch options.propagation {
        case "Orphan":
            for (dr, dep) in dependents(of: uid, in: store) {
                var d = dep
                let refs = (d.at("metadata.ownerReferences").array ?? []).filter { $0["uid"].string != uid }
                if refs.isEmpty { d.remove("metadata.ownerReferences") } else {
                    d.set("metadata.ownerReferences", .array(refs))
                }
                _ = try store.update(dr, d)
            }
        case "Foreground":
            for (dr, dep) in dependents(of: uid, in: store) {
                guard let depName = dep.at("metadata.name").string else { continue }
                var o = options
                o.uid = nil
                o.resourceVersion = nil
                _ = try? delete(
                    dr, namespace: dep.at("metadata.namespace").string, name: depName, options: o, now: now,
                    in: store)
            }
        default:
            break
        }
        if r == Resources.namespaces {
            if obj.at("metadata.deletionTimestamp").string != nil { return obj }
            var o = obj
            o.set("metadata.deletionTimestamp", .string(now))
            o.set("status.phase", "Terminating")
            return try store.update(r, o)
        }
        if r == Resources.pods, podIsRunning(obj), options.gracePeriodSeconds != 0 {
            if obj.at("metadata.deletionTimestamp").string != nil { return obj }
            var o = obj
            let grace = options.gracePeriodSeconds ?? Int64(obj.at("spec.terminationGracePeriodSeconds").int ?? 30)
            o.set("metadata.deletionTimestamp", .string(now))
            o.set("metadata.deletionGracePeriodSeconds", .int(grace))
            return try store.update(r, o)
        }
        return try store.delete(r, namespace: ns, name: name)
    }

    /// A pod has something to stop when one of its containers has started; a pod none of whose containers
    /// runs (Pending, never started by a node agent) is removed at once, as kubelet would confirm at once.
    static func podIsRunning(_ pod: JSONValue) -> Bool {
        let statuses = pod.at("status.containerStatuses").array ?? []
        return statuses.contains { !$0.at("state.running").isNull }
    }

    static func dependents(of uid: String, in store: isolated ClusterStore) -> [(ResourceInfo, JSONValue)] {
        guard !uid.isEmpty else { return [] }
        var out: [(ResourceInfo, JSONValue)] = []
        for (r, objs) in store.all() {
            for o in objs where (o.at("metadata.ownerReferences").array ?? []).contains(where: { $0["uid"].string == uid }) {
                out.append((r, o))
            }
        }
        return out
    }
}
