/// A network interface name the kernel accepts: 1-15 bytes (IFNAMSIZ 16 with the NUL), not `.` or `..`,
/// no `/`, `:` or whitespace (the rules of the kernel's `dev_valid_name`).
public struct InterfaceName: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Validates `name`; throws `NameError` when the kernel would refuse it.
    public init(_ name: String) throws(NameError) {
        func fail(_ problem: String) -> NameError { NameError(kind: "interface name", name: name, problem: problem) }
        if name.isEmpty { throw fail("must not be empty") }
        if name.utf8.count > 15 { throw fail("must be at most 15 bytes, got \(name.utf8.count)") }
        if name == "." || name == ".." { throw fail("must not be . or ..") }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0.properties.isWhitespace }) {
            throw fail("must not contain '/', ':' or whitespace")
        }
        rawValue = name
    }

    /// For names built from constants and hex digits that are valid by construction.
    init(known name: String) {
        precondition(name.utf8.count <= 15 && !name.isEmpty, "invalid built-in interface name \(name)")
        rawValue = name
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: InterfaceName, b: InterfaceName) -> Bool { a.rawValue < b.rawValue }

    /// The loopback device every netns is born with (down).
    public static let loopback = InterfaceName(known: "lo")
    /// A node's (and the outside's) interface on the wire, and a pod's interface on its node's bridge.
    public static let eth0 = InterfaceName(known: "eth0")
    /// The pod bridge in every node netns, named as flannel/the CNI bridge plugin name it.
    public static let cni0 = InterfaceName(known: "cni0")
    /// The bridge in the wire netns that joins the nodes and the outside.
    public static let br0 = InterfaceName(known: "br0")
}
