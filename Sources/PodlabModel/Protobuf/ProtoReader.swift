/// A bounds-checked reader of protobuf wire format over a byte array.
///
/// Offsets in errors are absolute positions in the array, so a problem deep inside nested messages still
/// points at the byte a hex dump shows. It never traps: every read checks the remaining length first.
struct ProtoReader {
    /// Protobuf wire types (encoding.md): 0 varint, 1 64-bit, 2 length-delimited, 3/4 groups, 5 32-bit.
    enum WireType: Int {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5

        var name: String {
            switch self {
            case .varint: return "varint"
            case .fixed64: return "64-bit"
            case .lengthDelimited: return "length-delimited"
            case .startGroup: return "start-group"
            case .endGroup: return "end-group"
            case .fixed32: return "32-bit"
            }
        }
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// A base-128 varint: at most 10 bytes, the 10th holding only the top bit (encoding.md "Base 128 Varints").
    mutating func varint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw ProtobufError(offset: start, problem: "truncated varint")
            }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw ProtobufError(offset: start, problem: "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw ProtobufError(offset: start, problem: "varint longer than 10 bytes")
            }
        }
    }

    /// The next field's number and wire type, or nil at the end of this message.
    mutating func nextTag() throws -> (number: Int, wire: WireType, offset: Int)? {
        guard !isAtEnd else { return nil }
        let offset = position
        let key = try varint()
        guard let wire = WireType(rawValue: Int(key & 7)) else {
            throw ProtobufError(offset: offset, problem: "invalid wire type \(key & 7)")
        }
        let number = key >> 3
        // Field numbers are 1 ... 2^29-1 (language guide, "Assigning Field Numbers").
        guard number >= 1, number <= 0x1FFF_FFFF else {
            throw ProtobufError(offset: offset, problem: "invalid field number \(number)")
        }
        return (Int(number), wire, offset)
    }

    /// The byte range of a length-delimited value, which must lie inside this message.
    mutating func lengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw ProtobufError(
                offset: start, problem: "length \(length) runs past the end of the message (\(end - position) bytes left)")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    mutating func fixed(_ size: Int) throws -> UInt64 {
        guard end - position >= size else {
            throw ProtobufError(offset: position, problem: "truncated \(size * 8)-bit value")
        }
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += size
        return value
    }

    /// Skips a value of an unknown field. Groups (deprecated, never written by gogo) are refused.
    mutating func skip(_ wire: WireType, fieldOffset: Int) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed(8)
        case .fixed32: _ = try fixed(4)
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup:
            throw ProtobufError(offset: fieldOffset, problem: "groups (wire type \(wire.rawValue)) are not supported")
        }
    }
}

/// A protobuf body that cannot be decoded: where (byte offset, field path) and why.
///
/// Printed as `protobuf: byte 57: spec.replicas: truncated varint`.
public struct ProtobufError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    /// The JSON field path being decoded, when known (`spec.template.spec.containers[0].image`).
    public var field: String
    public var problem: String

    public init(offset: Int, field: String = "", problem: String) {
        self.offset = offset
        self.field = field
        self.problem = problem
    }

    public var description: String {
        "protobuf: byte \(offset): " + (field.isEmpty ? "" : "\(field): ") + problem
    }
}
