import NIOCore
import NIOPosix

/// Keep-alive connections to backends, one pool per event loop (only that loop touches it), as nginx's
/// `upstream { keepalive 320; }` that ingress-nginx configures. Idle connections a backend closed are skipped.
final class IngressBackendPool {
    let loop: any EventLoop
    private var idle: [String: [any Channel]] = [:]
    /// ingress-nginx's `upstream-keepalive-connections` default.
    static let maxIdlePerEndpoint = 320
    /// ingress-nginx's `proxy-connect-timeout` default.
    static let connectTimeout = TimeAmount.seconds(5)

    init(loop: any EventLoop) { self.loop = loop }

    /// A connection to a backend and whether it served a request before (a reused one may have been closed by
    /// the backend at the moment it was taken: the request is then retried once on a new connection).
    struct Lease {
        var channel: any Channel
        var reused: Bool
    }

    /// An open connection to `endpoint` (`ip:port`): an idle one, else a new one.
    func acquire(_ endpoint: String) -> EventLoopFuture<Lease> {
        while let channel = idle[endpoint]?.popLast() {
            if channel.isActive { return loop.makeSucceededFuture(Lease(channel: channel, reused: true)) }
        }
        return connect(endpoint).map { Lease(channel: $0, reused: false) }
    }

    /// A new connection to `endpoint`.
    func connect(_ endpoint: String) -> EventLoopFuture<any Channel> {
        guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]),
            let address = try? SocketAddress(ipAddress: String(endpoint[..<colon]), port: port)
        else {
            return loop.makeFailedFuture(IOError(errnoCode: EINVAL, reason: "bad endpoint \(endpoint)"))
        }
        return ClientBootstrap(group: loop)
            .connectTimeout(Self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                // Bytes both ways: the proxy writes the request as it frames it and the handler reads responses.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IngressBackendHandler())
                }
            }
            .connect(to: address)
    }

    /// Gives back a connection whose exchange completed and that the backend keeps open.
    func release(_ endpoint: String, _ channel: any Channel) {
        guard channel.isActive, idle[endpoint, default: []].count < Self.maxIdlePerEndpoint else {
            channel.close(promise: nil)
            return
        }
        idle[endpoint, default: []].append(channel)
    }
}
