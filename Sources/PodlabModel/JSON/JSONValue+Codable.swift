import Foundation

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// A value that did not fit the type it was decoded as: the field path and what was wrong.
public struct FieldTypeError: Error, Equatable, CustomStringConvertible {
    /// The field path in Kubernetes' notation: `spec.ports[0].port`.
    public var field: String
    public var problem: String
    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

extension JSONValue {
    /// Decodes a typed value from this JSON. Throws `FieldTypeError` with the field path on a mismatch.
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        let data = Data(serialized())
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw FieldTypeError(decoding: error, in: self)
        }
    }

    /// Encodes a typed value into JSON.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONValue(parsing: data)
    }
}

extension FieldTypeError {
    /// Renders a `CodingKey` path as Kubernetes writes field paths: `spec.containers[0].ports[1].containerPort`.
    public static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let i = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(i)" {
                out += "[\(i)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    init(decoding error: DecodingError, in root: JSONValue) {
        switch error {
        case .typeMismatch(let type, let ctx):
            let found = FieldTypeError.value(at: ctx.codingPath, in: root)
            self.init(
                field: FieldTypeError.path(ctx.codingPath),
                problem: "expected \(FieldTypeError.describe(type)), got \(found.typeName)")
        case .valueNotFound(let type, let ctx):
            self.init(
                field: FieldTypeError.path(ctx.codingPath),
                problem: "expected \(FieldTypeError.describe(type)), got null")
        case .keyNotFound(let key, let ctx):
            self.init(field: FieldTypeError.path(ctx.codingPath + [key]), problem: "Required value")
        case .dataCorrupted(let ctx):
            self.init(field: FieldTypeError.path(ctx.codingPath), problem: ctx.debugDescription)
        @unknown default:
            self.init(field: "", problem: "\(error)")
        }
    }

    static func value(at keys: [any CodingKey], in root: JSONValue) -> JSONValue {
        var cur = root
        for key in keys {
            if case .array = cur, let i = key.intValue { cur = cur[i] } else { cur = cur[key.stringValue] }
        }
        return cur
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Int.Type, is Int32.Type, is Int64.Type: return "integer"
        case is Bool.Type: return "boolean"
        case is Double.Type: return "number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "array" }
            if name.hasPrefix("Dictionary") { return "object" }
            return "object"
        }
    }
}
