import Foundation

/// Writes files that hold secrets (keys, kubeconfigs): atomically, mode 0600, optionally owned by another user.
public enum PrivateFile {
    /// Replaces `path` with `contents` atomically: a temp file in the same directory, fsync, then rename.
    ///
    /// The file ends up mode 0600. Its owner is `owner` when given (sudo writing the invoking user's kubeconfig),
    /// otherwise the existing file's owner is kept. A symlink at `path` is followed, so the link stays a link.
    /// Throws `FileError` naming the file and the failing call; on failure the old file is untouched.
    public static func write(_ contents: String, to path: String, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        let target = resolveSymlink(path)
        var existing = stat()
        let exists = lstat(target, &existing) == 0
        let wantedOwner: (uid: uid_t, gid: gid_t)? = owner ?? (exists ? (existing.st_uid, existing.st_gid) : nil)

        let temp = target + ".tmp-\(getpid())"
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: target, call: "open \(temp)", code: errno) }
        var committed = false
        defer {
            if !committed { unlink(temp) }
        }
        do {
            defer { close(fd) }
            let bytes = Array(contents.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw FileError(path: target, call: "write", code: code)
                }
                written += n
            }
            // The umask may have narrowed the open mode; make it exactly 0600.
            guard fchmod(fd, 0o600) == 0 else { throw FileError(path: target, call: "fchmod 0600", code: errno) }
            if let wanted = wantedOwner, wanted.uid != geteuid() || wanted.gid != getegid() {
                guard fchown(fd, wanted.uid, wanted.gid) == 0 else {
                    throw FileError(path: target, call: "fchown \(wanted.uid):\(wanted.gid)", code: errno)
                }
            }
            guard fsync(fd) == 0 else { throw FileError(path: target, call: "fsync", code: errno) }
        }
        guard rename(temp, target) == 0 else { throw FileError(path: target, call: "rename", code: errno) }
        committed = true
    }

    /// Creates directory `path` with `mode` (owned by `owner` if given) unless it exists; an existing one is left
    /// as it is (`~/.kube` is often 0750 on purpose). Only the last component is created.
    public static func ensureDirectory(_ path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw FileError(path: path, problem: "exists and is not a directory")
            }
            return
        }
        guard mkdir(path, mode) == 0 else {
            let code = errno
            if code == EEXIST { return }
            throw FileError(path: path, call: "mkdir", code: code)
        }
        // mkdir's mode is filtered by the umask.
        guard chmod(path, mode) == 0 else { throw FileError(path: path, call: "chmod", code: errno) }
        if let owner {
            guard chown(path, owner.uid, owner.gid) == 0 else {
                throw FileError(path: path, call: "chown \(owner.uid):\(owner.gid)", code: errno)
            }
        }
    }

    /// Follows symlinks at `path` to the file they name (which may not exist yet).
    static func resolveSymlink(_ path: String) -> String {
        var current = path
        // Bounded, as the kernel bounds symlink chains, so a loop can't hang us.
        for _ in 0..<40 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else {
                return current
            }
            current =
                destination.hasPrefix("/")
                ? destination
                : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
        }
        return current
    }
}

/// A file operation that failed, naming the file and the call.
public struct FileError: Error, CustomStringConvertible, Equatable {
    /// The file or directory.
    public var path: String
    /// What went wrong, e.g. `rename failed: Permission denied`.
    public var problem: String
    /// Printed as `/root/.kube/config: rename failed: Permission denied`.
    public var description: String { "\(path): \(problem)" }

    /// Makes an error from a free-text problem.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// Makes an error from a failed call and its errno.
    public init(path: String, call: String, code: Int32) {
        self.init(path: path, problem: "\(call) failed: \(String(cString: strerror(code)))")
    }
}
