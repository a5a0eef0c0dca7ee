import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import PodlabModel
import Synchronization

/// Handles one complete request. Implemented by `KubeAPI`; tests may supply their own.
public protocol APIRequestHandler: Sendable {
    func handle(_ request: APIRequest) async -> APIResponse
    /// Answers a streaming request (a WebSocket upgrade or a chunked body), or nil to leave it to `handle`.
    func handleStream(_ request: APIRequest) async -> APIStreamAnswer?
}

extension APIRequestHandler {
    /// No streams: every request goes to `handle`.
    public func handleStream(_ request: APIRequest) async -> APIStreamAnswer? { nil }
}

/// What a new connection became after its first request: plain HTTP/1.1, or a WebSocket for a session.
enum ServerConnection: Sendable {
    /// Plain HTTP. `refusedUpgrade` is a first request that asked for an upgrade podlab did not grant: NIO's typed
    /// upgrade handler consumes such a request without passing it on, so it is answered from here.
    case http(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, refusedUpgrade: HTTPRequestHead?)
    case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, WebSocketSession)
}

/// The HTTPS listener: TLS with client-certificate auth, HTTP/1.1 keep-alive, chunked streams for watches.
///
/// Each connection is a child task of a discarding task group; a connection's error is logged with its peer and
/// the server goes on (STYLE.md §7).
public struct APIServer: Sendable {
    public var host: String
    public var port: Int
    public var tls: TLSConfiguration?
    public var handler: any APIRequestHandler
    public var logger: Logger
    /// The largest request body accepted; kube-apiserver's limit is 3 MiB for most requests.
    public static let maxBodyBytes = 3 * 1024 * 1024

    /// A listening socket made elsewhere (in a node's network namespace: a socket keeps the namespace it was
    /// created in), served instead of binding `host`:`port`. The server owns and closes it.
    public var boundSocket: Int32?

    public init(host: String, port: Int, tls: TLSConfiguration?, handler: any APIRequestHandler, logger: Logger) {
        self.host = host
        self.port = port
        self.tls = tls
        self.handler = handler
        self.logger = logger
    }

    /// Serves a socket that is already bound and listening; `address` names it in logs.
    public init(boundSocket: Int32, address: String, tls: TLSConfiguration?, handler: any APIRequestHandler, logger: Logger) {
        self.init(host: address, port: 0, tls: tls, handler: handler, logger: logger)
        self.boundSocket = boundSocket
    }

