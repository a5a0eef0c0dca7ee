/// The name of a pinned network namespace: a file name under `/run/netns`, made of `[A-Za-z0-9_.-]`,
/// 1-200 characters, not `.` or `..`.
public struct NetnsName: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public static let maxLength = 200
    /// Where iproute2 (and so podlab) pins network namespaces, so `ip netns exec NAME` works.
    public static let runDirectory = "/run/netns"

    /// Validates `name`; throws `NameError` when it is not a safe file name under /run/netns.
    public init(_ name: String) throws(NameError) {
        func fail(_ problem: String) -> NameError { NameError(kind: "netns name", name: name, problem: problem) }
        if name.isEmpty { throw fail("must not be empty") }
        if name.count > NetnsName.maxLength { throw fail("must be at most \(NetnsName.maxLength) characters") }
        if name == "." || name == ".." { throw fail("must not be . or ..") }
        if !name.unicodeScalars.allSatisfy(NetnsName.isAllowed) {
            throw fail("may contain only letters, digits, '_', '.' and '-'")
        }
        rawValue = name
    }

    /// For names already checked (built by `NetNames` from validated parts).
    init(checked name: String) { rawValue = name }

    static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": return true
        default: return false
        }
    }

    /// `/run/netns/<name>`: the bind mount that keeps the namespace alive.
    public var path: String { NetnsName.runDirectory + "/" + rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: NetnsName, b: NetnsName) -> Bool { a.rawValue < b.rawValue }
}
