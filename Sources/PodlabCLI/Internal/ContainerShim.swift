import CPodlabShim
import Foundation
import PodlabAPI
import PodlabApps
import PodlabModel
import Synchronization

/// `podlab internal container <runDir>`: the process that is one container. It enters the pod's network
/// namespace, makes its own UTS and mount namespaces (hostname, resolv.conf, hosts), then runs the built-in
/// responder or the container's command, writing container.log, serving attach.sock and, when the main process
/// ends, exit.json. The node agent starts it detached with stdio on /dev/null.
enum ContainerShim {
    static func run(runDir: String) -> Never {
        let launch = PodlabInternal.loadLaunch(runDir)
        // The DNS server's socket to upstream resolvers is made here, in the VM's own network namespace, before
        // the pod's is entered: pods have no route out of the cluster, a node's resolver does.
        let upstreamSocket = launch.builtin == .coredns ? openUpstreamSocket() : nil
        do {
            try enterSandbox(launch)
        } catch {
            PodlabInternal.fail("container \(launch.containerName) of pod \(launch.podName): \(error)", code: 125)
        }
        // SIGTERM and SIGINT are taken with sigwait on a thread of their own; block them before any thread
        // starts, so every thread inherits the mask and none runs a default handler.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let log: CRILogWriter
        do {
            log = try CRILogWriter(path: "\(runDir)/container.log")
            try "\(getpid())\n".write(toFile: "\(runDir)/shim.pid", atomically: true, encoding: .utf8)
        } catch {
            PodlabInternal.fail("container \(launch.containerName): \(error)", code: 125)
        }
        let exit = ExitRecorder(runDir: runDir, startedAt: Date())
        if launch.builtin == .coredns {
            runDNSServer(launch, upstreamSocket: upstreamSocket, log: log, exit: exit, stopSignals: stopSignals)
        }
        if launch.builtin == .ingressNginx {
            runIngressController(launch, log: log, exit: exit, stopSignals: stopSignals)
        }
        if launch.builtin.isResponder {
            runResponder(launch, log: log, exit: exit, stopSignals: stopSignals)
        }
        runCommand(launch, log: log, exit: exit, stopSignals: stopSignals)
    }

    // MARK: - Sandbox

