import Foundation

/// Starts processes without a shell.
enum Spawn {
    /// The absolute path of the running podlab binary.
    static func selfExecutable() throws -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { throw CLIError("cannot read /proc/self/exe: \(String(cString: strerror(errno)))") }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts `argv` detached from the terminal (a new session), stdin from /dev/null and stdout and stderr
    /// appended to `logFile`. Returns the PID.
    static func detached(_ argv: [String], logFile: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Close every other descriptor: a daemon holding its parent's pipes open would make whoever reads
        // `podlab up`'s output wait forever for end-of-file.
        for fd in openDescriptors() where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // POSIX_SPAWN_SETSID (glibc 2.26+): the daemon leaves the caller's session, so closing the terminal
        // or the sudo session does not hang it up.
        posix_spawnattr_setflags(&attr, Int16(0x80))
        var pid: pid_t = 0
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargs, environ)
        guard rc == 0 else { throw CLIError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// The descriptors open in this process, from /proc/self/fd.
    static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        // The directory listing itself had a descriptor open; it is closed now, and closing a closed
        // descriptor in the child would fail the spawn, so keep only those still open.
        return names.compactMap { Int32($0) }.filter { fcntl($0, F_GETFD) != -1 }
    }
}
