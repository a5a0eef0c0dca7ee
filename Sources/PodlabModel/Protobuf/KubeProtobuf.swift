/// Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), as kubectl ≥ 1.32
/// sends them for `kubectl create deployment|namespace|configmap|secret|service|serviceaccount`.
///
/// The body is the magic `k8s\0` then a `runtime.Unknown {1: typeMeta{1 apiVersion, 2 kind}, 2: raw,
/// 3: contentEncoding, 4: contentType}`; `raw` is the gogo-protobuf encoding of the object.
public enum KubeProtobuf {
    /// The 4-byte prefix of every Kubernetes protobuf body (apimachinery runtime/serializer/protobuf).
    public static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    /// Decodes a body into the object as JSON, with `apiVersion` and `kind` set and zero values dropped
    /// (what the JSON encoding would omit). Throws `ProtobufError` with the byte offset and field path.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw ProtobufError(offset: 0, problem: "missing the k8s\\0 prefix of a Kubernetes protobuf body")
        }
        var reader = ProtoReader(bytes, range: magic.count..<bytes.count)
        var apiVersion = ""
        var kind = ""
        var raw: Range<Int>?
        var contentEncoding = ""
        while let tag = try reader.nextTag() {
            switch (tag.number, tag.wire) {
            case (1, .lengthDelimited):
                var meta = ProtoReader(bytes, range: try reader.lengthDelimited())
                while let t = try meta.nextTag() {
                    switch (t.number, t.wire) {
                    case (1, .lengthDelimited): apiVersion = text(bytes, try meta.lengthDelimited())
                    case (2, .lengthDelimited): kind = text(bytes, try meta.lengthDelimited())
                    default: try meta.skip(t.wire, fieldOffset: t.offset)
                    }
                }
            case (2, .lengthDelimited): raw = try reader.lengthDelimited()
            case (3, .lengthDelimited): contentEncoding = text(bytes, try reader.lengthDelimited())
            case (4, .lengthDelimited): _ = try reader.lengthDelimited()
            case (1...4, _):
                throw ProtobufError(
                    offset: tag.offset, field: "runtime.Unknown",
                    problem: "field \(tag.number) has wire type \(tag.wire.name), expected length-delimited")
            default: try reader.skip(tag.wire, fieldOffset: tag.offset)
            }
        }
        guard contentEncoding.isEmpty else {
            throw ProtobufError(offset: magic.count, field: "runtime.Unknown", problem: "unsupported contentEncoding \"\(contentEncoding)\"")
        }
        guard !kind.isEmpty else {
            throw ProtobufError(offset: magic.count, field: "runtime.Unknown", problem: "typeMeta has no kind")
        }
        guard let schema = ProtoMessage.forKind(kind, apiVersion: apiVersion) else {
            throw ProtobufError(
                offset: magic.count, field: "runtime.Unknown",
                problem: "podlab cannot decode protobuf for kind \"\(kind)\" (apiVersion \"\(apiVersion)\"); send JSON")
        }
        var object = try decodeMessage(bytes, raw ?? magic.count..<magic.count, schema, path: "")
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    // MARK: - Messages

    static func decodeMessage(_ bytes: [UInt8], _ range: Range<Int>, _ schema: ProtoMessage, path: String) throws
        -> [String: JSONValue]
    {
        var reader = ProtoReader(bytes, range: range)
        var out: [String: JSONValue] = [:]
        // Which members came from pointer fields, so present zero values survive the omitempty pass.
        var pointerPresent = Set<String>()
        while let tag = try reader.nextTag() {
            guard let field = schema.fields[tag.number] else {
                try reader.skip(tag.wire, fieldOffset: tag.offset)
                continue
            }
            let fieldPath = path.isEmpty ? field.name : "\(path).\(field.name)"
            if case .map(let valueKind) = field.kind {
                try expect(tag, .lengthDelimited, fieldPath)
                let (key, value) = try decodeMapEntry(bytes, try reader.lengthDelimited(), valueKind, path: fieldPath)
                var map = out[field.name]?.object ?? [:]
                map[key] = value
                out[field.name] = .object(map)
                continue
            }
            if field.repeated {
                var items = out[field.name]?.array ?? []
                let itemPath = "\(fieldPath)[\(items.count)]"
                if let value = try decodeValue(bytes, &reader, tag, field.kind, path: itemPath) {
                    items.append(value)
                }
                out[field.name] = .array(items)
                continue
            }
            guard let value = try decodeValue(bytes, &reader, tag, field.kind, path: fieldPath) else {
                out[field.name] = nil
                continue
            }
            if field.inline, case .object(let members) = value {
                for (k, v) in members { out[k] = v }
                continue
            }
            out[field.name] = value
            if field.pointer { pointerPresent.insert(field.name) } else { pointerPresent.remove(field.name) }
        }
        return out.filter { pointerPresent.contains($0.key) || !isZero($0.value) }
    }

    static func decodeMapEntry(_ bytes: [UInt8], _ range: Range<Int>, _ valueKind: ProtoField.Kind, path: String)
        throws -> (String, JSONValue)
    {
        var reader = ProtoReader(bytes, range: range)
        var key = ""
        var value: JSONValue?
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1:
                try expect(tag, .lengthDelimited, "\(path) key")
                key = text(bytes, try reader.lengthDelimited())
            case 2:
                value = try decodeValue(bytes, &reader, tag, valueKind, path: "\(path)[\(key)]")
            default:
                try reader.skip(tag.wire, fieldOffset: tag.offset)
            }
        }
        // A missing value is the value type's zero (protobuf map semantics).
        return (key, value ?? zeroValue(valueKind))
    }

    /// One value of `kind`; nil when it decodes to nothing (the zero time).
    static func decodeValue(
        _ bytes: [UInt8], _ reader: inout ProtoReader, _ tag: (number: Int, wire: ProtoReader.WireType, offset: Int),
        _ kind: ProtoField.Kind, path: String
    ) throws -> JSONValue? {
        switch kind {
        case .string:
            try expect(tag, .lengthDelimited, path)
            return .string(text(bytes, try reader.lengthDelimited()))
        case .bytes:
            try expect(tag, .lengthDelimited, path)
            return .string(ProtoBase64.encode(bytes[try reader.lengthDelimited()]))
        case .int32:
            try expect(tag, .varint, path)
            // int32 is sign-extended to 64 bits on the wire; truncation restores it.
            return .int(Int64(Int32(truncatingIfNeeded: try reader.varint())))
        case .int64:
            try expect(tag, .varint, path)
            return .int(Int64(bitPattern: try reader.varint()))
        case .bool:
            try expect(tag, .varint, path)
            return .bool(try reader.varint() != 0)
        case .quantity:
            try expect(tag, .lengthDelimited, path)
            let fields = try scalarFields(bytes, try reader.lengthDelimited(), path: path)
            return .string(fields.strings[1] ?? "")
        case .intOrString:
            try expect(tag, .lengthDelimited, path)
            let fields = try scalarFields(bytes, try reader.lengthDelimited(), path: path)
            // type 1 is intstr.String; anything else is read as intstr.Int.
            if fields.varints[1] == 1 { return .string(fields.strings[3] ?? "") }
            return .int(Int64(Int32(truncatingIfNeeded: fields.varints[2] ?? 0)))
        case .time:
            try expect(tag, .lengthDelimited, path)
            let start = tag.offset
            let fields = try scalarFields(bytes, try reader.lengthDelimited(), path: path)
            let seconds = Int64(bitPattern: fields.varints[1] ?? 0)
            // metav1.Time writes nothing for the zero time; JSON writes null, which omitempty drops here.
            if fields.varints.isEmpty { return nil }
            guard let text = ProtoTimestamp.format(seconds: seconds) else {
                throw ProtobufError(offset: start, field: path, problem: "time \(seconds)s is outside years 0-9999")
            }
            return .string(text)
        case .message(let schema):
            try expect(tag, .lengthDelimited, path)
            return .object(try decodeMessage(bytes, try reader.lengthDelimited(), schema, path: path))
        case .map:
            // Maps are decoded entry by entry by the caller.
            throw ProtobufError(offset: tag.offset, field: path, problem: "a map cannot be nested in a map")
        }
    }

    /// The varint and string fields of a small message (Quantity, IntOrString, Time).
    static func scalarFields(_ bytes: [UInt8], _ range: Range<Int>, path: String) throws
        -> (varints: [Int: UInt64], strings: [Int: String])
    {
        var reader = ProtoReader(bytes, range: range)
        var varints: [Int: UInt64] = [:]
        var strings: [Int: String] = [:]
        while let tag = try reader.nextTag() {
            switch tag.wire {
            case .varint: varints[tag.number] = try reader.varint()
            case .lengthDelimited: strings[tag.number] = text(bytes, try reader.lengthDelimited())
            default: try reader.skip(tag.wire, fieldOffset: tag.offset)
            }
        }
        return (varints, strings)
    }

    static func expect(_ tag: (number: Int, wire: ProtoReader.WireType, offset: Int), _ wire: ProtoReader.WireType, _ path: String)
        throws
    {
        guard tag.wire == wire else {
            throw ProtobufError(
                offset: tag.offset, field: path,
                problem: "field \(tag.number) has wire type \(tag.wire.name), expected \(wire.name)")
        }
    }

    static func text(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    static func zeroValue(_ kind: ProtoField.Kind) -> JSONValue {
        switch kind {
        case .int32, .int64, .intOrString: return .int(0)
        case .bool: return .bool(false)
        case .message: return .object([:])
        case .time: return .null
        case .string, .bytes, .quantity, .map: return .string("")
        }
    }

    /// What Go's omitempty (and empty gogo sub-messages) leave out of JSON.
    static func isZero(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .bool(let b): return !b
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        }
    }
}

/// Standard base64 with padding (RFC 4648 §4), as Go's encoding/json writes `[]byte`.
enum ProtoBase64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ data: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var i = data.startIndex
        while i < data.endIndex {
            let b0 = data[i]
            let b1 = i + 1 < data.endIndex ? data[i + 1] : 0
            let b2 = i + 2 < data.endIndex ? data[i + 2] : 0
            let remaining = data.endIndex - i
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(remaining > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(remaining > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 3339 UTC timestamps at second precision, as metav1.Time writes JSON (`2024-05-01T12:00:00Z`).
enum ProtoTimestamp {
    /// The text for seconds since the Unix epoch, or nil outside years 0-9999 (Go refuses those too).
    static func format(seconds: Int64) -> String? {
        // Years 0 and 9999 bound what Go's Time.MarshalJSON accepts.
        guard seconds >= -62_167_219_200, seconds <= 253_402_300_799 else { return nil }
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil inverse).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2))Z"
    }
}