    /// Joins the pod's netns, unshares UTS and mount namespaces, hides other pods' netns pins, sets the
    /// hostname and binds the pod's resolv.conf and hosts. Must run while the process has one thread.
    static func enterSandbox(_ launch: ContainerLaunch) throws {
        func check(_ rc: Int32, _ call: String, _ subject: String) throws {
            guard rc == 0 else { throw CLIError("\(call) on \(subject): \(String(cString: strerror(errno)))") }
        }
        let netns = open(launch.netnsPath, O_RDONLY | O_CLOEXEC)
        guard netns >= 0 else { throw CLIError("open \(launch.netnsPath): \(String(cString: strerror(errno)))") }
        try check(podlab_setns(netns, PODLAB_CLONE_NEWNET), "setns(CLONE_NEWNET)", launch.netnsPath)
        close(netns)
        try check(podlab_unshare(PODLAB_CLONE_NEWUTS | PODLAB_CLONE_NEWNS), "unshare(UTS|NS)", "the shim")
        // Private propagation first, so nothing below leaks back into the host's mount namespace.
        try check(podlab_mount(nil, "/", nil, PODLAB_MS_REC | PODLAB_MS_PRIVATE, nil), "mount(MS_PRIVATE)", "/")
        // The new mount namespace copied every netns bind mount under /run/netns; each copy would keep that
        // network namespace alive after `ip netns delete`, for as long as this pod runs. Drop our copies.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [] {
            _ = podlab_umount2("/run/netns/\(name)", PODLAB_MNT_DETACH)
        }
        let host = Array(launch.hostname.utf8)
        try check(host.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { podlab_sethostname($0.baseAddress, $0.count) }
        }, "sethostname", launch.hostname)
        try check(
            podlab_mount(launch.resolvConfPath, "/etc/resolv.conf", nil, PODLAB_MS_BIND, nil), "bind mount",
            "\(launch.resolvConfPath) over /etc/resolv.conf")
        try check(
            podlab_mount(launch.hostsPath, "/etc/hosts", nil, PODLAB_MS_BIND, nil), "bind mount",
            "\(launch.hostsPath) over /etc/hosts")
    }

    // MARK: - Responder

    /// Runs the built-in responder until it fails or SIGTERM stops it (exit 0, as nginx does on SIGTERM).
    static func runResponder(_ launch: ContainerLaunch, log: CRILogWriter, exit: ExitRecorder, stopSignals: sigset_t)
        -> Never
    {
        runServer(log: log, exit: exit, stopSignals: stopSignals) {
            try await Responders.run(launch) { line in log.write(Array(line.utf8), stream: "stdout") }
        }
    }

    /// Runs an async server until it returns or fails (exit 1 with its error in the log), or until SIGTERM stops
    /// the container (exit 0). This process has nothing else to do, so the main thread just waits for it.
    static func runServer(
        log: CRILogWriter, exit: ExitRecorder, stopSignals: sigset_t, _ body: @escaping @Sendable () async throws -> Void
    ) -> Never {
        waitForStopSignal(stopSignals) { _ in exit.finish(code: 0, signal: nil, message: nil) }
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        Task.detached {
            do {
                try await body()
            } catch {
                log.write(Array("\(error)".utf8), stream: "stderr")
                failure.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        done.wait()
        let message = failure.withLock { $0 }
        exit.finish(code: message == nil ? 0 : 1, signal: nil, message: message)
    }

    // MARK: - Command

    /// Starts the container's command with pipes (or a pty), copies its output into the log and to attachers,
    /// forwards SIGTERM to it, and exits with its code.
    static func runCommand(_ launch: ContainerLaunch, log: CRILogWriter, exit: ExitRecorder, stopSignals: sigset_t)
        -> Never
    {
        let argv = launch.shellArgv
        let dir = launch.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        guard chdir(dir) == 0 else {
            let message = "chdir to \(dir): \(String(cString: strerror(errno)))"
            log.write(Array(message.utf8), stream: "stderr")
            exit.finish(code: 128, signal: nil, message: message)
        }
        guard let path = ProcessLaunch.lookup(argv[0], path: launch.env.last(where: { $0.name == "PATH" })?.value)
        else {
            let message = "exec: \"\(argv[0])\": executable file not found in $PATH"
            log.write(Array(message.utf8), stream: "stderr")
            exit.finish(code: 127, signal: nil, message: message)
        }
        var env = launch.env.map { "\($0.name)=\($0.value)" }
        if launch.tty, !launch.env.contains(where: { $0.name == "TERM" }) { env.append("TERM=xterm") }
        let child: ProcessLaunch.Started
        do {
            child = try ProcessLaunch.spawn(
                path: path, argv: argv, env: env, tty: launch.tty, stdinFromNull: !launch.stdin && !launch.tty)
        } catch {
            log.write(Array("\(error)".utf8), stream: "stderr")
            exit.finish(code: 128, signal: nil, message: "\(error)")
        }
        let hub = AttachHub(stdin: launch.stdin || launch.tty ? child.stdin : nil, ptyMaster: child.ptyMaster,
                            stdinOnce: launch.stdinOnce)
        exit.onFinish { code in hub.broadcast(.exit(Int32(code))) }
        if launch.stdin || launch.tty {
            do {
                try hub.listen(path: "\(launch.runDir)/attach.sock")
            } catch {
                log.write(Array("attach: \(error)".utf8), stream: "stderr")
            }
        }
        let readers = DispatchGroup()
        func copy(_ fd: Int32, stream: String) {
            readers.enter()
            let splitter = LineSplitter { content, partial in log.write(content, stream: stream, partial: partial) }
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 32 * 1024)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        let chunk = Array(buffer[..<n])
                        splitter.feed(chunk)
                        hub.broadcast(stream == "stderr" ? .stderr(chunk) : .stdout(chunk))
                    } else if n < 0, errno == EINTR {
                        continue
                    } else {
                        break
                    }
                }
                splitter.finish()
                readers.leave()
            }
        }
        copy(child.stdout, stream: "stdout")
        if let err = child.stderr { copy(err, stream: "stderr") }
        // SIGTERM (the node agent stopping the pod) goes to the command's process group (it leads a session of
        // its own), which decides how to end.
        waitForStopSignal(stopSignals) { signal in _ = kill(-child.pid, signal) }
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0, errno == EINTR {}
        // A container ends with its main process: what it left running in its group goes too, as when a
        // runtime tears down the container's cgroup.
        _ = kill(-child.pid, SIGKILL)
        // Output still in the pipes belongs in the log. A background process holding them open must not keep a
        // dead container alive, hence the bound.
        _ = readers.wait(timeout: .now() + 2)
        let signal = status & 0x7f
        let code = signal == 0 ? Int((status >> 8) & 0xff) : 128 + Int(signal)
        exit.finish(code: code, signal: signal == 0 ? nil : Int(signal), message: nil)
    }

    /// Starts a thread that waits for SIGTERM or SIGINT (blocked in every thread) and calls `handler` each time.
    static func waitForStopSignal(_ set: sigset_t, _ handler: @escaping @Sendable (Int32) -> Void) {
        Thread.detachNewThread {
            var wanted = set
            while true {
                var signal: Int32 = 0
                if sigwait(&wanted, &signal) == 0 { handler(signal) }
            }
        }
    }
}

