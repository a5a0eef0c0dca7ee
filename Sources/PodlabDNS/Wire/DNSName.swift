/// A domain name in uncompressed wire form: length-prefixed labels ending with the root's zero byte, in the case
/// it was given. Equality is byte equality, so tests can see whether a reply echoed the question's case; DNS
/// matching itself is case-insensitive (RFC 4343) and goes through `key` or `isEqualIgnoringCase`.
///
/// Wire form is what the codec reads and writes and what the record snapshot stores, so answering a query never
/// converts names to `String`.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels as `len, bytes…` runs, then a zero byte. Never longer than 255 bytes, no label longer than 63.
    public let wire: [UInt8]

    /// Wraps bytes the caller has already checked (the reader and the builders below).
    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// The root name, `.`.
    public static let root = DNSName(uncheckedWire: [0])

    /// Parses dotted text (`kubernetes.default.svc.cluster.local`, a trailing dot optional). Nil for an empty
    /// label, a label over 63 bytes or a name over 255 bytes in wire form. No `\` escapes: podlab's names come
    /// from Kubernetes objects, which cannot contain dots or odd bytes inside a label.
    public init?(_ text: String) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        self.init(labels: body.split(separator: ".", omittingEmptySubsequences: false))
    }

    /// A name from its labels, most specific first. Nil for an empty or over-long label or an over-long name.
    public init?<S: StringProtocol>(labels: [S]) {
        var out: [UInt8] = []
        out.reserveCapacity(labels.reduce(1) { $0 + $1.utf8.count + 1 })
        for label in labels {
            let count = label.utf8.count
            guard count > 0, count <= DNSLimits.maxLabelLength else { return nil }
            out.append(UInt8(count))
            out.append(contentsOf: label.utf8)
        }
        out.append(0)
        guard out.count <= DNSLimits.maxNameLength else { return nil }
        self.wire = out
    }

    /// The number of labels, the root not counted (`cluster.local` has 2).
    public var labelCount: Int {
        var count = 0
        var i = 0
        while wire[i] != 0 {
            count += 1
            i += Int(wire[i]) + 1
        }
        return count
    }

    /// The labels' bytes, most specific first.
    public var labels: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            out.append(wire[(i + 1)..<(i + 1 + length)])
            i += length + 1
        }
        return out
    }

    /// The same name with ASCII letters folded to lower case (RFC 4343: only A-Z fold).
    public var lowercased: DNSName { DNSName(uncheckedWire: Self.lowercase(wire)) }

    /// The case-insensitive identity of the name, used as the snapshot's dictionary key.
    var key: DNSNameKey { DNSNameKey(lowercasedWire: Self.lowercase(wire)) }

    public func isEqualIgnoringCase(_ other: DNSName) -> Bool {
        wire.count == other.wire.count && Self.equalIgnoringCase(wire[...], other.wire[...])
    }

    /// True when this name is `other` or below it, compared label-aligned and ignoring case.
    public func isSubdomain(of other: DNSName) -> Bool { suffixOffset(matching: other) != nil }

    /// The byte offset in `wire` where `suffix` starts, when this name ends with it on a label boundary.
    func suffixOffset(matching suffix: DNSName) -> Int? {
        let start = wire.count - suffix.wire.count
        guard start >= 0 else { return nil }
        var i = 0
        while i < start { i += Int(wire[i]) + 1 }
        guard i == start, Self.equalIgnoringCase(wire[start...], suffix.wire[...]) else { return nil }
        return start
    }

    /// This name with `label` in front (`svc` + `cluster.local`). Nil when the result would break a limit.
    public func prepending(_ label: some StringProtocol) -> DNSName? {
        let count = label.utf8.count
        guard count > 0, count <= DNSLimits.maxLabelLength, wire.count + count + 1 <= DNSLimits.maxNameLength
        else { return nil }
        var out: [UInt8] = [UInt8(count)]
        out.reserveCapacity(wire.count + count + 1)
        out.append(contentsOf: label.utf8)
        out.append(contentsOf: wire)
        return DNSName(uncheckedWire: out)
    }

    /// This name's labels followed by `suffix`'s (`kube-dns.kube-system` + `svc.cluster.local`).
    public func appending(_ suffix: DNSName) -> DNSName? {
        guard wire.count - 1 + suffix.wire.count <= DNSLimits.maxNameLength else { return nil }
        return DNSName(uncheckedWire: Array(wire.dropLast()) + suffix.wire)
    }

    /// The name below the first `count` labels (`a.b.c` dropping 1 is `b.c`).
    public func droppingFirst(_ count: Int) -> DNSName {
        var i = 0
        for _ in 0..<count where wire[i] != 0 { i += Int(wire[i]) + 1 }
        return DNSName(uncheckedWire: Array(wire[i...]))
    }

    /// Dotted text with the trailing dot, as dig prints it. A `.` or `\` inside a label is written `\.` or `\\`,
    /// bytes outside printable ASCII as `\DDD` (RFC 1035 §5.1).
    public var description: String {
        if wire.count == 1 { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "\\") {
                    text += "\\" + String(Unicode.Scalar(byte))
                } else if byte > 0x20, byte < 0x7F {
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
        }
        return text
    }

    // MARK: - Byte helpers

    @inline(__always) static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    static func lowercase(_ bytes: [UInt8]) -> [UInt8] {
        // Most names arrive in lower case already: reuse the array instead of copying it.
        guard bytes.contains(where: { $0 &- 0x41 < 26 }) else { return bytes }
        return bytes.map(lower)
    }

    /// Compares two runs of wire bytes ignoring ASCII case. Length bytes are ≤ 63, so folding never changes them.
    static func equalIgnoringCase(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex {
            if a[i] != b[j], lower(a[i]) != lower(b[j]) { return false }
            i += 1
            j += 1
        }
        return true
    }
}

/// A name folded to lower case, in wire form: the key the record snapshot is indexed by. Hashing feeds the bytes
/// to the hasher in one call rather than element by element.
struct DNSNameKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(lowercasedWire: [UInt8]) { self.bytes = lowercasedWire }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
    static func == (a: DNSNameKey, b: DNSNameKey) -> Bool { a.bytes == b.bytes }
}
