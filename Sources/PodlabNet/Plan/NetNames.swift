/// podlab's naming scheme for kernel objects, so `podlab down` finds them by name with no state at all.
///
/// Pure: computes names only. With prefix `podlab`, node namespaces are named like the nodes
/// (`podlab-control-plane`, `podlab-worker`), pods are `podlab_<namespace>_<name>`.
public struct NetNames: Sendable, Hashable {
    public let prefix: String

    /// Validates `prefix`: 1-64 characters of `[A-Za-z0-9.-]` (no `_`, which separates pod name parts).
    public init(prefix: String) throws(NameError) {
        func fail(_ problem: String) -> NameError { NameError(kind: "prefix", name: prefix, problem: problem) }
        if prefix.isEmpty { throw fail("must not be empty") }
        if prefix.count > 64 { throw fail("must be at most 64 characters") }
        if !prefix.unicodeScalars.allSatisfy({ NetnsName.isAllowed($0) && $0 != "_" }) {
            throw fail("may contain only letters, digits, '.' and '-'")
        }
        self.prefix = prefix
    }

    /// The netns holding the node network's bridge: `<prefix>-wire`.
    public var wire: NetnsName { NetnsName(checked: prefix + "-wire") }

    /// The netns playing the user's laptop on the wire: `<prefix>-outside`.
    public var outside: NetnsName { NetnsName(checked: prefix + "-outside") }

    /// A node's netns: `<prefix>-<node>` with a leading `podlab-` dropped from the node name, so prefix
    /// `podlab` names node `podlab-worker`'s netns `podlab-worker`.
    public func node(_ nodeName: String) -> NetnsName {
        var rest = Substring(nodeName)
        if rest.hasPrefix("podlab-") { rest = rest.dropFirst("podlab-".count) }
        return NetNames.bounded(prefix + "-" + NetNames.sanitized(rest))
    }

    /// A pod's netns: `<prefix>_<namespace>_<name>`. Kubernetes names never contain `_`, so the parts
    /// cannot run into each other. Names over 200 characters are cut and end in a hash of the full name.
    public func pod(namespace: String, name: String) -> NetnsName {
        NetNames.bounded(prefix + "_" + NetNames.sanitized(namespace[...]) + "_" + NetNames.sanitized(name[...]))
    }

    /// The node-side veth of a pod: `plv` + 8 hex digits of FNV-1a(uid). Stable across restarts, and
    /// unique inside its node netns (the only place it lives) as long as UIDs are.
    public func hostVeth(podUID: String) -> InterfaceName {
        NetNames.hostVeth(podUID: podUID)
    }

    /// See `hostVeth(podUID:)`; the name does not depend on the prefix.
    public static func hostVeth(podUID: String) -> InterfaceName {
        InterfaceName(known: "plv" + hex8(fnv1a32(podUID)))
    }

    /// Whether a `/run/netns` entry belongs to this prefix: it starts with `<prefix>-` or `<prefix>_`.
    public func owns(_ netnsName: String) -> Bool {
        netnsName.hasPrefix(prefix + "-") || netnsName.hasPrefix(prefix + "_")
    }

    /// Whether `netnsName` is a pod netns of this prefix (`<prefix>_...`).
    public func isPod(_ netnsName: String) -> Bool { netnsName.hasPrefix(prefix + "_") }

    // MARK: - Helpers

    /// Replaces characters a netns file name may not hold with `-` (Kubernetes names never need it).
    static func sanitized(_ s: Substring) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { NetnsName.isAllowed($0) ? $0 : "-" }))
    }

    /// Cuts names over 200 characters to 191 and appends `-` + 8 hex digits of the full name's hash.
    static func bounded(_ name: String) -> NetnsName {
        if name.count <= NetnsName.maxLength { return NetnsName(checked: name) }
        let keep = NetnsName.maxLength - 9
        return NetnsName(checked: String(name.prefix(keep)) + "-" + hex8(fnv1a32(name)))
    }

    /// 32-bit FNV-1a over the UTF-8 bytes: tiny, stable across runs and platforms (unlike `Hasher`).
    static func fnv1a32(_ s: String) -> UInt32 {
        var h: UInt32 = 0x811c_9dc5
        for b in s.utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }

    static func hex8(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