    /// Binds and serves until the task is cancelled. `onBound` receives the bound port (tests bind port 0).
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (Channel) -> EventLoopFuture<EventLoopFuture<ServerConnection>> = { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    let firstHead = FirstRequestHead()
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: NIOUpgradableHTTPServerPipelineConfiguration(
                            upgradeConfiguration: self.upgradeConfiguration(firstHead: firstHead)))
                    let decoder = try channel.pipeline.syncOperations.handler(
                        type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                    try channel.pipeline.syncOperations.addHandler(
                        FirstRequestHeadRecorder(firstHead), position: .after(decoder))
                    return upgraded
                }
            }
        let server =
            if let boundSocket {
                try await bootstrap.bind(boundSocket, childChannelInitializer: initializer)
            } else {
                try await bootstrap.bind(host: host, port: port, childChannelInitializer: initializer)
            }
        onBound(server.channel.localAddress?.port ?? port)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await upgradeResult in inbound {
                    group.addTask {
                        do {
                            switch try await upgradeResult.get() {
                            case .http(let connection, let refused): await self.serve(connection, refusedUpgrade: refused)
                            case .webSocket(let channel, let session): await self.serve(channel, session)
                            }
                        } catch {
                            self.logger.debug("connection setup failed: \(error)")
                        }
                    }
                }
            }
        }
    }

    /// The WebSocket upgrade for pods/exec and pods/attach. NIO offers it on a connection's first request only,
    /// which is where kubectl sends it (client-go dials a new connection for each stream). The handler decides:
    /// a request it answers with a session is upgraded; any other falls through to `handle` as plain HTTP,
    /// where it gets the same error (an upgrade is only ever accepted after validation).
    func upgradeConfiguration(firstHead: FirstRequestHead) -> NIOTypedHTTPServerUpgradeConfiguration<ServerConnection> {
        let handler = self.handler
        // One upgrader per connection, so the session chosen in shouldUpgrade reaches the pipeline callback.
        let chosen = Mutex<WebSocketSession?>(nil)
        let upgrader = NIOTypedWebSocketServerUpgrader<ServerConnection>(
            // kubectl's stdin frames are at most 32 KiB; allow room for larger clients.
            maxFrameSize: 1 << 20,
            shouldUpgrade: { channel, head in
                let request = APIRequest(method: head.method, uri: head.uri, headers: head.headers, body: [])
                let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                promise.completeWithTask {
                    guard case .webSocket(let session)? = await handler.handleStream(request) else { return nil }
                    chosen.withLock { $0 = session }
                    return HTTPHeaders([("Sec-WebSocket-Protocol", session.subprotocol)])
                }
                return promise.futureResult
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    guard let session = chosen.withLock({ $0.take() }) else {
                        throw ChannelError.inappropriateOperationForState
                    }
                    let ws = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                    return ServerConnection.webSocket(ws, session)
                }
            })
        return NIOTypedHTTPServerUpgradeConfiguration(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    let head = firstHead.value.withLock { $0 }
                    let refused = head.flatMap { $0.headers.contains(name: "upgrade") ? $0 : nil }
                    return .http(
                        try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel),
                        refusedUpgrade: refused)
                }
            })
    }

    /// Runs one WebSocket session to its end, then closes the connection.
    func serve(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, _ session: WebSocketSession) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                await session.run(WebSocketConnection(inbound: inbound, outbound: outbound))
            }
        } catch {
            logger.debug("stream connection ended: \(error)")
        }
    }

    /// Serves one connection: a reader task turns parts into requests, the writer answers them in order.
    /// When the client goes away the writer is cancelled, which ends any watch it was streaming.
    func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        refusedUpgrade: HTTPRequestHead? = nil
    ) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        do {
            try await connection.executeThenClose { inbound, outbound in
                if let head = refusedUpgrade {
                    // The decoder stops parsing after a request that asked to upgrade, so the connection cannot
                    // carry another request: answer this one (kubectl then retries or reports the error) and close.
                    try await self.answer(
                        APIRequest(method: head.method, uri: head.uri, headers: head.headers, body: []),
                        outbound: outbound)
                    return
                }
                let (requests, continuation) = AsyncStream.makeStream(of: APIRequest.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { continuation.finish() }
                        var head: HTTPRequestHead?
                        var body: [UInt8] = []
                        var tooLarge = false
                        for try await part in inbound {
                            switch part {
                            case .head(let h):
                                head = h
                                body = []
                                tooLarge = false
                            case .body(var buf):
                                if body.count + buf.readableBytes > APIServer.maxBodyBytes {
                                    tooLarge = true
                                } else if let bytes = buf.readBytes(length: buf.readableBytes) {
                                    body.append(contentsOf: bytes)
                                }
                            case .end:
                                guard let h = head else { continue }
                                var req = APIRequest(method: h.method, uri: h.uri, headers: h.headers, body: body)
                                if tooLarge { req.headers.replaceOrAdd(name: "x-podlab-too-large", value: "1") }
                                continuation.yield(req)
                                head = nil
                            }
                        }
                    }
                    group.addTask {
                        for await request in requests {
                            try await self.answer(request, outbound: outbound)
                        }
                    }
                    // Whichever ends first (client gone, or a write failed) ends the connection.
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("connection from \(peer) ended: \(error)")
        }
    }

    func answer(_ request: APIRequest, outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let response: APIResponse
        if !request.headers.contains(name: "x-podlab-too-large"), let answer = await handler.handleStream(request) {
            switch answer {
            case .response(let r):
                response = r
            case .webSocket:
                // Upgrades happen before this point; a session here came without a valid WebSocket handshake.
                response = .error(StatusError.badRequest("Upgrade request required"))
            case .chunked(let contentType, let produce):
                logger.debug("\(request.method) \(request.path) -> 200 (stream)")
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: contentType)
                headers.add(name: "transfer-encoding", value: "chunked")
                headers.add(name: "cache-control", value: "no-cache, private")
                try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
                try await produce { bytes in
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                }
                try await outbound.write(.end(nil))
                return
            }
        } else if request.headers.contains(name: "x-podlab-too-large") {
            response = .error(
                StatusError(
                    code: 413, reason: "RequestEntityTooLarge",
                    message: "the request body is larger than \(APIServer.maxBodyBytes) bytes"))
        } else {
            response = await handler.handle(request)
        }
        logger.debug("\(request.method) \(request.path) -> \(response.statusCode)")
        switch response {
        case .json(let status, let value, let extra):
            var bytes = value.serialized()
            bytes.append(UInt8(ascii: "\n"))
            try await writeWhole(status, contentType: "application/json", bytes, extra: extra, outbound: outbound)
        case .text(let status, let text):
            try await writeWhole(
                status, contentType: "text/plain; charset=utf-8", Array(text.utf8), extra: [], outbound: outbound)
        case .bytes(let status, let contentType, let body):
            try await writeWhole(status, contentType: contentType, body, extra: [], outbound: outbound)
        case .stream(let watch):
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "transfer-encoding", value: "chunked")
            headers.add(name: "cache-control", value: "no-cache, private")
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            for line in watch.initial { try await writeLine(line, outbound) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in watch.events {
                        if let line = watch.transform(event) { try await writeLine(line, outbound) }
                    }
                }
                if let timeout = watch.timeout {
                    group.addTask { try await Task.sleep(for: timeout) }
                }
                // The stream ends (store shut down or this watcher cut off) or the timeout passes: stop both.
                _ = try await group.next()
                group.cancelAll()
            }
            try await outbound.write(.end(nil))
        }
    }

    func writeLine(_ value: JSONValue, _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var bytes = value.serialized()
        bytes.append(UInt8(ascii: "\n"))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
    }

    func writeWhole(
        _ status: HTTPResponseStatus, contentType: String, _ bytes: [UInt8], extra: [(String, String)],
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(bytes.count))
        headers.add(name: "cache-control", value: "no-cache, private")
        for (k, v) in extra { headers.add(name: k, value: v) }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        try await outbound.write(.end(nil))
    }
}

/// The first request head of a connection, recorded before NIO's upgrade handler can consume it.
final class FirstRequestHead: Sendable {
    let value = Mutex<HTTPRequestHead?>(nil)
}

/// Records the first request head, passes it on and leaves the pipeline (after an upgrade the channel carries
/// WebSocket bytes, which this handler must not see).
final class FirstRequestHeadRecorder: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    let first: FirstRequestHead

    init(_ first: FirstRequestHead) { self.first = first }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            first.value.withLock { if $0 == nil { $0 = head } }
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

extension APIResponse {
    /// The HTTP status code, for logs.
    var statusCode: UInt {
        switch self {
        case .json(let s, _, _): return s.code
        case .text(let s, _): return s.code
        case .bytes(let s, _, _): return s.code
        case .stream: return 200
        }
    }
}
