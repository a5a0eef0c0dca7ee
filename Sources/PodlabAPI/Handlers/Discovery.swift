import PodlabModel

/// The documents kubectl reads before it acts: /version, legacy discovery, and the minimal /openapi/v3.
public enum Discovery {
    /// The Kubernetes version podlab serves. Minor 31 makes the gcloud kubectl dispatcher run kubectl 1.31,
    /// which speaks WebSocket exec and sends JSON bodies (reference/kubectl-wire.md §0).
    public static let gitVersion = "v1.31.9-podlab"

    public static var version: JSONValue {
        [
            "major": "1", "minor": "31", "gitVersion": .string(gitVersion),
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-11-23T00:00:00Z", "goVersion": "go1.22.12", "compiler": "gc",
            "platform": .string(platform),
        ]
    }

    static var platform: String {
        #if arch(arm64)
            return "linux/arm64"
        #else
            return "linux/amd64"
        #endif
    }

    /// Groups served beyond the stored resources: authorization (so `kubectl auth can-i` gets an answer)
    /// and authentication (`kubectl auth whoami`).
    static let reviewGroups: [(group: String, resources: [JSONValue])] = [
        (
            "authorization.k8s.io",
            [
                resourceEntry(
                    name: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview", namespaced: false,
                    verbs: ["create"]),
                resourceEntry(
                    name: "selfsubjectrulesreviews", kind: "SelfSubjectRulesReview", namespaced: false,
                    verbs: ["create"]),
            ]
        ),
        (
            "authentication.k8s.io",
            [
                resourceEntry(
                    name: "selfsubjectreviews", kind: "SelfSubjectReview", namespaced: false, verbs: ["create"])
            ]
        ),
    ]

    /// GET /api
    public static var apiVersions: JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"]],
        ]
    }

    /// GET /apis
    public static var apiGroupList: JSONValue {
        var groups: [JSONValue] = []
        for gv in Resources.groupVersions where !gv.group.isEmpty {
            groups.append(groupEntry(gv.group, gv.version))
        }
        for g in reviewGroups { groups.append(groupEntry(g.group, "v1")) }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func groupEntry(_ group: String, _ version: String) -> JSONValue {
        let gv: JSONValue = ["groupVersion": .string("\(group)/\(version)"), "version": .string(version)]
        return ["name": .string(group), "versions": [gv], "preferredVersion": gv]
    }

    static func resourceEntry(
        name: String, kind: String, namespaced: Bool, verbs: [String], shortNames: [String] = [],
        categories: [String] = [], singular: String = ""
    ) -> JSONValue {
        var e: JSONValue = [
            "name": .string(name), "singularName": .string(singular), "namespaced": .bool(namespaced),
            "kind": .string(kind), "verbs": .array(verbs.map { .string($0) }),
        ]
        if !shortNames.isEmpty { e["shortNames"] = .array(shortNames.map { .string($0) }) }
        if !categories.isEmpty { e["categories"] = .array(categories.map { .string($0) }) }
        return e
    }

    /// GET /api/v1 or /apis/GROUP/VERSION; nil when the group version is not served.
    public static func resourceList(group: String, version: String) -> JSONValue? {
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        var entries: [JSONValue] = []
        if let review = reviewGroups.first(where: { $0.group == group }), version == "v1" {
            entries = review.resources
        }
        for r in Resources.all where r.apiVersion == gv {
            entries.append(
                resourceEntry(
                    name: r.plural, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs,
                    shortNames: r.shortNames, categories: r.categories, singular: r.singular))
            for sub in r.subresources {
                let kind: String
                let verbs: [String]
                switch sub {
                case "scale": (kind, verbs) = ("Scale", ["get", "patch", "update"])
                case "status": (kind, verbs) = (r.kind, ["get", "patch", "update"])
                case "log": (kind, verbs) = ("Pod", ["get"])
                default: (kind, verbs) = ("PodExecOptions", ["create", "get"])
                }
                var e = resourceEntry(name: "\(r.plural)/\(sub)", kind: kind, namespaced: r.namespaced, verbs: verbs)
                if sub == "scale" {
                    e["group"] = "autoscaling"
                    e["version"] = "v1"
                }
                entries.append(e)
            }
        }
        guard !entries.isEmpty else { return nil }
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(entries),
        ]
    }

    // MARK: - OpenAPI v3 (reference/kubectl-wire.md §7)

    /// GET /openapi/v3: one path per served group version. kubectl only needs to learn that the server
    /// supports `fieldValidation`, so each group-version document carries a PATCH operation with that parameter.
    public static var openAPIRoot: JSONValue {
        var paths: [String: JSONValue] = [:]
        for gv in Resources.groupVersions {
            let key = gv.group.isEmpty ? "api/\(gv.version)" : "apis/\(gv.group)/\(gv.version)"
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(hash(key))")]
        }
        return ["paths": .object(paths)]
    }

    /// GET /openapi/v3/api/v1 or /openapi/v3/apis/G/V.
    public static func openAPIDocument(path: String) -> JSONValue? {
        let gvPath = "/" + path
        let served = Resources.all.filter { $0.groupVersionPath == gvPath }
        guard !served.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        for r in served {
            let item = r.namespaced
                ? "\(r.groupVersionPath)/namespaces/{namespace}/\(r.plural)/{name}"
                : "\(r.groupVersionPath)/\(r.plural)/{name}"
            let gvk: JSONValue = ["group": .string(r.group), "version": .string(r.version), "kind": .string(r.kind)]
            let params: JSONValue = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "dryRun", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            let op: JSONValue = [
                "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch", "parameters": params,
                "responses": ["200": ["description": "OK"]],
            ]
            paths[item] = ["patch": op, "put": op]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": .string(gitVersion)],
            "paths": .object(paths),
            "components": ["schemas": [:]],
        ]
    }

    /// A stable short hash for the `hash=` query kubectl caches documents by.
    static func hash(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (gitVersion + s).utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    // MARK: - OpenAPI v2

    /// GET /openapi/v2: a Swagger 2.0 document with no definitions. kubectl asks for it when a manifest names
    /// a group version the server does not serve; finding no schema there, it skips client-side validation
    /// and reports `no matches for kind ...`, as against a real cluster. kubectl asks for the gnostic protobuf
    /// form (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): Document{1: swagger, 2: Info{1: title,
    /// 2: version}}.
    public static func openAPIv2(protobuf: Bool) -> (contentType: String, body: [UInt8]) {
        guard protobuf else {
            let doc: JSONValue = [
                "swagger": "2.0", "info": ["title": "Kubernetes", "version": .string(gitVersion)], "paths": [:],
            ]
            return ("application/json", doc.serialized())
        }
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] {
            // Wire type 2 (length-delimited); every length here is below 128, so it is one varint byte.
            [number << 3 | 2, UInt8(bytes.count)] + bytes
        }
        let info = field(1, Array("Kubernetes".utf8)) + field(2, Array(gitVersion.utf8))
        // kube-apiserver labels it application/octet-stream: Go's mime parser rejects the "@" in the name.
        return ("application/octet-stream", field(1, Array("2.0".utf8)) + field(2, info))
    }
}
