#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A persistence failure: a damaged or unreadable state file, or a failed system call.
///
/// Printed as `/var/lib/podlab/state/wal.log: record at offset 4096: checksum mismatch (stored 0x1c2a9f03,
/// computed 0x5e01aa7c)`, so the operator knows which file, where, and what is wrong.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for callers that react differently (offer `repair`, or report a busy directory).
    public enum Kind: Sendable, Equatable {
        /// A record failed its checks (checksum, length, JSON, resource, order); `ClusterStore.repair` can cut it off.
        case corruptRecord
        /// A file that is not what it should be as a whole (bad magic, missing file, incomplete snapshot).
        case badFile
        /// A system call failed.
        case io
        /// Another process holds the state directory.
        case inUse
        /// An earlier write failed and could not be undone, so the store refuses further writes.
        case failed
    }

    public var kind: Kind
    /// The file (or directory) concerned.
    public var path: String
    /// The byte offset of the record concerned, when there is one.
    public var offset: Int?
    /// What is wrong, in words.
    public var problem: String

    public init(_ kind: Kind, path: String, offset: Int? = nil, _ problem: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        if let offset { return "\(path): record at offset \(offset): \(problem)" }
        return "\(path): \(problem)"
    }

    /// A failed system call; reads `errno`, so call it on the line right after the call.
    static func syscall(_ call: String, path: String) -> StoreError {
        let code = errno
        return StoreError(.io, path: path, "\(call) failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}
