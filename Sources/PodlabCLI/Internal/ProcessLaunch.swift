import CPodlabShim
import Foundation
import PodlabAPI

/// posix_spawn with the stdio layouts streams need: three pipes, or a pseudo-terminal's slave as fds 0-2 of a
/// new session (opened after setsid, so it becomes the controlling terminal).
enum ProcessLaunch {
    /// glibc's POSIX_SPAWN_SETSID (2.26+), which Swift's Glibc module does not export.
    static let spawnSetsid: Int16 = 0x80

    struct Started {
        var pid: Int32
        /// Parent ends: stdin (write), stdout and stderr (read). With a tty all three are the pty master (stderr nil).
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32?
        var ptyMaster: Int32?
    }

    /// A pipe whose ends are close-on-exec (pipe2 is not exported; the child gets its ends through dup2, which
    /// clears the flag on the copies).
    static func pipePair() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CLIError("pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// Opens a pty: the master (close-on-exec) and the slave's path.
    static func openPTY() throws -> (master: Int32, slavePath: String) {
        var name = [CChar](repeating: 0, count: 128)
        let master = podlab_openpty(&name, name.count)
        guard master >= 0 else { throw CLIError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))") }
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return (master, String(decoding: bytes, as: UTF8.self))
    }

    /// Starts `path` with `argv` and `env` in a new session, all signals default and unblocked. With `tty`, fds
    /// 0-2 are a new pty's slave; otherwise pipes (`stdinFromNull` gives it /dev/null instead of a stdin pipe).
    static func spawn(path: String, argv: [String], env: [String], tty: Bool, stdinFromNull: Bool = false) throws
        -> Started
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The daemon and the shim block or handle signals for their own use; the child must not inherit that.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | spawnSetsid)

        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        let started: Started
        if tty {
            let (master, slave) = try openPTY()
            parentEnds = [master]
            // glibc applies setsid before the file actions, so opening the slave without O_NOCTTY here makes it
            // the session's controlling terminal.
            posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
            started = Started(pid: 0, stdin: master, stdout: master, stderr: nil, ptyMaster: master)
        } else {
            let out = try pipePair()
            let err = try pipePair()
            var stdinWrite: Int32 = -1
            if stdinFromNull {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            } else {
                let input = try pipePair()
                posix_spawn_file_actions_adddup2(&actions, input.read, 0)
                stdinWrite = input.write
                parentEnds.append(input.write)
                childEnds.append(input.read)
            }
            posix_spawn_file_actions_adddup2(&actions, out.write, 1)
            posix_spawn_file_actions_adddup2(&actions, err.write, 2)
            parentEnds += [out.read, err.read]
            childEnds += [out.write, err.write]
            started = Started(pid: 0, stdin: stdinWrite, stdout: out.read, stderr: err.read, ptyMaster: nil)
        }
        var pid: pid_t = 0
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup($0) } + [nil]
        defer {
            cargs.forEach { free($0) }
            cenv.forEach { free($0) }
        }
        let rc = posix_spawn(&pid, path, &actions, &attr, cargs, cenv)
        childEnds.forEach { close($0) }
        guard rc == 0 else {
            parentEnds.forEach { close($0) }
            throw CLIError("cannot start \(path): \(String(cString: strerror(rc)))")
        }
        var result = started
        result.pid = pid
        return result
    }

    /// Finds `name` as execvp would, in `path` (a PATH value): a name with a slash is used as is.
    static func lookup(_ name: String, path: String?) -> String? {
        if name.contains("/") { return name }
        let dirs = (path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":")
        for dir in dirs {
            let candidate = "\(dir.isEmpty ? "." : String(dir))/\(name)"
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}

/// The daemon's `StreamProcessSpawner`: starts `podlab internal nsexec ...` for pods/exec.
public struct NSExecSpawner: StreamProcessSpawner {
    public init() {}

    /// Starts `argv` in a new session with pipes, or a pty slave as stdio when `tty`. Throws when it cannot.
    public func spawn(_ argv: [String], tty: Bool) throws -> StreamProcess {
        let env = ProcessInfo.processInfo.environment.filter { $0.key == "PATH" }.map { "\($0.key)=\($0.value)" }
        let s = try ProcessLaunch.spawn(path: argv[0], argv: argv, env: env, tty: tty)
        let master = s.ptyMaster
        return StreamProcess(
            pid: s.pid, stdin: s.stdin, stdout: s.stdout, stderr: s.stderr,
            resize: { width, height in
                if let master { _ = podlab_set_winsize(master, height, width) }
            })
    }
}
