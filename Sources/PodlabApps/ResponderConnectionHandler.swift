import NIOCore
import NIOHTTP1

/// Serves one connection: answers decoded requests in order through a `Responder`, writing prepared bytes
/// straight to the socket (no response encoder), and flushing once per read so pipelined requests share a
/// write. Requests that arrive while an answer is pending (only the fetcher's are) wait in a queue.
final class ResponderConnectionHandler<R: Responder>: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = Never
    typealias OutboundOut = ByteBuffer

    /// whoami echoes bodies; more than this is cut (a lab never sends more than a form).
    static var bodyLimit: Int { 1 << 20 }

    private enum Pending {
        case request(RequestInfo)
        case malformed
    }

    private let responder: R
    private let log: @Sendable (String) -> Void
    private let clock: ClockCache
    private var remote: SocketAddress?
    private var partial: RequestInfo?
    private var queue = CircularBuffer<Pending>()
    private var waiting = false
    private var closing = false
    private var needsFlush = false

    init(responder: R, log: @escaping @Sendable (String) -> Void, clock: ClockCache = .shared) {
        self.responder = responder
        self.log = log
        self.clock = clock
    }

    func handlerAdded(context: ChannelHandlerContext) {
        remote = context.channel.remoteAddress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            partial = RequestInfo(head: head, body: nil, remote: remote, started: .now())
            if head.version.major == 1, head.version.minor >= 1,
                let expect = head.headers.first(name: "expect"), expect.lowercased() == "100-continue"
            {
                // RFC 9110 §10.1.1: tell the client to send the body it is holding back.
                context.write(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
                needsFlush = true
            }
        case .body(var chunk):
            guard responder.keepsBody, partial != nil else { return }
            if var body = partial?.body {
                partial?.body = nil  // one owner while appending, so the buffer is not copied
                if body.readableBytes + chunk.readableBytes <= Self.bodyLimit { body.writeBuffer(&chunk) }
                partial?.body = body
            } else {
                partial?.body = chunk
            }
        case .end:
            guard let request = partial else { return }
            partial = nil
            if waiting || !queue.isEmpty {
                queue.append(.request(request))
            } else {
                answer(.request(request), context: context)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closing else { return }
        if error is HTTPParserError {
            // A request we cannot parse gets the server's 400 once the answers before it are out.
            if waiting || !queue.isEmpty {
                queue.append(.malformed)
            } else {
                answer(.malformed, context: context)
                context.flush()
            }
        } else {
            // Resets and other socket errors end the connection; clients do that routinely.
            closing = true
            context.close(promise: nil)
        }
    }

    // MARK: - Answering

    private func answer(_ pending: Pending, context: ChannelHandlerContext) {
        switch pending {
        case .malformed:
            send(responder.style.badRequest, for: nil, context: context)
        case .request(let request):
            if responder.style.requiresHost, request.head.version == .http1_1,
                !request.head.headers.contains(name: "host")
            {
                send(responder.style.badRequest, for: request, context: context)
                return
            }
            switch responder.respond(to: request, on: context.eventLoop) {
            case .now(let response):
                send(response, for: request, context: context)
            case .later(let future):
                waiting = true
                future.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                    self.waiting = false
                    guard !self.closing, context.channel.isActive else { return }
                    switch result {
                    case .success(let response): self.send(response, for: request, context: context)
                    case .failure: self.send(self.responder.style.badRequest, for: request, context: context)
                    }
                    context.flush()
                    self.needsFlush = false
                    self.drainQueue(context: context)
                }
            }
        }
    }

    private func drainQueue(context: ChannelHandlerContext) {
        while !waiting, !closing, let next = queue.popFirst() {
            answer(next, context: context)
        }
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    private func send(_ response: PreparedResponse, for request: RequestInfo?, context: ChannelHandlerContext) {
        let stamp = clock.now()
        let keepAlive = !response.closes && (request?.head.isKeepAlive ?? false)
        let includeBody = !(request?.isHead ?? false)
        let bytes = response.encode(
            style: responder.style, date: stamp.httpDate, keepAlive: keepAlive, includeBody: includeBody,
            allocator: context.channel.allocator)
        responder.accessLog(
            request, status: response.status, bodyBytesSent: includeBody ? response.body.count : 0, stamp: stamp,
            emit: log)
        if keepAlive {
            context.write(wrapOutboundOut(bytes), promise: nil)
            needsFlush = true
        } else {
            closing = true
            queue.removeAll()
            needsFlush = false
            context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
