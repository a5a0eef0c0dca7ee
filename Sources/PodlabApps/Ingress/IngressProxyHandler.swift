import Foundation
import NIOCore
import NIOHTTP1

/// One client connection of the ingress proxy: routes each request by Host and path, forwards it to one ready
/// endpoint of the chosen Service over a pooled backend connection, and streams the answer back.
///
/// Requests on a keep-alive connection are taken one at a time: a pipelined request that arrives while one is in
/// flight waits in `queued` (reading stops while that holds more than `queueLimit` bytes), so the socket keeps
/// its read interest between requests as nginx's does, with no epoll change per request. Requests are parsed by
/// NIO's decoder; what goes to the backend and back to the client is written as bytes (`IngressWire`).
/// ingress-nginx's headers are added: X-Real-IP, X-Forwarded-For, -Host, -Port, -Proto, X-Scheme; Host is kept. No endpoint: 503; no rule: the default backend's 404; backend refused: 502;
/// backend silent: 504 (connect 5 s, read 60 s, ingress-nginx's defaults).
final class IngressProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    let routes: IngressRoutes
    let pool: IngressBackendPool
    let scheme: String
    let serverPort: Int
    private let serverPortText: String
    let log: @Sendable (String) -> Void
    /// ingress-nginx's `proxy-read-timeout` default.
    static let defaultReadTimeout = TimeAmount.seconds(60)
    /// How long the backend may take to start its answer.
    let readTimeout: TimeAmount

    private enum State {
        case idle
        /// Waiting for a backend connection; the request's bytes so far are kept to send when it is open.
        case connecting([ByteBuffer])
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
    /// When the backend's answer must have started, while a request waits for one.
    private var readDeadline: NIODeadline?
    /// One timer per connection, not per request: it fires at the deadline it was set for and, if the request it
    /// was set for has been answered and another is waiting, sleeps on until that one's deadline.
    private var watchdog: Scheduled<Void>?
    private var clientIP = "-"
    private var ids = RequestIDGenerator()
    /// The request as sent, kept while it is small enough to send again (nil once it is not).
    private var replay: [ByteBuffer]?
    /// Whether the request's body goes to the backend chunked (it came with Transfer-Encoding).
    private var chunkedRequest = false
    /// Whether the request is a HEAD (its answer has no body).
    private var headRequest = false
    /// How the answer's body is framed for the client: as the backend framed it (`length`), re-chunked, or
    /// delimited by closing the connection (an HTTP/1.0 client and a body of unknown length).
    private var clientFraming = IngressBodyFraming.none
    private var replayBytes = 0
    /// Whether the backend connection came from the pool, and whether this request was already sent again.
    private var reused = false
    private var retried = false
    /// Requests up to this size are kept for one retry on a new connection, as nginx's `proxy_next_upstream error`.
    static let replayLimit = 64 * 1024
    /// What came while a request was in flight, in order: parts of pipelined requests, or the parser's verdict
    /// that what followed was not HTTP (answered 400 in its turn, as nginx does, and the connection closed).
    private enum Waiting {
        case part(HTTPServerRequestPart)
        case badRequest
    }
    private var queued: [Waiting] = []
    private var queuedBytes = 0
    private var draining = false
    static let queueLimit = 64 * 1024
    /// Whether this connection's or the backend's reading was paused for back-pressure (and must be resumed).
    private var clientPaused = false
    private var backendPaused = false

    init(routes: IngressRoutes, pool: IngressBackendPool, scheme: String, serverPort: Int,
         readTimeout: TimeAmount = IngressProxyHandler.defaultReadTimeout, log: @escaping @Sendable (String) -> Void) {
        self.readTimeout = readTimeout
        self.routes = routes
        self.pool = pool
        self.scheme = scheme
        self.serverPort = serverPort
        self.serverPortText = String(serverPort)
        self.log = log
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientIP = context.channel.remoteAddress?.ipAddress ?? "-"
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelInactive(context: ChannelHandlerContext) {
        watchdog?.cancel()
        watchdog = nil
        readDeadline = nil
        // The client left mid-exchange: the backend connection is in an unknown state, so it is not reused.
        if case .forwarding(let backend) = state { backend.close(promise: nil) }
        state = .idle
        queued = []
        queuedBytes = 0
        context.fireChannelInactive()
    }

    /// Whether a request is being proxied or answered (a new head must wait).
    private var busy: Bool {
        if exchange != nil { return true }
        switch state {
        case .connecting, .forwarding: return true
        case .idle, .answered: return false
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !queued.isEmpty || (busy && Self.isHead(part)) {
            queued.append(.part(part))
            queuedBytes += Self.weight(part)
            if queuedBytes > Self.queueLimit { pauseClient() }
            return
        }
        handle(part, context: context)
    }

    /// What a waiting part counts against `queueLimit`: its body bytes, or a head's URI and headers.
    private static func weight(_ part: HTTPServerRequestPart) -> Int {
        switch part {
        case .head(let head): return 16 + head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        case .body(let body): return body.readableBytes
        case .end: return 0
        }
    }

    private static func isHead(_ part: HTTPServerRequestPart) -> Bool {
        if case .head = part { return true }
        return false
    }

    /// The request decoder failed (the bytes are not HTTP/1): 400 once earlier requests are answered, then close.
    /// Other errors (the socket's) end the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        if !queued.isEmpty || busy {
            queued.append(.badRequest)
        } else {
            badRequest()
        }
    }

    private func badRequest() {
        keepAlive = false
        requestEnded = true
        exchange = nil
        answer(400)
    }

    /// Takes the waiting parts of pipelined requests until one has to wait again.
    private func drainQueue() {
        // A request answered here finishes inside `handle` and calls back; the loop below already goes on.
        guard !draining else { return }
        draining = true
        defer { draining = false }
        taking: while let context, let next = queued.first {
            switch next {
            case .part(let part):
                if busy, Self.isHead(part) { break taking }
                queued.removeFirst()
                queuedBytes -= Self.weight(part)
                handle(part, context: context)
            case .badRequest:
                if busy { break taking }
                queued = []
                badRequest()
            }
        }
        resumeClient()
    }

    private func pauseClient() {
        guard !clientPaused, let context else { return }
        clientPaused = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
    }

    /// Reads the client again, unless pipelined requests already fill the queue (the queue's drain resumes it).
    private func resumeClient() {
        guard clientPaused, queuedBytes <= Self.queueLimit, let context else { return }
        clientPaused = false
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    private func pauseBackend(_ backend: any Channel) {
        guard !backendPaused else { return }
        backendPaused = true
        backend.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
    }

    private func resumeBackend(_ backend: any Channel) {
        guard backendPaused else { return }
        backendPaused = false
        backend.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head): start(head, context: context)
        case .body(let body):
            switch state {
            case .connecting, .forwarding: break
            case .idle, .answered: return
            }
            send(chunkedRequest ? IngressWire.chunk(body, allocator: context.channel.allocator) : body)
        case .end:
            requestEnded = true
            if chunkedRequest {
                switch state {
                case .connecting, .forwarding:
                    var last = context.channel.allocator.buffer(capacity: 5)
                    last.writeStaticString(IngressWire.lastChunk)
                    send(last)
                case .idle, .answered: break
                }
            }
            if case .answered = state, exchange == nil { state = .idle }
        }
    }

    /// Sends request bytes to the backend, or keeps them until its connection is open.
    private func send(_ bytes: ByteBuffer) {
        replayBytes += bytes.readableBytes
        if replayBytes > Self.replayLimit { replay = nil } else { replay?.append(bytes) }
        switch state {
        case .connecting(var parts):
            parts.append(bytes)
            state = .connecting(parts)
        case .forwarding(let backend):
            backend.writeAndFlush(bytes, promise: nil)
            if !backend.isWritable { pauseClient() }
        case .idle, .answered: break
        }
    }

    // MARK: - Request

    private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        keepAlive = head.isKeepAlive
        requestEnded = false
        backendPaused = false
        headRequest = head.method == .HEAD
        chunkedRequest = false
        clientFraming = .none
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
            chunkedRequest = IngressWire.requestIsChunked(head)
            let first = backendHead(head, host: host, allocator: context.channel.allocator)
            state = .connecting([first])
            replay = [first]
            replayBytes = first.readableBytes
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

    /// The request head as the backend gets it: hop-by-hop headers dropped, ingress-nginx's forwarding headers set.
    private func backendHead(_ head: HTTPRequestHead, host: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 512)
        let forwardedHost = host.isEmpty ? "-" : IngressProxyHandler.stripPort(host)
        IngressWire.writeRequestHead(
            head, host: head.headers.contains(name: "host") ? nil : host,
            added: [
                ("X-Request-ID", requestID()), ("X-Real-IP", clientIP), ("X-Forwarded-For", clientIP),
                ("X-Forwarded-Host", forwardedHost), ("X-Forwarded-Port", serverPortText),
                ("X-Forwarded-Proto", scheme), ("X-Forwarded-Scheme", scheme), ("X-Scheme", scheme),
            ], chunked: chunkedRequest, into: &out)
        return out
    }

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
        handler.expectResponse(toHEAD: headRequest)
        state = .forwarding(backend)
        for part in parts { backend.write(part, promise: nil) }
        backend.flush()
        let deadline = NIODeadline.now() + readTimeout
        readDeadline = deadline
        if watchdog == nil { watch(until: deadline, context: context) }
    }

    private func watch(until deadline: NIODeadline, context: ChannelHandlerContext) {
        watchdog = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.watchdog = nil
            guard let due = self.readDeadline, let context = self.context else { return }
            if due <= .now() {
                self.readDeadline = nil
                self.backendFailed(IngressBackendError.readTimeout)
            } else {
                self.watch(until: due, context: context)
            }
        }
    }

    // MARK: - Response

    func backendHead(_ head: BackendResponseParser.Head) {
        guard let context else { return }
        var out = context.channel.allocator.buffer(capacity: head.status.readableBytes + head.lines.readableBytes + 64)
        out.writeStaticString("HTTP/1.1 ")
        var status = head.status
        out.writeBuffer(&status)
        out.writeStaticString("\r\n")
        var lines = head.lines
        out.writeBuffer(&lines)
        if head.informational {
            // 100 Continue and the like go on as they are; the final answer follows (the read timer keeps running).
            out.writeStaticString("\r\n")
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            return
        }
        readDeadline = nil
        responseStarted = true
        let http11Client = (exchange?.head.version ?? .http1_1) == .http1_1
        switch head.framing {
        case .none: clientFraming = .none
        case .length(let n): clientFraming = .length(n)
        case .chunked, .untilClose:
            // A body of unknown length: chunked to an HTTP/1.1 client, delimited by the close to an HTTP/1.0 one.
            if http11Client {
                clientFraming = .chunked
                out.writeStaticString("Transfer-Encoding: chunked\r\n")
            } else {
                clientFraming = .untilClose
                keepAlive = false
            }
        }
        writeConnectionHeader(http11Client: http11Client, into: &out)
        out.writeStaticString("\r\n")
        exchange?.status = head.code
        context.write(wrapOutboundOut(out), promise: nil)
    }

    /// `Connection: close` when this exchange ends the connection; `keep-alive` for an HTTP/1.0 client that keeps it.
    private func writeConnectionHeader(http11Client: Bool, into out: inout ByteBuffer) {
        if !keepAlive {
            out.writeStaticString("Connection: close\r\n")
        } else if !http11Client {
            out.writeStaticString("Connection: keep-alive\r\n")
        }
    }

    func backendBody(_ body: ByteBuffer) {
        guard let context else { return }
        exchange?.bytes += body.readableBytes
        let out = clientFraming == .chunked ? IngressWire.chunk(body, allocator: context.channel.allocator) : body
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        // A slow client: stop reading the backend until the client's socket drains (no unbounded buffering).
        if !context.channel.isWritable, case .forwarding(let backend) = state { pauseBackend(backend) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(let backend) = state { resumeBackend(backend) }
        context.fireChannelWritabilityChanged()
    }

    /// The backend's socket drained: read the client's request body again (unless pipelined requests fill the queue).
    func backendWritable() {
        resumeClient()
    }

    func backendEnd(reusable: Bool) {
        guard case .forwarding(let backend) = state, let endpoint = exchange?.endpoint else { return }
        if reusable && requestEnded {
            // Reading may have been paused for a slow client while the end was already in the read buffer: a
            // pooled connection must read, or the next request on it never sees its answer.
            resumeBackend(backend)
            pool.release(endpoint, backend)
        } else {
            backend.close(promise: nil)
        }
        backendPaused = false
        // Likewise the client's reads, paused for a slow backend that has answered before taking the whole body.
        resumeClient()
        finish()
    }

    func backendFailed(_ error: any Error) {
        readDeadline = nil
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
        let body = IngressPages.page(status)
        let http11Client = (exchange?.head.version ?? .http1_1) == .http1_1
        var out = context.channel.allocator.buffer(capacity: 256 + body.utf8.count)
        out.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nDate: ")
        out.writeBytes(ClockCache.shared.now().httpDate)
        out.writeString("\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n")
        if let location { IngressWire.writeHeader("Location", location, into: &out) }
        // The rest of a request answered before its end (a GET's end comes right after its head) is read and
        // dropped, as nginx discards a request body, and the connection stays open for the next request.
        writeConnectionHeader(http11Client: http11Client, into: &out)
        out.writeStaticString("\r\n")
        if !headRequest { out.writeString(body) }
        state = .answered
        clientFraming = .none
        // Reading may be paused for a backend that is gone now.
        resumeClient()
        exchange?.status = code
        exchange?.bytes = body.utf8.count
        context.write(wrapOutboundOut(out), promise: nil)
        finish()
    }

    private func finish() {
        guard let context else { return }
        if let e = exchange { log(accessLine(e)) }
        exchange = nil
        let close = !keepAlive
        // Answered before the request's body ended: the rest of it is read and dropped until its end.
        if case .answered = state, !requestEnded {} else { state = .idle }
        var tail = context.channel.allocator.buffer(capacity: 5)
        if clientFraming == .chunked { tail.writeStaticString(IngressWire.lastChunk) }
        clientFraming = .none
        if close {
            queued = []
            queuedBytes = 0
            // Closed once everything written before is out (an empty write completes in order).
            context.writeAndFlush(wrapOutboundOut(tail)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            if tail.readableBytes > 0 { context.write(wrapOutboundOut(tail), promise: nil) }
            context.flush()
            drainQueue()
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
