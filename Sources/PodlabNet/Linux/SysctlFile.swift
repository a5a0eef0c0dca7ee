#if canImport(Glibc)
    import Glibc
#endif

/// Reads and writes `/proc/sys` files. `/proc/sys/net` resolves against the netns of the thread that
/// *opens* the file, so these run on a thread that has entered the namespace (dataplane-notes gotcha 12).
enum SysctlFile {
    /// Writes each sysctl; a missing file is skipped when `onlyIfPresent`, an error otherwise.
    static func write(_ list: [Sysctl], netns: String) throws {
        for s in list {
            let fd = open(s.procPath, O_WRONLY | O_CLOEXEC)
            if fd < 0 {
                let code = Glibc.errno
                if code == ENOENT && s.onlyIfPresent { continue }
                throw KernelError(call: "open(O_WRONLY)", subject: "\(s.procPath) in netns \(netns)", errno: code)
            }
            defer { close(fd) }
            let text = s.value + "\n"
            let n = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, text.utf8.count) }
            if n < 0 {
                throw KernelError.fromErrno("write \(s.value)", "\(s.procPath) in netns \(netns)")
            }
        }
    }

    /// The value of `/proc/sys/<path>` without the trailing newline, or nil when the file is missing.
    static func read(_ path: String, netns: String) throws -> String? {
        let full = "/proc/sys/" + path
        let fd = open(full, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = Glibc.errno
            if code == ENOENT { return nil }
            throw KernelError(call: "open(O_RDONLY)", subject: "\(full) in netns \(netns)", errno: code)
        }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw KernelError.fromErrno("read", "\(full) in netns \(netns)") }
        var text = String(decoding: buf[0..<n], as: UTF8.self)
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
