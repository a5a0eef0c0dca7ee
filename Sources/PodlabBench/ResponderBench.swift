// `PodlabBench responder <image> [--port N] [--log FILE]`: serves one built-in responder on 127.0.0.1 until the
// process is killed, so scripts/bench/responder.sh can put load on it next to a real server. The launch is made
// up (no pod, no namespaces); the access log goes to FILE with one write(2) per line, as the container shim's
// CRI log writer and nginx's unbuffered access_log do, or nowhere without --log.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PodlabApps
import PodlabModel
import Synchronization

enum ResponderBench {
    static let usage = "usage: PodlabBench responder <nginx|httpenv|whoami|demo-server> [--port N] [--log FILE]"

    /// Parses `arguments` (those after `responder`), serves until killed, exits 2 on bad arguments and 1 when
    /// the responder cannot serve (the port is taken).
    static func main(_ arguments: [String]) async -> Never {
        var image: String?
        var port = 18080
        var logPath: String?
        var rest = arguments[...]
        while let arg = rest.popFirst() {
            switch arg {
            case "--port":
                guard let value = rest.popFirst(), let n = Int(value), (1...65535).contains(n) else {
                    fail(2, "--port must be 1-65535")
                }
                port = n
            case "--log":
                guard let value = rest.popFirst() else { fail(2, "--log needs a file") }
                logPath = value
            case _ where image == nil && !arg.hasPrefix("-"):
                image = arg
            default:
                fail(2, "unexpected argument \"\(arg)\"\n\(usage)")
            }
        }
        guard let image else { fail(2, usage) }
        guard let builtin = BuiltinImage.classify(image) ?? BuiltinImage(rawValue: image), builtin.isResponder,
            builtin != .demoFetcher
        else { fail(2, "\"\(image)\" is not a responder this bench serves\n\(usage)") }

        let log: @Sendable (String) -> Void
        if let logPath {
            let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { fail(1, "open \(logPath): \(String(cString: strerror(errno)))") }
            let file = LineFile(fd: fd)
            log = { file.write($0) }
        } else {
            log = { _ in }
        }
        let launch = ContainerLaunch(
            podNamespace: "bench", podName: "responder-bench", podUID: "00000000-0000-0000-0000-000000000000",
            containerName: builtin.rawValue, image: image, builtin: builtin, netnsPath: "/proc/self/ns/net",
            hostname: "responder-bench", resolvConfPath: "/etc/resolv.conf", hostsPath: "/etc/hosts",
            ports: [.init(containerPort: port)], podIP: "127.0.0.1", runDir: "/nonexistent")
        do {
            try await Responders.serve(launch, host: "127.0.0.1", port: port, log: log) { bound in
                printError("serving \(builtin.rawValue) on 127.0.0.1:\(bound)")
            }
            exit(0)
        } catch {
            fail(1, "\(error)")
        }
    }

    static func fail(_ code: Int32, _ message: String) -> Never {
        printError("error: \(message)")
        exit(code)
    }

    static func printError(_ message: String) {
        let bytes = Array((message + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// An append-only file taking one line per `write(2)`; the lock keeps lines from interleaving across event loops.
final class LineFile: Sendable {
    private let fd: Mutex<Int32>

    init(fd: Int32) { self.fd = Mutex(fd) }

    func write(_ line: String) {
        var record = line
        record.append("\n")
        record.withUTF8 { bytes in
            fd.withLock { fd in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
    }
}
