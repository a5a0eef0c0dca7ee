import CCap

/// The capabilities podlab's privileged layer needs, checked with libcap before anything is touched.
public enum Capabilities {
    /// Missing capabilities, printed as one line the CLI can show after `error: `.
    public struct MissingError: Error, CustomStringConvertible, Equatable, Sendable {
        public var missing: [String]
        public var description: String {
            "podlab needs CAP_NET_ADMIN and CAP_SYS_ADMIN (missing: \(missing.joined(separator: ", "))); run it with sudo"
        }
    }

    /// Throws `MissingError` unless CAP_NET_ADMIN (links, addresses, routes, sysctls) and CAP_SYS_ADMIN
    /// (setns, unshare, mount) are in the process's effective set. Reads only; changes nothing.
    public static func check() throws {
        let missing = self.missing()
        if !missing.isEmpty { throw MissingError(missing: missing) }
    }

    /// The names of the needed capabilities that are not effective now.
    public static func missing() -> [String] {
        guard let caps = cap_get_proc() else { return ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"] }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        var result: [String] = []
        for (name, cap) in [("CAP_NET_ADMIN", CAP_NET_ADMIN), ("CAP_SYS_ADMIN", CAP_SYS_ADMIN)] {
            var value = CAP_CLEAR
            if cap_get_flag(caps, cap_value_t(cap), CAP_EFFECTIVE, &value) != 0 || value != CAP_SET {
                result.append(name)
            }
        }
        return result
    }
}
