/// One problem with one field, as Kubernetes' `field.Error` reports it.
///
/// `description` is what kubectl shows:
/// `spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case invalid = "FieldValueInvalid"
        case required = "FieldValueRequired"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case typeInvalid = "FieldValueTypeInvalid"
    }

    public var kind: Kind
    /// The field path: `metadata.name`, `spec.ports[0].targetPort`.
    public var field: String
    /// The offending value, rendered as kube-apiserver renders it (strings quoted), or nil.
    public var badValue: String?
    public var detail: String

    public init(_ kind: Kind, _ field: String, _ badValue: JSONValue? = nil, _ detail: String = "") {
        self.kind = kind
        self.field = field
        self.badValue = badValue.map(FieldError.render)
        self.detail = detail
    }

    /// The words kube-apiserver puts before the value.
    public var kindText: String {
        switch kind {
        case .invalid: return "Invalid value"
        case .required: return "Required value"
        case .notSupported: return "Unsupported value"
        case .duplicate: return "Duplicate value"
        case .forbidden: return "Forbidden"
        case .tooLong: return "Too long"
        case .tooMany: return "Too many"
        case .typeInvalid: return "Invalid value"
        }
    }

    public var description: String {
        var s = field.isEmpty ? kindText : "\(field): \(kindText)"
        switch kind {
        case .required, .forbidden, .tooLong, .tooMany:
            if !detail.isEmpty { s += ": \(detail)" }
        default:
            if let v = badValue { s += ": \(v)" }
            if !detail.isEmpty { s += ": \(detail)" }
        }
        return s
    }

    /// Go's `%#v`-like rendering kube-apiserver uses for bad values: strings quoted, numbers bare.
    public static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .double(let d): return "\(d)"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return v.jsonText
        }
    }
}

/// An error the API answers with: a `metav1.Status` with code, reason and message.
public struct StatusError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `BadRequest`, `MethodNotAllowed`, ...
    public var reason: String
    public var message: String
    /// `details` of the Status: the object's name, group, kind and, for Invalid, one cause per field.
    public var details: Details?

    public struct Details: Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var causes: [FieldError]
        public init(name: String?, group: String?, kind: String?, causes: [FieldError] = []) {
            self.name = name
            self.group = group
            self.kind = kind
            self.causes = causes
        }
    }

    public init(code: Int, reason: String, message: String, details: Details? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { message }

    /// 404: `pods "web" not found`.
    public static func notFound(_ r: ResourceInfo, _ name: String) -> StatusError {
        StatusError(
            code: 404, reason: "NotFound", message: "\(r.groupResource) \"\(name)\" not found",
            details: Details(name: name, group: r.group, kind: r.plural))
    }

    /// 409: `services "web" already exists`.
    public static func alreadyExists(_ r: ResourceInfo, _ name: String) -> StatusError {
        StatusError(
            code: 409, reason: "AlreadyExists", message: "\(r.groupResource) \"\(name)\" already exists",
            details: Details(name: name, group: r.group, kind: r.plural))
    }

    /// 409 on a stale resourceVersion, worded as kube-apiserver words it.
    public static func conflict(_ r: ResourceInfo, _ name: String) -> StatusError {
        StatusError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(r.groupResource) \"\(name)\": the object has been modified; "
                + "please apply your changes to the latest version and try again",
            details: Details(name: name, group: r.group, kind: r.plural))
    }

    /// 422: `Service "web" is invalid: spec.ports[0].port: Invalid value: ...` (several errors are bracketed).
    public static func invalid(_ r: ResourceInfo, _ name: String, _ errors: [FieldError]) -> StatusError {
        let list =
            errors.count == 1 ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        return StatusError(
            code: 422, reason: "Invalid", message: "\(r.kind) \"\(name)\" is invalid: \(list)",
            details: Details(name: name, group: r.group, kind: r.kind, causes: errors))
    }

    /// 400 with a message.
    public static func badRequest(_ message: String) -> StatusError {
        StatusError(code: 400, reason: "BadRequest", message: message)
    }

    /// The `metav1.Status` object for this error.
    public var status: JSONValue {
        var s: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let d = details {
            var dj: JSONValue = [:]
            if let n = d.name { dj["name"] = .string(n) }
            if let g = d.group, !g.isEmpty { dj["group"] = .string(g) }
            if let k = d.kind { dj["kind"] = .string(k) }
            if !d.causes.isEmpty {
                dj["causes"] = .array(
                    d.causes.map { c in
                        [
                            "reason": .string(c.kind.rawValue),
                            "message": .string(String(c.description.dropFirst(c.field.isEmpty ? 0 : c.field.count + 2))),
                            "field": .string(c.field),
                        ]
                    })
            }
            s["details"] = dj
        }
        return s
    }
}
