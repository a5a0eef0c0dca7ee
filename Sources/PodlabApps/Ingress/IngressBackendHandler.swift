import NIOCore
import NIOPosix

/// Reads one backend connection's responses (`BackendResponseParser`) and hands them to the client connection
/// that sent the request (`sink`). Lives on the client's event loop, so no locking is needed.
final class IngressBackendHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// The client connection waiting for this backend's answer; nil while the connection idles in the pool.
    weak var sink: IngressProxyHandler?
    private var parser = BackendResponseParser()

    /// A request was just sent on this connection; `head` when it was a HEAD.
    func expectResponse(toHEAD head: Bool) {
        parser.expectResponse(toHEAD: head)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard sink != nil else {
            // Bytes nobody asked for (an idle pooled connection): its state is unknown, so it is not used again.
            context.close(promise: nil)
            return
        }
        do {
            while let event = try parser.next(&buffer) {
                switch event {
                case .head(let head): sink?.backendHead(head)
                case .data(let body): sink?.backendBody(body)
                case .end(let reusable):
                    let sink = self.sink
                    self.sink = nil
                    sink?.backendEnd(reusable: reusable)
                }
            }
        } catch {
            fail(context: context, error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let sink = self.sink
        self.sink = nil
        if case .end(let reusable)? = parser.closed() {
            sink?.backendEnd(reusable: reusable)
        } else {
            sink?.backendFailed(IngressBackendError.closed)
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { sink?.backendWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        let sink = self.sink
        self.sink = nil
        sink?.backendFailed(error)
        context.close(promise: nil)
    }
}

/// Why a backend gave no (complete) answer, in the words of nginx's error log.
enum IngressBackendError: Error, CustomStringConvertible {
    case closed
    case readTimeout

    var description: String {
        switch self {
        case .closed: return "upstream prematurely closed connection while reading response header from upstream"
        case .readTimeout: return "upstream timed out (110: Connection timed out) while reading response header from upstream"
        }
    }
}
