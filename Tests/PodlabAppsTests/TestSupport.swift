#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import PodlabModel
import Synchronization
import Testing

@testable import PodlabApps

/// Lines a responder logged, collected across its event loops.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct NoPort: Error {}

func makeLaunch(_ builtin: BuiltinImage, env: [(String, String)] = [], hostname: String = "web-7d9f8-abcde")
    -> ContainerLaunch
{
    ContainerLaunch(
        podNamespace: "default", podName: hostname, podUID: "uid-1", containerName: "c", image: builtin.rawValue,
        builtin: builtin, netnsPath: "/run/netns/test", hostname: hostname, resolvConfPath: "/tmp/resolv.conf",
        hostsPath: "/tmp/hosts", env: env.map { ContainerLaunch.EnvPair(name: $0.0, value: $0.1) }, podIP: "127.0.0.1",
        runDir: "/tmp/run")
}

/// Runs `launch`'s responder on 127.0.0.1:0 for the duration of `body`, then cancels it.
@discardableResult
func withResponder<T: Sendable>(
    _ launch: ContainerLaunch, _ body: @Sendable (_ port: Int, _ log: LogLines) async throws -> T
) async throws -> T {
    let log = LogLines()
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { continuation.finish() }
            try await Responders.serve(
                launch, host: "127.0.0.1", port: 0, log: { log.append($0) },
                onRunning: { continuation.yield($0) })
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await group.next()
            throw NoPort()
        }
        let result = try await body(port, log)
        group.cancelAll()
        try await group.waitForAll()
        return result
    }
}

/// One parsed HTTP response.
struct RawResponse: Sendable {
    var statusLine: String
    var headers: [(String, String)]
    var body: String
    var status: Int { Int(statusLine.split(separator: " ")[1]) ?? 0 }
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A blocking TCP client for exact bytes on the wire (on its own threads, 5 s receive timeout).
enum RawHTTP {
    /// The tests' own threads: blocking here must not starve the pool the fetcher resolves names on.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    /// Sends `request` to 127.0.0.1:`port` and reads until `count` responses are complete (or the peer
    /// closes). `headOnly` responses carry no body whatever Content-Length says.
    /// With `untilClose`, reads on until the server closes (or 30 s without a byte) to see that it does; with
    /// `keepBytes` too, the one response returned is everything received, unparsed, as its body.
    static func exchange(
        port: Int, _ request: String, count: Int = 1, headOnly: Bool = false, untilClose: Bool = false,
        keepBytes: Bool = false
    ) async throws
        -> (responses: [RawResponse], closed: Bool)
    {
        try await pool.runIfActive {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(fd >= 0)
            defer { close(fd) }
            // Waiting for a close gets longer: a full parallel test run can stall a loopback peer for seconds, and
            // a proxy that never closes still fails the test.
            var timeout = timeval(tv_sec: untilClose ? 30 : 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(rc == 0)
            let bytes = Array(request.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var data: [UInt8] = []
            var closed = false
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                if !untilClose, let parsed = parse(data, headOnly: headOnly), parsed.count >= count {
                    return (parsed, closed)
                }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 {
                    closed = n == 0
                    if keepBytes { return ([RawResponse(statusLine: "", headers: [], body: String(decoding: data, as: UTF8.self))], closed) }
                    return (parse(data, headOnly: headOnly) ?? [], closed)
                }
                data += buffer[0..<n]
            }
        }
    }

    /// Sends `request` and reads everything until the server closes (or 30 s without a byte): the exact bytes.
    static func bytesUntilClose(port: Int, _ request: String) async throws -> (text: String, closed: Bool) {
        let (responses, closed) = try await exchange(port: port, request, untilClose: true, keepBytes: true)
        return (responses.first?.body ?? "", closed)
    }

    /// Complete responses in `data`, nil when none is complete yet.
    static func parse(_ data: [UInt8], headOnly: Bool) -> [RawResponse]? {
        var out: [RawResponse] = []
        var rest = data[...]
        while let end = rest.firstRange(of: Array("\r\n\r\n".utf8)) {
            let headText = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let headers = lines.map { line -> (String, String) in
                let parts = line.split(separator: ":", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1].dropFirst()) : "")
            }
            let length = headOnly || statusLine.contains(" 304 ") || statusLine.contains(" 100 ")
                ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
            let bodyStart = end.upperBound
            guard rest.endIndex - bodyStart >= length else { break }
            let body = String(decoding: rest[bodyStart..<bodyStart + length], as: UTF8.self)
            rest = rest[(bodyStart + length)...]
            if statusLine.contains(" 100 ") { continue }
            out.append(RawResponse(statusLine: statusLine, headers: headers, body: body))
        }
        return out.isEmpty ? nil : out
    }
}
