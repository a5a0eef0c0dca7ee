import NIOCore
import NIOPosix
import PodlabModel
import Testing

@testable import PodlabApps

/// The ingress proxy on loopback: routes built by hand, whoami as the backend.
@Suite("ingress proxy")
struct IngressProxyTests {
    /// Runs the proxy on 127.0.0.1:0 with `table` for the duration of `body`.
    static func withProxy<T: Sendable>(
        _ table: IngressRouteTable, readTimeout: TimeAmount = IngressProxyHandler.defaultReadTimeout,
        _ body: @Sendable (_ port: Int, _ log: LogLines) async throws -> T
    ) async throws -> T {
        let log = LogLines()
        let routes = IngressRoutes()
        routes.replace(table)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pools = IngressController.pools(for: group)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await Self.run(group, routes, pools, readTimeout, log, ports, continuation, body))
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        return try outcome.get()
    }

    private static func run<T: Sendable>(
        _ group: MultiThreadedEventLoopGroup, _ routes: IngressRoutes, _ pools: [ObjectIdentifier: IngressController.PoolCell],
        _ readTimeout: TimeAmount, _ log: LogLines, _ ports: AsyncStream<Int>, _ continuation: AsyncStream<Int>.Continuation,
        _ body: @Sendable (_ port: Int, _ log: LogLines) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await IngressController.serveProxy(
                    group: group, routes: routes, pools: pools, host: "127.0.0.1", port: 0, scheme: "http", tls: nil,
                    readTimeout: readTimeout, log: { log.append($0) }, onRunning: { continuation.yield($0) })
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.next()
                throw NoPort()
            }
            let result = try await body(port, log)
            tasks.cancelAll()
            try await tasks.waitForAll()
            return result
        }
    }

    static func table(host: String, endpoints: [String], problem: String? = nil) -> IngressRouteTable {
        let backend = IngressBackendTarget(namespace: "default", service: "web", port: "80", endpoints: endpoints, problem: problem)
        var server = IngressServer(host: host)
        server.routes = [IngressRoute(path: "/", pathType: .prefix, backend: backend, ingress: "default/web")]
        return IngressRouteTable(servers: [host: server])
    }

    @Test("a routed request reaches the backend with Host kept and forwarding headers; keep-alive on both sides")
    func proxies() async throws {
        try await withResponder(makeLaunch(.whoami)) { backendPort, backendLog in
            try await Self.withProxy(Self.table(host: "web.example.com", endpoints: ["127.0.0.1:\(backendPort)"])) { port, log in
                let request = "GET /hello?x=1 HTTP/1.1\r\nHost: web.example.com\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
                let (responses, closed) = try await RawHTTP.exchange(port: port, request + request, count: 2)
                #expect(responses.map(\.status) == [200, 200])
                #expect(!closed)
                let body = responses.first?.body ?? ""
                #expect(body.contains("GET /hello?x=1 HTTP/1.1"), "\(body)")
                #expect(body.contains("Host: web.example.com"), "\(body)")
                // The client's own X-Forwarded-For is not trusted: the proxy states what it saw.
                #expect(body.contains("X-Forwarded-For: 127.0.0.1\r\n") && !body.contains("6.6.6.6"), "\(body)")
                #expect(body.contains("X-Real-Ip: 127.0.0.1") && body.contains("X-Forwarded-Proto: http"), "\(body)")
                #expect(body.contains("X-Forwarded-Host: web.example.com"), "\(body)")
                // The access line is written as the exchange ends, which may be just after the client has its bytes.
                for _ in 0..<100 where log.all.filter({ $0.contains("\"GET /hello?x=1 HTTP/1.1\" 200 ") }).count < 2 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(log.all.filter { $0.contains("\"GET /hello?x=1 HTTP/1.1\" 200 ") }.count == 2, "\(log.all)")
                _ = backendLog
            }
        }
    }

    @Test("no rule: 404 from the default backend; no endpoints: 503; nothing listening: 502 with the reason logged")
    func errors() async throws {
        // A port that was just free: bind, learn it, let the server stop.
        let closedPort = try await withResponder(makeLaunch(.nginx)) { port, _ in port }
        var table = Self.table(host: "empty.example.com", endpoints: [])
        table.servers["refused.example.com"] = Self.table(host: "refused.example.com", endpoints: ["127.0.0.1:\(closedPort)"])
            .servers["refused.example.com"]
        try await Self.withProxy(table) { port, log in
            let (missing, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: other\r\n\r\n")
            #expect(missing.first?.status == 404)
            #expect(missing.first?.body.contains("<center><h1>404 Not Found</h1></center>") == true)
            let (empty, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: empty.example.com\r\n\r\n")
            #expect(empty.first?.statusLine == "HTTP/1.1 503 Service Temporarily Unavailable")
            let (refused, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: refused.example.com\r\n\r\n")
            #expect(refused.first?.status == 502)
            #expect(log.all.contains { $0.contains("connect() failed (111: Connection refused)") }, "\(log.all)")
        }
    }

    @Test("plain HTTP to a host with a served certificate is redirected (308) unless its Ingress turns that off")
    func sslRedirect() async throws {
        var table = Self.table(host: "secure.example.com", endpoints: [])
        var off = Self.table(host: "plain.example.com", endpoints: []).servers["plain.example.com"]
        off?.routes[0].sslRedirect = false
        table.servers["plain.example.com"] = off
        let routes = IngressRoutes()
        routes.replace(table, tlsHosts: ["secure.example.com", "plain.example.com"])
        #expect(routes.pick(host: "secure.example.com:80", target: "/a?b=1") == .redirect("https://secure.example.com/a?b=1"))
        #expect(routes.pick(host: "secure.example.com", target: "/a", secure: true) != .redirect("https://secure.example.com/a"))
        #expect(routes.pick(host: "plain.example.com", target: "/") != .redirect("https://plain.example.com/"))
    }

    @Test("pipelined requests are answered in order, proxied and local answers mixed, and Connection: close ends it")
    func pipelined() async throws {
        try await withResponder(makeLaunch(.whoami)) { backendPort, _ in
            try await Self.withProxy(Self.table(host: "h", endpoints: ["127.0.0.1:\(backendPort)"])) { port, _ in
                let payload = String(repeating: "p", count: 100_000)
                let requests = [
                    "POST /first HTTP/1.1\r\nHost: h\r\nContent-Length: \(payload.utf8.count)\r\n\r\n" + payload,
                    "GET /second HTTP/1.1\r\nHost: nowhere\r\n\r\n",
                    "GET /third HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
                        + "Keep-Alive: timeout=5\r\nx-custom: kept\r\n\r\n",
                    "GET /fourth HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                    "GET /never HTTP/1.1\r\nHost: h\r\n\r\n",
                ]
                let (responses, closed) = try await RawHTTP.exchange(port: port, requests.joined(), count: 4, untilClose: true)
                #expect(responses.map(\.status) == [200, 404, 200, 200])
                #expect(closed)
                #expect(responses[0].body.contains("POST /first HTTP/1.1") && responses[0].body.hasSuffix(payload))
                let third = responses[2].body
                #expect(third.contains("GET /third HTTP/1.1") && third.contains("X-Custom: kept"), "\(third)")
                // Hop-by-hop headers, and those the client's Connection header names, stop at the proxy.
                #expect(!third.contains("X-Secret") && !third.contains("Keep-Alive"), "\(third)")
                #expect(responses[3].body.contains("GET /fourth HTTP/1.1"))
                // A 404 for a request with a body keeps the connection (the body is dropped); bytes that are not
                // HTTP get a 400 after the answers before them, then the connection closes.
                let more = "POST /x HTTP/1.1\r\nHost: nowhere\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /fine HTTP/1.1\r\nHost: h\r\n\r\n" + "NOT HTTP AT ALL\r\n\r\n"
                let (answers, ended) = try await RawHTTP.exchange(port: port, more, count: 3, untilClose: true)
                #expect(answers.map(\.status) == [404, 200, 400] && ended, "\(answers.map(\.statusLine))")
                #expect(answers.last?.body.contains("<center><h1>400 Bad Request</h1></center>") == true)
            }
        }
    }

    @Test("a chunked or close-delimited answer is chunked to HTTP/1.1 clients, sent until close to HTTP/1.0 ones; HEAD has no body")
    func framing() async throws {
        try await CannedBackend.with { backendPort in
            try await Self.withProxy(Self.table(host: "h", endpoints: ["127.0.0.1:\(backendPort)"])) { port, log in
                // HTTP/1.1: re-chunked, the backend's own framing header gone, hop-by-hop ones too.
                var (text, closed) = try await RawHTTP.bytesUntilClose(
                    port: port, "GET /chunked HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                var (head, body) = Self.split(text)
                #expect(head.hasPrefix("HTTP/1.1 200 OK\r\nX-Backend: canned\r\n"), "\(text)")
                #expect(head.contains("Transfer-Encoding: chunked\r\n") && head.contains("Connection: close\r\n"), "\(text)")
                #expect(!head.contains("Keep-Alive") && closed, "\(text)")
                #expect(Self.dechunk(body) == "hello world", "\(text)")
                // HTTP/1.0: no chunks, the end is the close.
                (text, closed) = try await RawHTTP.bytesUntilClose(port: port, "GET /chunked HTTP/1.0\r\nHost: h\r\n\r\n")
                (head, body) = Self.split(text)
                #expect(!head.contains("Transfer-Encoding") && head.contains("Connection: close\r\n"), "\(text)")
                #expect(body == "hello world" && closed, "\(text)")
                // A backend that ends its answer by closing, then HEAD (headers only), then a sized answer: one
                // client connection, each answer framed, the last one's Connection: close ending it.
                let three = "GET /close HTTP/1.1\r\nHost: h\r\n\r\n" + "HEAD /chunked HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /sized HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
                (text, closed) = try await RawHTTP.bytesUntilClose(port: port, three)
                let parts = text.components(separatedBy: "HTTP/1.1 200 OK\r\n")
                #expect(parts.count == 4 && closed, "\(text)\nproxy log: \(log.all)")
                if parts.count == 4 {
                    #expect(Self.dechunk(Self.split(parts[1]).body) == "until the end", "\(parts[1])")
                    #expect(parts[2].hasSuffix("\r\n\r\n") && !parts[2].contains("hello"), "\(parts[2])")
                    #expect(parts[3].hasSuffix("\r\n\r\nsized"), "\(parts[3])")
                }
            }
        }
    }

    @Test("the read timeout is per request: slow answers in turn on one connection pass, a silent backend gets 504")
    func readTimeout() async throws {
        try await CannedBackend.with { backendPort in
            let table = Self.table(host: "h", endpoints: ["127.0.0.1:\(backendPort)"])
            try await Self.withProxy(table, readTimeout: .milliseconds(500)) { port, log in
                // Each answer takes 300 ms: the second request's deadline is its own, not the first's.
                let two = "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n" + "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"
                let (slow, _) = try await RawHTTP.exchange(port: port, two, count: 2)
                #expect(slow.map(\.status) == [200, 200] && slow.allSatisfy { $0.body == "sized" }, "\(slow.map(\.statusLine))")
                let started = ContinuousClock.now
                let (silent, _) = try await RawHTTP.exchange(port: port, "GET /silent HTTP/1.1\r\nHost: h\r\n\r\n")
                #expect(silent.first?.status == 504, "\(silent.map(\.statusLine))")
                #expect(ContinuousClock.now - started >= .milliseconds(450))
                #expect(log.all.contains { $0.contains("upstream timed out (110: Connection timed out) while reading") }, "\(log.all)")
            }
        }
    }

    static func split(_ text: String) -> (head: String, body: String) {
        guard let r = text.range(of: "\r\n\r\n") else { return (text, "") }
        return (String(text[..<r.upperBound]), String(text[r.upperBound...]))
    }

    /// A chunked body's data, or "<bad chunks>" (bytes, since "\r\n" is one Character to String).
    static func dechunk(_ body: String) -> String {
        var rest = Array(body.utf8)[...]
        var out: [UInt8] = []
        let crlf = Array("\r\n".utf8)
        while let r = rest.firstRange(of: crlf) {
            guard let size = Int(String(decoding: rest[..<r.lowerBound], as: UTF8.self), radix: 16) else { return "<bad chunks>" }
            rest = rest[r.upperBound...]
            if size == 0 { return Array(rest) == crlf ? String(decoding: out, as: UTF8.self) : "<bad chunks>" }
            guard rest.count >= size + 2, Array(rest.dropFirst(size).prefix(2)) == crlf else { return "<bad chunks>" }
            out += rest.prefix(size)
            rest = rest.dropFirst(size + 2)
        }
        return "<bad chunks>"
    }

    @Test("a request body is streamed to the backend and the answer back")
    func body() async throws {
        try await withResponder(makeLaunch(.whoami)) { backendPort, _ in
            try await Self.withProxy(Self.table(host: "h", endpoints: ["127.0.0.1:\(backendPort)"])) { port, _ in
                let payload = String(repeating: "abcdefgh", count: 20_000)
                let request = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(payload.utf8.count)\r\n\r\n" + payload
                let (responses, _) = try await RawHTTP.exchange(port: port, request)
                #expect(responses.first?.status == 200)
                #expect(responses.first?.body.hasSuffix(payload) == true)
            }
        }
    }
}

/// A backend that answers by path with fixed bytes: `/chunked` in two chunks (with a hop-by-hop Keep-Alive),
/// `/close` with no length and a close, `/slow` after 300 ms, `/silent` never, anything else `sized` with a
/// Content-Length.
final class CannedBackend: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var pending = ""

    static func with<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CannedBackend()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body(server.localAddress?.port ?? 0)) } catch { outcome = .failure(error) }
        try? await server.close()
        try? await group.shutdownGracefully()
        return try outcome.get()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += String(buffer: unwrapInboundIn(data))
        while let end = pending.range(of: "\r\n\r\n") {
            let head = String(pending[..<end.lowerBound])
            pending = String(pending[end.upperBound...])
            let line = head.prefix { $0 != "\r" }.split(separator: " ")
            let (method, path) = (line.first.map(String.init) ?? "", line.count > 1 ? String(line[1]) : "")
            var answer: String
            var close = false
            switch path {
            case "/chunked":
                answer = "HTTP/1.1 200 OK\r\nX-Backend: canned\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n"
                if method != "HEAD" { answer += "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" }
            case "/close":
                answer = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"
                close = true
            case "/silent":
                continue
            case "/slow":
                let bytes = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsized")
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(300)) {
                    context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
                }
                continue
            default:
                answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsized"
            }
            let done = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)))
            if close {
                done.whenComplete { _ in context.close(promise: nil) }
                return
            }
        }
    }
}
