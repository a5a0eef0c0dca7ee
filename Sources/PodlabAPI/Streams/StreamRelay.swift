import Foundation
import NIOPosix
import Synchronization

/// Blocking descriptor work for streams, kept off the cooperative pool: each reader is a dedicated thread
/// (it may block for the whole session), short writes go to NIOThreadPool.
enum FDIO {
    /// Reads `fd` on a new thread until end-of-file or an error (EIO on a pty master whose slave is closed),
    /// passing each chunk to `onData`, then calls `onEnd`. Closes `fd` when `closeAtEnd`.
    static func readLoop(
        _ fd: Int32, closeAtEnd: Bool, onData: @escaping @Sendable ([UInt8]) -> Void,
        onEnd: @escaping @Sendable () -> Void
    ) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    onData(Array(buffer[..<n]))
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            if closeAtEnd { close(fd) }
            onEnd()
        }
    }

    /// Writes all of `bytes` to `fd` on the thread pool; throws on a write error (EPIPE: the reader is gone).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += n
            }
        }
    }
}

/// A child process this server started, so that it can be killed by PID only while it is still ours: the
/// waiter learns of the exit without reaping (WNOWAIT), marks it under the lock, and only then reaps, so a
/// SIGKILL can never hit a recycled PID.
final class ChildProcess: Sendable {
    let pid: Int32
    private let exited = Mutex(false)

    init(pid: Int32) { self.pid = pid }

    /// SIGKILL unless it has already exited (the client went away mid-command).
    func kill() {
        exited.withLock { done in
            if !done { _ = Glibc.kill(pid, SIGKILL) }
        }
    }

    /// Waits on a dedicated thread and returns the exit code, 128 + signal when a signal ended it.
    func waitForExit() async -> Int {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            Thread.detachNewThread {
                var info = siginfo_t()
                while waitid(P_PID, id_t(self.pid), &info, WEXITED | WNOWAIT) < 0, errno == EINTR {}
                self.exited.withLock { $0 = true }
                var status: Int32 = 0
                var rc: Int32
                repeat { rc = waitpid(self.pid, &status, 0) } while rc < 0 && errno == EINTR
                continuation.resume(returning: rc < 0 ? 255 : ChildProcess.exitCode(status))
            }
        }
    }

    /// The CRI's convention: the exit status, or 128 + the signal that ended the process.
    static func exitCode(_ status: Int32) -> Int {
        let signal = status & 0x7f
        return signal == 0 ? Int((status >> 8) & 0xff) : 128 + Int(signal)
    }
}

/// Collects output chunks from several reader threads into one stream that ends when all of them have ended.
final class OutputMerger: Sendable {
    let stream: AsyncStream<RemoteCommandFrame>
    private let continuation: AsyncStream<RemoteCommandFrame>.Continuation
    private let open: Mutex<Int>

    init(sources: Int) {
        (stream, continuation) = AsyncStream.makeStream(of: RemoteCommandFrame.self)
        open = Mutex(sources)
        if sources == 0 { continuation.finish() }
    }

    func yield(_ frame: RemoteCommandFrame) { continuation.yield(frame) }

    func sourceEnded() {
        let left = open.withLock { n -> Int in
            n -= 1
            return n
        }
        if left == 0 { continuation.finish() }
    }
}

// MARK: - exec

enum ExecRelay {
    /// Runs one exec session: relays the WebSocket's stdin and resize to `process`, its output back, and ends
    /// with the channel-3 exit status and a close frame. The process is killed if the client goes away first.
    static func run(
        _ process: StreamProcess, tty: Bool, stdin wantStdin: Bool, stdout wantStdout: Bool,
        stderr wantStderr: Bool, over connection: WebSocketConnection
    ) async {
        let child = ChildProcess(pid: process.pid)
        let merger = OutputMerger(sources: process.stderr == nil ? 1 : 2)
        // With a tty the master is both stdin and stdout; it is closed once, by the reader, at the end.
        FDIO.readLoop(
            process.stdout, closeAtEnd: !tty,
            onData: { bytes in if wantStdout { merger.yield(.stdout(bytes)) } }, onEnd: { merger.sourceEnded() })
        if let err = process.stderr {
            FDIO.readLoop(
                err, closeAtEnd: true, onData: { bytes in if wantStderr { merger.yield(.stderr(bytes)) } },
                onEnd: { merger.sourceEnded() })
        }
        let stdinEnd = StdinEnd(process.stdin, closable: !tty)
        if !wantStdin { stdinEnd.close() }

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await connection.receive { message in
                    switch RemoteCommandFrame(decoding: message) {
                    case .stdin(let bytes):
                        await stdinEnd.write(bytes)
                    case .close(channel: RemoteCommandFrame.Channel.stdin):
                        stdinEnd.close()
                    case .resize(let w, let h):
                        process.resize(UInt16(clamping: w), UInt16(clamping: h))
                    default:
                        break
                    }
                }
                // The client closed or went away. If the command still runs, it has nobody to talk to.
                if !Task.isCancelled { child.kill() }
            }
            for await frame in merger.stream {
                try? await connection.send(frame.encoded)
            }
            let code = await child.waitForExit()
            stdinEnd.close()
            if tty { close(process.stdout) }
            try? await connection.send(RemoteCommandFrame.exitStatus(code).encoded)
            await connection.close()
            await WebSocketConnection.linger(&group)
        }
    }
}

