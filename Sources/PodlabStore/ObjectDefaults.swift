#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The values kube-apiserver fills in on create: uid, creationTimestamp, generated names.
enum ObjectDefaults {
    /// A random (version 4) UUID in lower case, as kube-apiserver's `uuid.NewUUID` gives.
    static func uuid<G: RandomNumberGenerator>(using rng: inout G) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }

    /// RFC 3339 in UTC with second precision (`2024-05-01T09:30:00Z`), as metav1.Time serialises.
    static func timestamp(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(parts.tm_year + 1900)
        return "\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):"
            + "\(two(parts.tm_sec))Z"
    }

    /// apiserver's names.SimpleNameGenerator alphabet: no vowels and no 0/1/3, so generated suffixes never spell
    /// words and are not confused with l/I/E.
    static let suffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")
    /// Names are at most 63 characters; the suffix takes 5, so the base keeps at most 58.
    static let maxGenerateNameBase = 58

    /// `base` (cut to 58 characters) followed by 5 random characters.
    static func generatedName<G: RandomNumberGenerator>(_ base: String, using rng: inout G) -> String {
        let prefix = String(base.prefix(maxGenerateNameBase))
        return prefix
            + String((0..<5).map { _ in suffixAlphabet[Int.random(in: 0..<suffixAlphabet.count, using: &rng)] })
    }
}
