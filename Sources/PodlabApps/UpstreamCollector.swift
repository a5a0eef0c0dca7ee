import NIOCore
import NIOHTTP1

/// Sends one request when the connection is up and gathers the response into `answer`.
final class UpstreamCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The demo server's answer is a line of JSON; anything much bigger is not what the fetcher expects.
    static var bodyLimit: Int { 1 << 20 }

    private let request: HTTPRequestHead
    private let answer: EventLoopPromise<UpstreamFetch.Answer>
    private var status = 0
    private var body = ByteBuffer()
    private var done = false

    init(request: HTTPRequestHead, answer: EventLoopPromise<UpstreamFetch.Answer>) {
        self.request = request
        self.answer = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes <= Self.bodyLimit { body.writeBuffer(&chunk) }
        case .end:
            complete(.success(.init(status: status, body: body)))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.eof))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }

    private func complete(_ result: Result<UpstreamFetch.Answer, any Error>) {
        guard !done else { return }
        done = true
        answer.completeWith(result)
    }
}
