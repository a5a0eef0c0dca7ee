/// A field selector (`?fieldSelector=metadata.name=web,status.phase!=Running`) as kube-apiserver
/// parses and applies it (apimachinery `fields.ParseSelector` and each resource's selectable fields).
public struct FieldSelectorQuery: Sendable, Hashable, CustomStringConvertible {
    /// One term: `field=value` (also written `==`) or `field!=value`.
    public struct Term: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var value: String
        public var negated: Bool

        public init(field: String, value: String, negated: Bool = false) {
            self.field = field
            self.value = value
            self.negated = negated
        }

        /// `field=value` or `field!=value`, with `\`, `,` and `=` in the value escaped.
        public var description: String {
            var escaped = ""
            for c in value {
                if c == "\\" || c == "," || c == "=" { escaped.append("\\") }
                escaped.append(c)
            }
            return field + (negated ? "!=" : "=") + escaped
        }
    }

    /// The terms, sorted as upstream sorts them; all must hold.
    public private(set) var terms: [Term]

    /// Parses selector text; "" selects everything. Throws `SelectorError` with kube-apiserver's message.
    public init(parsing text: String) throws {
        var parsed: [Term] = []
        for part in Self.splitTerms(text).sorted() where !part.isEmpty {
            guard let (lhs, op, rhs) = Self.splitTerm(part) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(part)'")
            }
            parsed.append(Term(field: lhs, value: try Self.unescape(rhs), negated: op == "!="))
        }
        terms = parsed
    }

    /// Parses selector text and checks every field is selectable on `resource`, as the apiserver's field label
    /// conversion does (`field label not supported: foo`).
    public init(parsing text: String, resource: ResourceInfo) throws {
        try self.init(parsing: text)
        try validate(for: resource)
    }

    /// Throws `SelectorError` for the first field that `resource` does not allow in field selectors.
    public func validate(for resource: ResourceInfo) throws {
        for term in terms {
            if let problem = Self.unsupported(term.field, resource: resource) { throw SelectorError(problem) }
        }
    }

    /// True when there are no terms: everything matches.
    public var isEmpty: Bool { terms.isEmpty }

    /// `Selector.String()`: the terms joined by commas.
    public var description: String { terms.map(\.description).joined(separator: ",") }

    /// The value required for `field` by an `=` term, if any (`RequiresExactMatch`; `metadata.name` lookups).
    public func requiredValue(for field: String) -> String? {
        terms.first { $0.field == field && !$0.negated }?.value
    }

    /// Whether `object`, a `resource`, has all the required field values. A field the resource does not
    /// support never matches (validate with `init(parsing:resource:)` to report it).
    public func matches(_ object: JSONValue, resource: ResourceInfo) -> Bool {
        terms.allSatisfy { term in
            guard Self.unsupported(term.field, resource: resource) == nil else { return false }
            let have = Self.fieldValue(term.field, of: object, kind: resource.kind)
            return term.negated ? have != term.value : have == term.value
        }
    }

    // MARK: - Syntax (fields.ParseSelector)

    /// Splits on commas not escaped with a backslash; escapes stay in the terms.
    static func splitTerms(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var terms: [String] = []
        var current = ""
        var inSlash = false
        for c in text {
            if inSlash {
                inSlash = false
            } else if c == "\\" {
                inSlash = true
            } else if c == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        terms.append(current)
        return terms
    }

    /// The first operator from the left (`!=` before `==` before `=` at each position) splits the term.
    static func splitTerm(_ term: String) -> (String, String, String)? {
        var index = term.startIndex
        while index < term.endIndex {
            let rest = term[index...]
            for op in ["!=", "==", "="] where rest.hasPrefix(op) {
                return (String(term[..<index]), op, String(rest.dropFirst(op.count)))
            }
            index = term.index(after: index)
        }
        return nil
    }

    /// `fields.UnescapeValue`: `\\`, `\,` and `\=` are escapes; a bare `,` or `=` is an error.
    static func unescape(_ value: String) throws -> String {
        var out = ""
        var inSlash = false
        for c in value.unicodeScalars {
            if inSlash {
                guard c == "\\" || c == "," || c == "=" else {
                    throw SelectorError("invalid field selector: invalid escape sequence: \\\(c)")
                }
                out.unicodeScalars.append(c)
                inSlash = false
            } else if c == "\\" {
                inSlash = true
            } else if c == "," || c == "=" {
                // Go prints the rune with %v, which is its code point number.
                throw SelectorError("invalid field selector: unescaped character in value: \(c.value)")
            } else {
                out.unicodeScalars.append(c)
            }
        }
        if inSlash { throw SelectorError("invalid field selector: invalid escape sequence: \\") }
        return out
    }

    // MARK: - Selectable fields per resource

    /// Fields each kind's field label conversion accepts (k8s pkg/apis/core/v1/conversion.go); kinds not
    /// listed accept only metadata.name and metadata.namespace (`runtime.DefaultMetaV1FieldSelectorConversion`).
    static let selectableFields: [String: Set<String>] = [
        "Pod": [
            "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
            "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
            "status.nominatedNodeName", "spec.host",
        ],
        "Node": ["metadata.name", "spec.unschedulable"],
        "ReplicationController": ["metadata.name", "metadata.namespace", "status.replicas"],
        "Event": [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
            "reportingComponent", "source", "type", "metadata.namespace", "metadata.name",
        ],
        "Namespace": ["status.phase", "metadata.name"],
        "Secret": ["type", "metadata.namespace", "metadata.name"],
        "Service": ["metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"],
    ]

    /// The apiserver's error for a field `resource` cannot be selected on, or nil when it can.
    static func unsupported(_ field: String, resource: ResourceInfo) -> String? {
        if let allowed = selectableFields[resource.kind] {
            return allowed.contains(field) ? nil : "field label not supported: \(field)"
        }
        if field == "metadata.name" || field == "metadata.namespace" { return nil }
        return "\"\(field)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
    }

    /// The string value of a selectable field, as each registry's `ToSelectableFields` computes it
    /// ("" when unset; booleans and numbers in Go's formatting).
    static func fieldValue(_ field: String, of object: JSONValue, kind: String) -> String {
        func text(_ v: JSONValue) -> String {
            switch v {
            case .string(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            case .double(let d): return d.rounded() == d ? String(Int64(d)) : String(d)
            default: return ""
            }
        }
        switch (kind, field) {
        case ("Pod", "spec.host"):
            return text(object.at("spec.nodeName"))
        case ("Pod", "spec.hostNetwork"), ("Node", "spec.unschedulable"):
            return object.at(field).bool == true ? "true" : "false"
        case ("Pod", "status.podIP"):
            // The first of status.podIPs, as the registry computes it.
            if let first = object.at("status.podIPs").array?.first { return text(first["ip"]) }
            return text(object.at("status.podIP"))
        case ("Pod", "status.podIPs"):
            // Accepted by conversion but absent from the pod's selectable field set: always "".
            return ""
        case ("ReplicationController", "status.replicas"):
            return String(object.at("status.replicas").int ?? 0)
        case ("Event", "reportingComponent"):
            return text(object["reportingComponent"])
        case ("Event", "source"):
            let component = text(object.at("source.component"))
            return component.isEmpty ? text(object["reportingComponent"]) : component
        default:
            return text(object.at(field))
        }
    }
}
