/// intstr.IntOrString: a port or percentage that JSON carries either as a number or as a string.
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int32.self) {
            self = .int(i)
            return
        }
        if let s = try? c.decode(String.self) {
            self = .string(s)
            return
        }
        // Name what was found, as the field path is all the user gets back.
        let found: String
        if c.decodeNil() {
            found = "null"
        } else if (try? c.decode(Bool.self)) != nil {
            found = "boolean"
        } else if (try? c.decode(Double.self)) != nil {
            found = "number"
        } else if (try? c.decode([JSONValue].self)) != nil {
            found = "array"
        } else {
            found = "object"
        }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected integer or string, got \(found)")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    /// The integer value, or nil for a string.
    public var intValue: Int32? { if case .int(let i) = self { return i } else { return nil } }
    /// The string value, or nil for an integer.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }
    /// The same value as JSON.
    public var json: JSONValue {
        switch self {
        case .int(let i): return .int(Int64(i))
        case .string(let s): return .string(s)
        }
    }
}

/// resource.Quantity (`500m`, `1Gi`, `2`): kept as the text given; JSON numbers are accepted and kept as text.
public struct Quantity: Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(stringLiteral value: String) { self.text = value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            text = s
        } else if let i = try? c.decode(Int64.self) {
            // YAML `cpu: 1` arrives as a number; kube-apiserver accepts it and answers "1".
            text = String(i)
        } else if let d = try? c.decode(Double.self) {
            text = "\(d)"
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a quantity (string or number)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
    public var description: String { text }
}
