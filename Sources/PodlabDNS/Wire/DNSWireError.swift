/// Why a message could not be read, and where. Offsets count from the first byte of the message.
public enum DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message ended before a field it declares: a short header, a count promising more records than the bytes
    /// hold, an rdlength running past the end.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A compression pointer that does not point strictly backwards, before the label run it interrupts, and
    /// after the header. This one rule rejects pointer loops, self-pointers and forward pointers alike.
    case badPointer(offset: Int, target: Int)
    /// A length byte of 64-191: a label over 63 bytes, or one of RFC 6891's retired extended label types.
    case labelTooLong(offset: Int, length: Int)
    /// A name over 255 bytes in uncompressed wire form, counted while pointers are followed.
    case nameTooLong(offset: Int)
    /// Record data that does not fit its type (an A record that is not 4 bytes, a name not ending with the data).
    case badRecordData(offset: Int, type: DNSType)
    /// RFC 6891 §6.1.1: more than one OPT record, or an OPT whose owner is not the root.
    case badOPT(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed, let available):
            "offset \(offset): message ends after \(available) bytes, \(needed) more needed"
        case .badPointer(let offset, let target):
            "offset \(offset): compression pointer to \(target) does not point back to an earlier name"
        case .labelTooLong(let offset, let length):
            "offset \(offset): label length byte \(length) (labels are at most 63 bytes)"
        case .nameTooLong(let offset): "offset \(offset): name longer than 255 bytes"
        case .badRecordData(let offset, let type): "offset \(offset): malformed \(type) record data"
        case .badOPT(let offset): "offset \(offset): a second OPT record, or an OPT not owned by the root"
        }
    }
}
