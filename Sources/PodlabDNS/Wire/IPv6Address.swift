import PodlabModel

/// An IPv6 address as 16 bytes in two big-endian halves: the rdata of an AAAA record (RFC 3596), kept without
/// heap storage so a snapshot of dual-stack endpoints stays compact.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses RFC 4291 §2.2 text: eight groups of up to 4 hex digits, one `::` for a run of zero groups, and an
    /// optional dotted IPv4 tail (`::ffff:10.0.0.1`). No zone (`%eth0`) and no brackets.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var i = 0
        // A leading "::" is the gap itself; a single leading ":" is malformed.
        if utf8[0] == UInt8(ascii: ":") {
            guard utf8[1] == UInt8(ascii: ":") else { return nil }
            sawGap = true
            i = 2
        }
        while i < utf8.count {
            // An IPv4 tail: the rest has a dot before any further colon.
            if let dot = utf8[i...].firstIndex(of: UInt8(ascii: ".")),
                !utf8[i..<dot].contains(UInt8(ascii: ":"))
            {
                guard let v4 = IPv4Address(String(decoding: utf8[i...], as: UTF8.self)) else { return nil }
                let groups = [UInt16(truncatingIfNeeded: v4.value >> 16), UInt16(truncatingIfNeeded: v4.value)]
                if sawGap { tail += groups } else { head += groups }
                i = utf8.count
                break
            }
            var value: UInt16 = 0
            var digits = 0
            while i < utf8.count, let nibble = Self.hexValue(utf8[i]) {
                guard digits < 4 else { return nil }
                value = value << 4 | UInt16(nibble)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if sawGap { tail.append(value) } else { head.append(value) }
            if i == utf8.count { break }
            guard utf8[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < utf8.count, utf8[i] == UInt8(ascii: ":") {
                guard !sawGap else { return nil }
                sawGap = true
                i += 1
            } else if i == utf8.count {
                return nil  // a trailing single ":"
            }
        }
        let total = head.count + tail.count
        guard sawGap ? total <= 7 : total == 8 else { return nil }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for g in groups[0..<4] { high = high << 16 | UInt64(g) }
        for g in groups[4..<8] { low = low << 16 | UInt64(g) }
        self.init(high: high, low: low)
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
        }
        return out
    }

    /// The eight 16-bit groups.
    var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * $0)) }
    }

    /// RFC 5952 text: lower-case hex, no leading zeros, the longest run of two or more zero groups as `::`
    /// (the first such run on a tie).
    public var description: String {
        let g = groups
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for i in 0...8 {
            if i < 8, g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String { g[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The reverse-lookup names of addresses (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa nibbles).
enum ReverseName {
    static let inAddrArpa = DNSName(uncheckedWire: [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0])
    static let ip6Arpa = DNSName(uncheckedWire: [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0])

    /// `d.c.b.a.in-addr.arpa` for `a.b.c.d`.
    static func of(_ ip: IPv4Address) -> DNSName {
        var labels: [String] = []
        for shift in [0, 8, 16, 24] { labels.append(String(ip.value >> UInt32(shift) & 0xFF)) }
        return DNSName(labels: labels + ["in-addr", "arpa"]) ?? inAddrArpa
    }

    /// 32 nibble labels, lowest nibble first, then `ip6.arpa`.
    static func of(_ ip: IPv6Address) -> DNSName {
        var labels: [String] = []
        for half in [ip.low, ip.high] {
            for shift in stride(from: 0, to: 64, by: 4) {
                labels.append(String(half >> UInt64(shift) & 0xF, radix: 16))
            }
        }
        return DNSName(labels: labels + ["ip6", "arpa"]) ?? ip6Arpa
    }
}