/// The write end of a process's stdin, closed once. With a tty it is the pty master, which the output reader
/// also uses: closing it would hang up the terminal, so `close` leaves it to the reader.
final class StdinEnd: Sendable {
    private let fd: Mutex<Int32?>
    private let closable: Bool

    init(_ fd: Int32, closable: Bool) {
        self.fd = Mutex(fd)
        self.closable = closable
    }

    /// Writes the bytes; a failed write (the process closed its stdin) closes our end.
    func write(_ bytes: [UInt8]) async {
        guard !bytes.isEmpty, let fd = fd.withLock({ $0 }) else { return }
        do { try await FDIO.writeAll(fd, bytes) } catch { close() }
    }

    func close() {
        guard closable else { return }
        fd.withLock { fd in
            if let f = fd { Glibc.close(f) }
            fd = nil
        }
    }
}

// MARK: - attach

enum AttachRelay {
    /// Joins the main process's stdio through the shim's attach.sock: WebSocket stdin and resize go to the
    /// socket, output comes back; ends with Success (the CRI attach reports no exit code) when the process
    /// exits or the client detaches.
    static func run(
        socketPath: String, stdin wantStdin: Bool, stdout wantStdout: Bool, stderr wantStderr: Bool,
        over connection: WebSocketConnection
    ) async {
        let fd: Int32
        do {
            fd = try connectUnix(socketPath)
        } catch {
            // A refused or missing socket means the shim is gone: the container's process has exited.
            let why: String
            switch (error as? POSIXError)?.code {
            case .ECONNREFUSED?, .ENOENT?: why = "the container's process is not running (it has exited)"
            case .ENAMETOOLONG?: why = "the attach socket path \(socketPath) is longer than a Unix socket allows"
            case let code?: why = "cannot connect to the container's attach socket: \(String(cString: strerror(code.rawValue)))"
            case nil: why = "cannot connect to the container's attach socket"
            }
            try? await connection.send(RemoteCommandFrame.failure(why).encoded)
            await connection.close()
            return
        }
        let merger = OutputMerger(sources: 1)
        let pending = Mutex<[UInt8]>([])
        FDIO.readLoop(
            fd, closeAtEnd: false,
            onData: { bytes in
                let frames: [AttachFrame] = pending.withLock { buf in
                    buf.append(contentsOf: bytes)
                    var out: [AttachFrame] = []
                    var start = 0
                    while let (frame, n) = (try? AttachFrame.decode(buf[start...])) ?? nil {
                        out.append(frame)
                        start += n
                    }
                    buf.removeFirst(start)
                    return out
                }
                for frame in frames {
                    switch frame {
                    case .stdout(let b) where wantStdout: merger.yield(.stdout(b))
                    case .stderr(let b) where wantStderr: merger.yield(.stderr(b))
                    default: break
                    }
                }
            }, onEnd: { merger.sourceEnded() })
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await connection.receive { message in
                    let frame: AttachFrame?
                    switch RemoteCommandFrame(decoding: message) {
                    case .stdin(let bytes) where wantStdin: frame = .stdin(bytes)
                    case .close(channel: RemoteCommandFrame.Channel.stdin) where wantStdin: frame = .stdinClose
                    case .resize(let w, let h): frame = .resize(width: UInt16(clamping: w), height: UInt16(clamping: h))
                    default: frame = nil
                    }
                    if let frame { try? await FDIO.writeAll(fd, frame.encoded) }
                }
                // Detached: shutting the socket down ends the reader, and the shim sees this attacher leave.
                if !Task.isCancelled { shutdown(fd, Int32(SHUT_RDWR)) }
            }
            for await frame in merger.stream {
                try? await connection.send(frame.encoded)
            }
            // The process ended (or the client detached): no more stdin goes to the socket.
            shutdown(fd, Int32(SHUT_WR))
            try? await connection.send(RemoteCommandFrame.exitStatus(0).encoded)
            await connection.close()
            await WebSocketConnection.linger(&group)
        }
        close(fd)
    }

    static func connectUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw POSIXError(.ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        return fd
    }
}
