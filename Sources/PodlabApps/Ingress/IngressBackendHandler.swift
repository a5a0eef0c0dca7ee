import NIOCore
import NIOHTTP1
import NIOPosix

/// Receives one backend connection's response parts and hands them to the client connection that sent the
/// request (`sink`). Lives on the client's event loop, so no locking is needed.
final class IngressBackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    /// The client connection waiting for this backend's answer; nil while the connection idles in the pool.
    weak var sink: IngressProxyHandler?
    /// Whether the backend's last response allows another request on this connection.
    private(set) var reusable = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            reusable = head.isKeepAlive
            sink?.backendHead(head)
        case .body(let body):
            sink?.backendBody(body)
        case .end:
            let sink = self.sink
            self.sink = nil
            sink?.backendEnd(reusable: reusable)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        reusable = false
        let sink = self.sink
        self.sink = nil
        sink?.backendFailed(IngressBackendError.closed)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { sink?.backendWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reusable = false
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
