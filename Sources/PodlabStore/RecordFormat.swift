/// The framing shared by the write-ahead log and the snapshot.
///
/// A file is an 8-byte magic naming its kind and format version, then records:
/// ```
/// +0  u32 LE  payload length n (1 ... maxPayload)
/// +4  u32 LE  ~n, so a damaged length is told apart from a file that simply ends early
/// +8  u32 LE  CRC-32C of the payload
/// +12 n bytes of payload: one compact JSON object
/// ```
enum RecordFormat {
    static let headerSize = 12
    /// Far above any object kube-apiserver accepts (etcd's default request limit is 1.5 MiB): a larger length is
    /// damage, not data.
    static let maxPayload = 64 << 20

    /// The record bytes for `payload`.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + payload.count)
        appendLE(UInt32(payload.count), to: &out)
        appendLE(~UInt32(payload.count), to: &out)
        appendLE(CRC32C.checksum(payload), to: &out)
        out.append(contentsOf: payload)
        return out
    }

    private static func appendLE(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(v & 0xFF))
        out.append(UInt8((v >> 8) & 0xFF))
        out.append(UInt8((v >> 16) & 0xFF))
        out.append(UInt8(v >> 24))
    }

    private static func readLE(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// One intact record found in a file.
    struct Record {
        var offset: Int
        var payload: ArraySlice<UInt8>
    }

    /// A final record cut short: what a crash in the middle of an append leaves behind.
    struct TornTail: Equatable {
        var offset: Int
        /// Bytes of the record present in the file.
        var present: Int
        /// Bytes the record should have had, when its header was complete.
        var expected: Int?
        /// The tail is all zero bytes: the size reached the disk before the data.
        var zeroFilled = false

        var explanation: String {
            if zeroFilled { return "the file ends in \(present) zero bytes where a record should be" }
            if let expected { return "the file ends \(present) bytes into a record of \(expected) bytes" }
            return "the file ends \(present) bytes into a \(RecordFormat.headerSize)-byte record header"
        }
    }

    /// What a scan found: the intact records and, if the file ends in the middle of one, where.
    struct Scan {
        var records: [Record] = []
        var tornTail: TornTail?
        /// The offset just past the last intact record.
        var goodLength: Int
    }

    /// Checks the magic and every record's framing and checksum.
    ///
    /// Throws `.corruptRecord` naming the offset for a bad length or checksum. A record cut short at the end of
    /// the file is returned as `tornTail` (the caller decides whether that is acceptable); so is a tail of zero
    /// bytes, which some filesystems leave when the file size reached the disk before the data did.
    static func scan(_ bytes: [UInt8], path: String, magic: [UInt8], what: String) throws(StoreError) -> Scan {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw StoreError(
                .badFile, path: path, "not a podlab \(what) (its first \(magic.count) bytes are not the format's magic)"
            )
        }
        var scan = Scan(goodLength: magic.count)
        var offset = magic.count
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if bytes[offset...].allSatisfy({ $0 == 0 }) {
                scan.tornTail = TornTail(offset: offset, present: remaining, expected: nil, zeroFilled: true)
                return scan
            }
            if remaining < headerSize {
                scan.tornTail = TornTail(offset: offset, present: remaining, expected: nil)
                return scan
            }
            let length = readLE(bytes, offset)
            let check = readLE(bytes, offset + 4)
            guard check == ~length else {
                throw StoreError(
                    .corruptRecord, path: path, offset: offset,
                    "bad length: the header says \(length) but its check word says \(~check)")
            }
            guard length > 0, Int(length) <= maxPayload else {
                throw StoreError(
                    .corruptRecord, path: path, offset: offset,
                    "bad length \(length) (a record holds 1 to \(maxPayload) bytes)")
            }
            let end = offset + headerSize + Int(length)
            if end > bytes.count {
                scan.tornTail = TornTail(offset: offset, present: remaining, expected: headerSize + Int(length))
                return scan
            }
            let payload = bytes[(offset + headerSize)..<end]
            let stored = readLE(bytes, offset + 8)
            let computed = CRC32C.checksum(payload)
            guard stored == computed else {
                throw StoreError(
                    .corruptRecord, path: path, offset: offset,
                    "checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))")
            }
            scan.records.append(Record(offset: offset, payload: payload))
            offset = end
            scan.goodLength = end
        }
        return scan
    }

    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