// MARK: - Log

/// Appends CRI records to container.log. Writes from several threads are serialised by the lock, so records
/// never interleave.
final class CRILogWriter: Sendable {
    private let fd: Mutex<Int32>

    init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw CLIError("open \(path): \(String(cString: strerror(errno)))") }
        self.fd = Mutex(fd)
    }

    /// Writes one record: `content` without its newline, `partial` for a piece of a longer line.
    func write(_ content: [UInt8], stream: String, partial: Bool = false) {
        let record = CRILog.format(content, stream: stream, partial: partial, at: Date())
        fd.withLock { fd in
            var offset = 0
            while offset < record.count {
                let n = record[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

/// Splits a byte stream into log lines: each complete line is an F record; a line longer than the buffer is
/// written in P pieces (containerd's 16 KiB), and what is left at end-of-file becomes a last F record.
final class LineSplitter: Sendable {
    static let maxLine = 16 * 1024
    private let pending = Mutex<[UInt8]>([])
    private let emit: @Sendable ([UInt8], Bool) -> Void

    init(emit: @escaping @Sendable (_ content: [UInt8], _ partial: Bool) -> Void) { self.emit = emit }

    func feed(_ bytes: [UInt8]) {
        let records: [([UInt8], Bool)] = pending.withLock { buf in
            buf.append(contentsOf: bytes)
            var out: [([UInt8], Bool)] = []
            while let nl = buf.firstIndex(of: UInt8(ascii: "\n")) {
                out.append((Array(buf[..<nl]), false))
                buf.removeFirst(nl + 1)
            }
            while buf.count >= LineSplitter.maxLine {
                out.append((Array(buf.prefix(LineSplitter.maxLine)), true))
                buf.removeFirst(LineSplitter.maxLine)
            }
            return out
        }
        for (content, partial) in records { emit(content, partial) }
    }

    func finish() {
        let rest = pending.withLock { buf -> [UInt8] in
            defer { buf = [] }
            return buf
        }
        if !rest.isEmpty { emit(rest, false) }
    }
}

// MARK: - Exit

/// Writes exit.json once and exits the shim; the first caller wins (the command ending, or SIGTERM to a
/// responder).
final class ExitRecorder: Sendable {
    let runDir: String
    let startedAt: Date
    private let finished = Mutex(false)
    private let hooks = Mutex<[@Sendable (Int) -> Void]>([])

    init(runDir: String, startedAt: Date) {
        self.runDir = runDir
        self.startedAt = startedAt
    }

    func onFinish(_ hook: @escaping @Sendable (Int) -> Void) { hooks.withLock { $0.append(hook) } }

    func finish(code: Int, signal: Int?, message: String?) -> Never {
        let first = finished.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else {
            // Another thread is writing exit.json and will exit the process.
            while true { pause() }
        }
        for hook in hooks.withLock({ $0 }) { hook(code) }
        let record = ContainerExit(
            exitCode: code, signal: signal, reason: code == 0 ? "Completed" : "Error",
            startedAt: ExitRecorder.rfc3339(startedAt), finishedAt: ExitRecorder.rfc3339(Date()), message: message)
        if let data = try? JSONEncoder().encode(record) {
            // Written to a temporary name and renamed, so the node agent never reads half a file.
            let path = "\(runDir)/\(ContainerExit.fileName)"
            try? data.write(to: URL(fileURLWithPath: path + ".tmp"))
            rename(path + ".tmp", path)
        }
        Glibc.exit(Int32(truncatingIfNeeded: code))
    }

    /// RFC 3339 in UTC to the second, as pod status times are.
    static func rfc3339(_ date: Date) -> String {
        String(CRILog.timestamp(date).prefix(19)) + "Z"
    }
}

// MARK: - Attach

/// The attach.sock server: attachers receive the main process's output and may write its stdin and resize
/// its terminal. With `stdinOnce`, the process's stdin is closed when the first attacher leaves, and the first
/// attacher also receives what the process wrote before it came: `kubectl run -i` creates the pod, waits for it to
/// be running and only then attaches, so a short command (`-- curl -s web`) has often printed its answer by then.
/// The pod and its one attach session belong together, so that output is theirs; later attachers see only what
/// comes after they join, as on any runtime.
final class AttachHub: Sendable {
    private struct State {
        var stdin: Int32?
        var clients: [Int32] = []
        /// Output frames sent before the first attacher joined (stdinOnce only); nil once it has.
        var early: [AttachFrame]?
        var earlyBytes = 0
    }
    /// The most early output kept for the first attacher; the rest is in container.log.
    static let earlyLimit = 256 * 1024
    private let state: Mutex<State>
    private let ptyMaster: Int32?
    private let stdinOnce: Bool

    init(stdin: Int32?, ptyMaster: Int32?, stdinOnce: Bool) {
        state = Mutex(State(stdin: stdin, early: stdinOnce ? [] : nil))
        self.ptyMaster = ptyMaster
        self.stdinOnce = stdinOnce
    }

    func listen(path: String) throws {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CLIError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw CLIError("\(path) is longer than a unix socket path may be")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 8) == 0 else { throw CLIError("bind \(path): \(String(cString: strerror(errno)))") }
        chmod(path, 0o600)
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                // accept4 is not exported; the command was spawned long ago, so nothing can inherit it now.
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                self.state.withLock { s in
                    // Under the lock, so no frame can be broadcast between the replay and joining.
                    if let early = s.early {
                        s.early = nil
                        for frame in early where !Self.send(frame.encoded, to: client) { break }
                    }
                    s.clients.append(client)
                }
                Thread.detachNewThread { self.serve(client) }
            }
        }
    }

    /// Sends a frame to every attacher; one that cannot take it is dropped.
    func broadcast(_ frame: AttachFrame) {
        let bytes = frame.encoded
        state.withLock { s in
            if s.early != nil, s.earlyBytes + bytes.count <= Self.earlyLimit {
                switch frame {
                case .stdout, .stderr:
                    s.early!.append(frame)
                    s.earlyBytes += bytes.count
                default: break
                }
            }
            s.clients.removeAll { !Self.send(bytes, to: $0) }
        }
    }

    /// Writes all of `bytes` to an attacher; on failure shuts the socket down and returns false.
    private static func send(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                shutdown(fd, Int32(SHUT_RDWR))
                return false
            }
            offset += n
        }
        return true
    }

    private func serve(_ fd: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        reading: while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: buffer[..<n])
            var start = 0
            while true {
                let decoded: (AttachFrame, Int)?
                do { decoded = try AttachFrame.decode(pending[start...]) } catch { break reading }
                guard let (frame, size) = decoded else { break }
                start += size
                switch frame {
                case .stdin(let bytes): writeStdin(bytes)
                case .stdinClose: if stdinOnce { closeStdin() }
                case .resize(let w, let h): if let m = ptyMaster { _ = podlab_set_winsize(m, h, w) }
                default: break
                }
            }
            pending.removeFirst(start)
        }
        state.withLock { $0.clients.removeAll { $0 == fd } }
        close(fd)
        if stdinOnce { closeStdin() }
    }

    private func writeStdin(_ bytes: [UInt8]) {
        // Under the lock, so a concurrent close cannot hand the descriptor number to something else mid-write.
        state.withLock { s in
            guard let fd = s.stdin else { return }
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private func closeStdin() {
        state.withLock { s in
            // A pty master is also the output side; closing it would hang up the terminal. With a tty, send
            // end-of-file as a terminal does (^D) instead.
            if let fd = s.stdin {
                if fd == ptyMaster {
                    var eot: UInt8 = 4
                    _ = write(fd, &eot, 1)
                } else {
                    close(fd)
                }
            }
            s.stdin = nil
        }
    }
}
