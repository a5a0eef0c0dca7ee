import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What podlab has created in the kernel (or is about to), so `podlab down` can remove it after a
/// crash even when names changed. Written before each creation (containerization's BridgeStateFile).
struct NetworkState: Codable, Equatable, Sendable {
    /// Network namespace names, in creation order.
    var netns: [String] = []

    /// Reads the file; a missing or unreadable file is an empty state (cleanup then goes by prefix).
    static func load(_ path: String) -> NetworkState {
        guard let data = FileManager.default.contents(atPath: path),
            let state = try? JSONDecoder().decode(NetworkState.self, from: data)
        else { return NetworkState() }
        return state
    }

    /// Writes the file atomically (temp file + rename), creating its directory (0700).
    func save(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            try FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw KernelError(call: "write", subject: tmp, errno: Glibc.errno) }
        if rename(tmp, path) != 0 { throw KernelError.fromErrno("rename", path) }
    }
}
