import Foundation
import NIOCore
import NIOHTTP1

/// One client connection of the ingress proxy: routes each request by Host and path, forwards it to one ready
/// endpoint of the chosen Service over a pooled backend connection, and streams the answer back.
///
/// Requests on a keep-alive connection are taken one at a time (NIO's pipelining handler holds the next until
/// this one's answer ends). ingress-nginx's headers are added: X-Real-IP, X-Forwarded-For, -Host, -Port, -Proto,
/// X-Scheme; Host is kept. No endpoint: 503; no rule: the default backend's 404; backend refused: 502;
/// backend silent: 504 (connect 5 s, read 60 s, ingress-nginx's defaults).
final class IngressProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let routes: IngressRoutes
    let pool: IngressBackendPool
    let scheme: String
    let serverPort: Int
    let log: @Sendable (String) -> Void
    /// ingress-nginx's `proxy-read-timeout` default.
    static let readTimeout = TimeAmount.seconds(60)

    private enum State {
        case idle
        /// Waiting for a backend connection; request parts so far are kept to send when it is open.
        case connecting([HTTPClientRequestPart])
        case forwarding(any Channel)
        /// Answered here (404, 503, 502, 504); the rest of the request body is dropped.
        case answered
    }

    /// What the access log line needs about the request in flight.
    private struct Exchange {
        var head: HTTPRequestHead
        var started = Date()
        var upstream = "-"
        var endpoint = "-"
        var status = 0
        var bytes = 0
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var keepAlive = true
    private var requestEnded = false
    private var responseStarted = false
    private var timer: Scheduled<Void>?
    private var clientIP = "-"
    private var ids = RequestIDGenerator()
    /// The request as sent, kept while it is small enough to send again (nil once it is not).
    private var replay: [HTTPClientRequestPart]?
    private var replayBytes = 0
    /// Whether the backend connection came from the pool, and whether this request was already sent again.
    private var reused = false
    private var retried = false
    /// Requests up to this size are kept for one retry on a new connection, as nginx's `proxy_next_upstream error`.
    static let replayLimit = 64 * 1024

    init(routes: IngressRoutes, pool: IngressBackendPool, scheme: String, serverPort: Int,
         log: @escaping @Sendable (String) -> Void) {
        self.routes = routes
        self.pool = pool
        self.scheme = scheme
        self.serverPort = serverPort
        self.log = log
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientIP = context.channel.remoteAddress?.ipAddress ?? "-"
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        // The client left mid-exchange: the backend connection is in an unknown state, so it is not reused.
        if case .forwarding(let backend) = state { backend.close(promise: nil) }
        state = .idle
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): start(head, context: context)
        case .body(let body):
            replayBytes += body.readableBytes
            if replayBytes > Self.replayLimit { replay = nil } else { replay?.append(.body(.byteBuffer(body))) }
            switch state {
            case .connecting(var parts):
                parts.append(.body(.byteBuffer(body)))
                state = .connecting(parts)
            case .forwarding(let backend):
                backend.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
                if !backend.isWritable { context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
            case .idle, .answered: break
            }
        case .end(let trailers):
            requestEnded = true
            replay?.append(.end(trailers))
            switch state {
            case .connecting(var parts):
                parts.append(.end(trailers))
                state = .connecting(parts)
            case .forwarding(let backend): backend.writeAndFlush(HTTPClientRequestPart.end(trailers), promise: nil)
            case .idle, .answered: break
            }
            if case .answered = state, exchange == nil { state = .idle }
        }
    }

    // MARK: - Request

    private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        keepAlive = head.isKeepAlive
        requestEnded = false
        responseStarted = false
        exchange = Exchange(head: head)
        let host = head.headers.first(name: "host") ?? ""
        switch routes.pick(host: host, target: head.uri, secure: scheme == "https") {
        case .notFound:
            answer(404)
        case .redirect(let location):
            answer(308, location: location)
        case .unavailable(let upstream, let reason):
            exchange?.upstream = upstream
            log("[error] no live upstreams for \(upstream): \(reason), client: \(clientIP), host: \"\(host)\"")
            answer(503)
        case .endpoint(let endpoint, let upstream):
            exchange?.upstream = upstream
            exchange?.endpoint = endpoint
            let first = HTTPClientRequestPart.head(backendHead(head, host: host))
            state = .connecting([first])
            replay = [first]
            replayBytes = 0
            retried = false
            pool.acquire(endpoint).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let lease):
                    self.reused = lease.reused
                    self.connected(lease.channel)
                case .failure(let error): self.backendFailed(error)
                }
            }
        }
    }

    /// The request as the backend gets it: hop-by-hop headers dropped, ingress-nginx's forwarding headers set.
    private func backendHead(_ head: HTTPRequestHead, host: String) -> HTTPRequestHead {
        // Edited in place (NIO compares names without allocating) rather than rebuilt header by header.
        var out = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: head.headers)
        for named in head.headers[canonicalForm: "connection"] { out.headers.remove(name: String(named)) }
        for name in Self.hopByHop { out.headers.remove(name: name) }
        for name in Self.replaced { out.headers.remove(name: name) }
        if !head.headers.contains(name: "host") { out.headers.add(name: "Host", value: host) }
        out.headers.add(name: "X-Request-ID", value: requestID())
        out.headers.add(name: "X-Real-IP", value: clientIP)
        out.headers.add(name: "X-Forwarded-For", value: clientIP)
        out.headers.add(name: "X-Forwarded-Host", value: host.isEmpty ? "-" : IngressProxyHandler.stripPort(host))
        out.headers.add(name: "X-Forwarded-Port", value: String(serverPort))
        out.headers.add(name: "X-Forwarded-Proto", value: scheme)
        out.headers.add(name: "X-Forwarded-Scheme", value: scheme)
        out.headers.add(name: "X-Scheme", value: scheme)
        return out
    }

    static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization",
    ]
    /// Set by the proxy from what it saw, never passed through from the client (ingress-nginx trusts no
    /// forwarded headers unless `use-forwarded-headers` is on).
    static let replaced: [String] = [
        "x-real-ip", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto",
        "x-forwarded-scheme", "x-scheme", "x-request-id",
    ]

    static func stripPort(_ host: String) -> String {
        guard !host.hasPrefix("["), let colon = host.lastIndex(of: ":") else { return host }
        return String(host[..<colon])
    }

    /// A request id as ingress-nginx's `$request_id`: 32 hex digits, random. The generator is this connection's
    /// own (seeded once from the system), so an id costs no system call.
    private func requestID() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 32)
        for half in 0..<2 {
            var v = ids.next()
            for i in 0..<16 {
                bytes[half * 16 + i] = hex[Int(v & 0xf)]
                v >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func connected(_ backend: any Channel) {
        guard case .connecting(let parts) = state, let context else {
            // The client went away while connecting.
            backend.close(promise: nil)
            return
        }
        guard let handler = try? backend.pipeline.syncOperations.handler(type: IngressBackendHandler.self) else {
            backend.close(promise: nil)
            backendFailed(IngressBackendError.closed)
            return
        }
        handler.sink = self
        state = .forwarding(backend)
        for part in parts { backend.write(part, promise: nil) }
        backend.flush()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.readTimeout) {
            self.backendFailed(IngressBackendError.readTimeout)
        }
    }

    // MARK: - Response

    func backendHead(_ head: HTTPResponseHead) {
        guard let context else { return }
        timer?.cancel()
        timer = nil
        responseStarted = true
        var out = HTTPResponseHead(version: exchange?.head.version ?? .http1_1, status: head.status, headers: head.headers)
        for name in Self.hopByHop { out.headers.remove(name: name) }
        if !keepAlive { out.headers.replaceOrAdd(name: "Connection", value: "close") }
        exchange?.status = Int(head.status.code)
        context.write(wrapOutboundOut(.head(out)), promise: nil)
    }

    func backendBody(_ body: ByteBuffer) {
        guard let context else { return }
        exchange?.bytes += body.readableBytes
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        // A slow client: stop reading the backend until the client's socket drains (no unbounded buffering).
        if !context.channel.isWritable, case .forwarding(let backend) = state {
            backend.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(let backend) = state {
            backend.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The backend's socket drained: read the client's request body again.
    func backendWritable() {
        context?.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    func backendEnd(reusable: Bool) {
        guard case .forwarding(let backend) = state, let endpoint = exchange?.endpoint else { return }
        if reusable && requestEnded {
            // Reading may have been paused for a slow client while the end was already in the read buffer: a
            // pooled connection must read, or the next request on it never sees its answer.
            backend.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            pool.release(endpoint, backend)
        } else {
            backend.close(promise: nil)
        }
        // Likewise the client's reads, paused for a slow backend that has answered before taking the whole body.
        context?.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        finish()
    }

    func backendFailed(_ error: any Error) {
        timer?.cancel()
        timer = nil
        switch state {
        case .connecting, .forwarding: break
        case .idle, .answered: return
        }
        if case .forwarding(let backend) = state { backend.close(promise: nil) }
        // A pooled connection the backend had just closed: send the request again, once, on a new connection.
        if reused, !retried, !responseStarted, requestEnded, let parts = replay, let endpoint = exchange?.endpoint,
            Self.isStaleConnection(error)
        {
            retried = true
            reused = false
            state = .connecting(parts)
            pool.connect(endpoint).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let channel): self.connected(channel)
                case .failure(let error): self.backendFailed(error)
                }
            }
            return
        }
        let reason: String
        let code: Int
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            (code, reason) = (504, "upstream timed out (110: Connection timed out) while connecting to upstream")
        } else if case IngressBackendError.readTimeout = error {
            (code, reason) = (504, "\(error)")
        } else if let io = error as? IOError {
            (code, reason) = (502, "connect() failed (\(io.errnoCode): \(String(cString: strerror(io.errnoCode)))) while connecting to upstream")
        } else {
            (code, reason) = (502, "\(error)")
        }
        let e = exchange
        log("[error] \(reason), client: \(clientIP), request: \"\(e.map { "\($0.head.method.rawValue) \($0.head.uri)" } ?? "-")\", "
            + "upstream: \"http://\(e?.endpoint ?? "-")\(e?.head.uri ?? "")\", host: \"\(e?.head.headers.first(name: "host") ?? "")\"")
        if responseStarted {
            // Part of the answer is out: the client can only learn of the failure by the connection closing.
            exchange = nil
            state = .idle
            context?.close(promise: nil)
        } else {
            answer(code)
        }
    }

    /// Whether `error` is what a pooled connection that the backend closed gives: end-of-file or a reset.
    static func isStaleConnection(_ error: any Error) -> Bool {
        if case IngressBackendError.closed = error { return true }
        if let io = error as? IOError { return [ECONNRESET, EPIPE].contains(io.errnoCode) }
        return false
    }

    /// Answers the request here with one of nginx's pages.
    private func answer(_ code: Int, location: String? = nil) {
        guard let context else { return }
        let status = IngressPages.status(code)
        let body = Array(IngressPages.page(status).utf8)
        var head = HTTPResponseHead(version: exchange?.head.version ?? .http1_1, status: status)
        head.headers.add(name: "Date", value: String(decoding: ClockCache.shared.now().httpDate, as: UTF8.self))
        head.headers.add(name: "Content-Type", value: "text/html")
        head.headers.add(name: "Content-Length", value: String(body.count))
        if let location { head.headers.add(name: "Location", value: location) }
        // A request whose body is still coming cannot be followed by another on this connection.
        if !keepAlive || !requestEnded { head.headers.add(name: "Connection", value: "close") }
        keepAlive = keepAlive && requestEnded
        state = .answered
        exchange?.status = code
        exchange?.bytes = body.count
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if exchange?.head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        finish()
    }

    private func finish() {
        guard let context else { return }
        if let e = exchange { log(accessLine(e)) }
        exchange = nil
        let close = !keepAlive
        // Answered before the request's body ended: drop the rest of it (the connection closes after).
        if case .answered = state, !requestEnded {} else { state = .idle }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if close { context.close(promise: nil) }
        }
    }

    /// ingress-nginx's `upstreaminfo` log format, in short.
    private func accessLine(_ e: Exchange) -> String {
        let millis = Int((Date().timeIntervalSince(e.started) * 1000).rounded())
        let fraction = String(millis % 1000)
        let seconds = "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        let ua = e.head.headers.first(name: "user-agent") ?? "-"
        let line = "\(e.head.method.rawValue) \(e.head.uri) HTTP/\(e.head.version.major).\(e.head.version.minor)"
        return "\(clientIP) - - [\(ClockCache.shared.now().commonLog)] \"\(line)\" \(e.status) \(e.bytes) \"-\" \"\(ua)\" \(seconds) "
            + "[\(e.upstream)] [] \(e.endpoint)"
    }
}
