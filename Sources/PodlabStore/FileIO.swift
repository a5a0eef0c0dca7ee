#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX file calls persistence needs, each turning a failure into a `StoreError` naming the path.
///
/// Plain `open`/`write`/`fsync`/`rename` rather than FileHandle, because durability depends on exactly which calls
/// are made and in what order, and errno must be read right after each one.
enum FileIO {
    /// Files hold Secrets: owner read/write only.
    static let fileMode: mode_t = 0o600
    /// The state directory: owner only.
    static let directoryMode: mode_t = 0o700

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Creates `path` and any missing parents with mode 0700; an existing directory is left as it is.
    static func makeDirectory(_ path: String) throws(StoreError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw StoreError(.badFile, path: path, "not a directory") }
            return
        }
        let parent = parentDirectory(of: path)
        if parent != path, !parent.isEmpty, !exists(parent) { try makeDirectory(parent) }
        if mkdir(path, directoryMode) != 0, errno != EEXIST { throw .syscall("mkdir", path: path) }
    }

    /// The directory part of `path` ("/a/b" for "/a/b/c", "." for "c").
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Opens `path` with `flags`, creating it with mode 0600 when `O_CREAT` is among them.
    static func openFile(_ path: String, _ flags: Int32) throws(StoreError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC, fileMode)
        if fd < 0 { throw .syscall("open", path: path) }
        return fd
    }

    /// close(2), ignoring its result: nothing useful can be done about a failed close of a synced file.
    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    /// The whole content of `path`, or nil when it does not exist.
    static func readAll(_ path: String) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .syscall("open", path: path)
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw .syscall("fstat", path: path) }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { buf in read(fd, buf.baseAddress.map { $0 + done }, buf.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .syscall("read", path: path)
            }
            if n == 0 { break }  // shrank under us; the scanner sees a short file
            done += n
        }
        if done < out.count { out.removeLast(out.count - done) }
        return out
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buf in write(fd, buf.baseAddress.map { $0 + done }, buf.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .syscall("write", path: path)
            }
            done += n
        }
    }

    /// fsync(2) on an open file.
    static func fsyncFile(_ fd: Int32, path: String) throws(StoreError) {
        if fsync(fd) != 0 { throw .syscall("fsync", path: path) }
    }

    /// Makes a rename or a new file in `directory` durable: the directory entry lives in the directory's own
    /// blocks, which the file's fsync does not write.
    static func syncDirectory(_ directory: String) throws(StoreError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .syscall("open", path: directory) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .syscall("fsync", path: directory) }
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync'ed, renamed over `path`, then the directory
    /// fsync'ed. After a crash, `path` holds either the old content or all of the new.
    static func replaceAtomically(_ path: String, with chunks: [[UInt8]], sync: Bool) throws(StoreError) {
        let temp = path + ".tmp"
        let fd = try openFile(temp, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            for chunk in chunks { try writeAll(fd, chunk, path: temp) }
            if sync { try fsyncFile(fd, path: temp) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        if rename(temp, path) != 0 {
            let failure = StoreError.syscall("rename to \(path)", path: temp)
            unlink(temp)
            throw failure
        }
        if sync { try syncDirectory(parentDirectory(of: path)) }
    }
}
