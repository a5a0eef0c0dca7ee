/// How the API treats fields it does not know (the `fieldValidation` query parameter).
public enum FieldValidationMode: String, Sendable {
    case strict = "Strict"
    case warn = "Warn"
    case ignore = "Ignore"
}

/// Turns a request body into the stored form of an object, as kube-apiserver's decoder does.
public enum ObjectCodec {
    /// Checks `body` is an object of `resource`'s kind, decodes it into the typed struct and re-encodes it.
    ///
    /// Unknown fields are dropped; `mode` says whether they fail the request (Strict), come back as warnings
    /// (Warn) or are dropped silently (Ignore). The result always carries apiVersion and kind.
    /// Throws `StatusError` 400 BadRequest, worded as kube-apiserver words it, with the field path of any problem.
    public static func normalize(
        _ body: JSONValue, resource: ResourceInfo, mode: FieldValidationMode
    ) throws -> (object: JSONValue, warnings: [String]) {
        guard case .object(var members) = body else {
            // The Go decoder first reads apiVersion/kind into a struct, which fails on anything but an object.
            throw StatusError.badRequest(
                "the object provided is unrecognized (must be of type \(resource.kind)): couldn't get version/kind; "
                    + "json parse error: json: cannot unmarshal \(goTypeName(body)) into Go value of type struct "
                    + "{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }")
        }
        let dataKind = nonEmptyString(members["kind"]) ?? resource.kind
        let dataAPIVersion = nonEmptyString(members["apiVersion"]) ?? resource.apiVersion
        let dataVersion = String(dataAPIVersion.split(separator: "/").last ?? Substring(dataAPIVersion))
        // kube-apiserver's prefix for every decoding failure: the kind and version found in the data.
        let prefix = "\(dataKind) in version \"\(dataVersion)\" cannot be handled as a \(resource.kind)"

        if dataKind != resource.kind {
            if isRegistered(apiVersion: dataAPIVersion, kind: dataKind) {
                // A known kind decodes, then fails to convert into the endpoint's internal type.
                throw StatusError.badRequest(
                    "\(prefix): converting (\(dataVersion).\(dataKind)) to (\(internalPackage(resource)).\(resource.kind)): "
                        + "unknown conversion")
            }
            throw StatusError.badRequest(
                "\(prefix): no kind \"\(dataKind)\" is registered for version \"\(dataAPIVersion)\" in scheme "
                    + "\"pkg/api/legacyscheme/scheme.go:30\"")
        }
        if dataAPIVersion != resource.apiVersion {
            throw StatusError.badRequest(
                "the API version in the data (\(dataAPIVersion)) does not match the expected API version "
                    + "(\(resource.apiVersion))")
        }

        // A missing apiVersion or kind takes the endpoint's, as the Go decoder's default GVK does.
        members["apiVersion"] = .string(resource.apiVersion)
        members["kind"] = .string(resource.kind)
        if members["metadata"] == nil || members["metadata"] == .null { members["metadata"] = .object([:]) }
        let input = JSONValue.object(members)

        guard KubeObjects.hasType(for: resource) else { return (input, []) }
        let output: JSONValue
        do {
            output = try roundTrip(KubeObjects.type(for: resource), input)
        } catch let error as FieldTypeError {
            throw StatusError.badRequest("\(prefix): \(error.description)")
        } catch {
            throw StatusError.badRequest("\(prefix): \(error)")
        }

        var unknown: [String] = []
        collectUnknown(input: input, output: output, path: "", into: &unknown)
        unknown.sort()
        let messages = unknown.map { "unknown field \"\($0)\"" }
        switch mode {
        case .strict where !messages.isEmpty:
            throw StatusError.badRequest("\(prefix): strict decoding error: " + messages.joined(separator: ", "))
        case .warn:
            return (output, messages)
        default:
            return (output, [])
        }
    }

    /// The field paths present in `input` but absent from `output` (`spec.template.spec.containers[0].foo`).
    ///
    /// Members whose input value is null are skipped: they decode to "unset" and are not unknown.
    public static func unknownFields(input: JSONValue, output: JSONValue) -> [String] {
        var out: [String] = []
        collectUnknown(input: input, output: output, path: "", into: &out)
        return out.sorted()
    }

    static func collectUnknown(input: JSONValue, output: JSONValue, path: String, into out: inout [String]) {
        switch (input, output) {
        case (.object(let inMembers), .object(let outMembers)):
            for (key, value) in inMembers {
                if case .null = value { continue }
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let o = outMembers[key] {
                    collectUnknown(input: value, output: o, path: child, into: &out)
                } else {
                    out.append(child)
                }
            }
        case (.array(let inItems), .array(let outItems)):
            for (i, item) in inItems.enumerated() where i < outItems.count {
                collectUnknown(input: item, output: outItems[i], path: "\(path)[\(i)]", into: &out)
            }
        default:
            // Scalars, and values whose shape the type changed (a numeric Quantity becomes text): nothing to find.
            return
        }
    }

    /// Decodes `value` as `type` and encodes it back: fields the type does not have are gone.
    static func roundTrip<T: KubeObject>(_ type: T.Type, _ value: JSONValue) throws -> JSONValue {
        let object = try value.decode(as: T.self)
        return try JSONValue(encoding: object)
    }

    static func nonEmptyString(_ v: JSONValue?) -> String? {
        guard let s = v?.string, !s.isEmpty else { return nil }
        return s
    }

    static func isRegistered(apiVersion: String, kind: String) -> Bool {
        Resources.lookup(apiVersion: apiVersion, kind: kind) != nil
            || (Resources.scale.apiVersion == apiVersion && Resources.scale.kind == kind)
    }

    /// The Go package of the internal type kube-apiserver converts into: `core`, `apps`, `networking`, ...
    static func internalPackage(_ r: ResourceInfo) -> String {
        r.group.isEmpty ? "core" : String(r.group.split(separator: ".").first ?? Substring(r.group))
    }

    /// Go's name for a JSON value's type in `cannot unmarshal X into` messages.
    static func goTypeName(_ v: JSONValue) -> String {
        switch v {
        case .array: return "array"
        case .string: return "string"
        case .int, .double: return "number"
        case .bool: return "bool"
        case .null: return "null"
        case .object: return "object"
        }
    }
}
