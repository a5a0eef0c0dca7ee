/// A JSON document as a value: what the store keeps, what patches act on and what the API serves.
///
/// Objects keep their keys in a dictionary; output is written with sorted keys so that the same object
/// always serialises to the same bytes (persistence and tests compare bytes).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    // MARK: - Accessors

    /// The member `key` of an object, or `.null` for a missing key or a non-object.
    public subscript(key: String) -> JSONValue {
        get {
            if case .object(let members) = self { return members[key] ?? .null }
            return .null
        }
        set {
            guard case .object(var members) = self else {
                if case .null = self { self = .object([key: newValue]) }
                return
            }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The element at `index` of an array, or `.null` when out of range or not an array.
    public subscript(index: Int) -> JSONValue {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return .null
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// An integer value; a double with no fraction also counts (JSON has one number type).
    public var int: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e15 ? Int(d) : nil
        default: return nil
        }
    }

    /// A `[String: String]` map such as labels or annotations; nil unless every member is a string.
    public var stringMap: [String: String]? {
        guard case .object(let members) = self else { return nil }
        var out: [String: String] = [:]
        for (k, v) in members {
            guard case .string(let s) = v else { return nil }
            out[k] = s
        }
        return out
    }

    /// The value at a dotted path of object keys (`"spec.template.metadata"`).
    public func at(_ path: String) -> JSONValue {
        // Hot in controllers and printers: walk the path without building an array of its parts.
        var cur = self
        var start = path.startIndex
        var i = start
        while i < path.endIndex {
            if path[i] == "." {
                if start < i { cur = cur[String(path[start..<i])] }
                start = path.index(after: i)
            }
            i = path.index(after: i)
        }
        if start < path.endIndex { cur = cur[String(path[start...])] }
        return cur
    }

    /// Sets the value at a dotted path, creating intermediate objects.
    public mutating func set(_ path: String, _ value: JSONValue) {
        let parts = path.split(separator: ".").map(String.init)
        self = JSONValue.setting(self, parts[...], value)
    }

    private static func setting(_ base: JSONValue, _ parts: ArraySlice<String>, _ value: JSONValue) -> JSONValue {
        guard let first = parts.first else { return value }
        var members = base.object ?? [:]
        members[first] = setting(members[first] ?? .null, parts.dropFirst(), value)
        return .object(members)
    }

    /// Removes the member at a dotted path, if present.
    public mutating func remove(_ path: String) {
        let parts = path.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return }
        self = JSONValue.removing(self, parts[...])
    }

    private static func removing(_ base: JSONValue, _ parts: ArraySlice<String>) -> JSONValue {
        guard var members = base.object, let first = parts.first else { return base }
        if parts.count == 1 {
            members[first] = nil
        } else if let child = members[first] {
            members[first] = removing(child, parts.dropFirst())
        }
        return .object(members)
    }

    /// A short name of the JSON type, for error messages ("string", "integer", "object", ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue {
    /// Convenience: a `[String: String]` map as a JSON object.
    public init(_ map: [String: String]) {
        self = .object(map.mapValues { .string($0) })
    }
}
