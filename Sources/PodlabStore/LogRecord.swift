import PodlabModel

/// One record's meaning: an object written or deleted at a resourceVersion, or a snapshot's header.
///
/// Payload JSON: `{"op":"put"|"delete","rv":7,"resource":{"group":"apps","version":"v1","resource":"deployments"},
/// "object":{...}}`; a snapshot starts with `{"op":"snapshot","rv":N,"objects":M}`. A delete carries the object as
/// it was deleted, so a log read by eye says what went away.
enum LogRecord {
    case put(ResourceInfo, JSONValue, rv: Int64)
    case delete(ResourceInfo, JSONValue, rv: Int64)
    case snapshotHeader(rv: Int64, objects: Int)

    /// The compact JSON payload.
    func payload() -> [UInt8] {
        switch self {
        case .put(let r, let object, let rv): return LogRecord.body("put", r, object, rv).serialized()
        case .delete(let r, let object, let rv): return LogRecord.body("delete", r, object, rv).serialized()
        case .snapshotHeader(let rv, let objects):
            return (["op": "snapshot", "rv": .int(rv), "objects": .int(Int64(objects))] as JSONValue).serialized()
        }
    }

    private static func body(_ op: String, _ r: ResourceInfo, _ object: JSONValue, _ rv: Int64) -> JSONValue {
        [
            "op": .string(op), "rv": .int(rv),
            "resource": ["group": .string(r.group), "version": .string(r.version), "resource": .string(r.plural)],
            "object": object,
        ]
    }

    /// Decodes a payload read at `offset` of `path`; every problem names both.
    init(payload: ArraySlice<UInt8>, resources: [String: ResourceInfo], path: String, offset: Int) throws(StoreError) {
        func bad(_ problem: String) -> StoreError { StoreError(.corruptRecord, path: path, offset: offset, problem) }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: payload)
        } catch {
            throw bad("bad JSON in the payload: \(error)")
        }
        guard case .object = json else { throw bad("the payload is a JSON \(json.typeName), not an object") }
        guard case .int(let rv) = json["rv"], rv > 0 else { throw bad("missing or invalid \"rv\"") }
        let op = json["op"].string ?? ""
        if op == "snapshot" {
            guard let count = json["objects"].int, count >= 0 else { throw bad("snapshot header without \"objects\"") }
            self = .snapshotHeader(rv: rv, objects: count)
            return
        }
        let res = json["resource"]
        guard let group = res["group"].string, let version = res["version"].string, let plural = res["resource"].string
        else { throw bad("missing or invalid \"resource\"") }
        let key = LogRecord.resourceKey(group: group, version: version, plural: plural)
        guard let r = resources[key] else { throw bad("unknown resource \"\(key)\"") }
        let object = json["object"]
        guard case .object = object, let name = object.at("metadata.name").string, !name.isEmpty else {
            throw bad("\"object\" is not an object with metadata.name")
        }
        if r.namespaced, (object.at("metadata.namespace").string ?? "").isEmpty {
            throw bad("\(r.groupResource) object \"\(name)\" has no metadata.namespace")
        }
        switch op {
        case "put": self = .put(r, object, rv: rv)
        case "delete": self = .delete(r, object, rv: rv)
        default: throw bad("unknown op \"\(op)\"")
        }
    }

    /// `group/version/plural`, with an empty group for the core group (`/v1/pods`).
    static func resourceKey(group: String, version: String, plural: String) -> String {
        "\(group)/\(version)/\(plural)"
    }

    /// The lookup table `init(payload:...)` resolves resources with.
    static func resourceTable(_ resources: [ResourceInfo]) -> [String: ResourceInfo] {
        var table: [String: ResourceInfo] = [:]
        for r in resources { table[resourceKey(group: r.group, version: r.version, plural: r.plural)] = r }
        return table
    }
}
