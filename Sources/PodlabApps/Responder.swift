import NIOCore
import NIOHTTP1

/// One built-in image's HTTP behaviour. Called on the connection's event loop, so `respond` must not block;
/// the fetcher, which waits on the network, answers `.later` with a future on that loop.
protocol Responder: Sendable {
    /// How responses are framed (header case, `Connection`, the 400 answer).
    var style: ServerStyle { get }
    /// Whether request bodies are kept for `respond` (whoami echoes them); others are drained unread.
    var keepsBody: Bool { get }
    /// The lines the real image prints when it starts listening on `port`.
    func startupLines(port: Int, stamp: ClockStamp) -> [String]
    /// The answer to one complete request.
    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply
    /// The access-log lines for an answered request (`request` is nil for one that could not be parsed).
    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void)
}

/// A responder's answer: ready now (every static page), or later (the fetcher's upstream round trip).
enum Reply {
    case now(PreparedResponse)
    case later(EventLoopFuture<PreparedResponse>)
}

/// A complete request as the responders see it.
struct RequestInfo {
    var head: HTTPRequestHead
    /// The body when the responder keeps bodies (at most `ResponderConnectionHandler.bodyLimit` bytes).
    var body: ByteBuffer?
    /// The client's address, for access logs and whoami's `RemoteAddr`.
    var remote: SocketAddress?
    /// When the request head arrived, for loggers that print durations.
    var started: NIODeadline

    var isHead: Bool { head.method == .HEAD }

    /// The client's IP as text (`10.244.1.3`, `::1`), or `-` when unknown.
    var remoteIP: String { remote?.ipAddress ?? "-" }

    /// `ip:port` as Go prints `RemoteAddr` (`[::1]:5000` for IPv6).
    var remoteHostPort: String {
        guard let remote, let ip = remote.ipAddress, let port = remote.port else { return "" }
        if case .v6 = remote { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    /// The request line as it came: `GET /index.html HTTP/1.1`.
    var requestLine: String { "\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)" }

    /// The path without the query string.
    var path: Substring {
        let uri = Substring(head.uri)
        return uri.firstIndex(of: "?").map { uri[..<$0] } ?? uri
    }
}
