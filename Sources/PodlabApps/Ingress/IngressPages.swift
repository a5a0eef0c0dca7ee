import NIOCore
import NIOHTTP1

/// The answers ingress-nginx gives itself: nginx's error pages (404 from the default backend, 502, 503, 504)
/// and the controller's /healthz.
enum IngressPages {
    static func page(_ status: HTTPResponseStatus) -> String {
        let title = "\(status.code) \(status.reasonPhrase)"
        return "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n"
            + "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    }

    /// nginx's reason phrases where they differ from NIO's (503 is "Service Temporarily Unavailable").
    static func status(_ code: Int) -> HTTPResponseStatus {
        code == 503 ? .custom(code: 503, reasonPhrase: "Service Temporarily Unavailable") : HTTPResponseStatus(statusCode: code)
    }
}
