/// How the imitated server frames its responses: header spelling, when it sends `Connection`, and its
/// answer to a request it cannot parse.
struct ServerStyle: Sendable {
    /// `Date: ` (nginx, Go) or `date: ` (hyper, under Deno).
    var dateName: [UInt8]
    /// nginx sends `Connection: keep-alive` on every kept connection; Go and hyper only say `close`.
    var connectionAlways: Bool
    var keepAliveHeader: [UInt8]
    var closeHeader: [UInt8]
    /// nginx and Go reject an HTTP/1.1 request without `Host` (RFC 9112 §3.2); hyper does not.
    var requiresHost: Bool
    /// The answer to a malformed request; the connection closes after it.
    var badRequest: PreparedResponse

    /// nginx's framing, with its own 400 page (which names its version).
    static func nginx(badRequest: PreparedResponse) -> ServerStyle {
        ServerStyle(
            dateName: Array("Date: ".utf8), connectionAlways: true,
            keepAliveHeader: Array("Connection: keep-alive\r\n".utf8), closeHeader: Array("Connection: close\r\n".utf8),
            requiresHost: true, badRequest: badRequest)
    }

    /// Go's net/http framing (httpenv, whoami).
    static let go = ServerStyle(
        dateName: Array("Date: ".utf8), connectionAlways: false, keepAliveHeader: [],
        closeHeader: Array("Connection: close\r\n".utf8), requiresHost: true,
        // net/http answers a request it cannot parse with this fixed text and closes the connection.
        badRequest: PreparedResponse(
            status: 400, beforeDate: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n",
            beforeConnection: "Content-Length: 15\r\n", body: Array("400 Bad Request".utf8), closes: true))

    /// hyper's framing under Deno (the minikube demo server and fetcher): lowercase names.
    static let deno = ServerStyle(
        dateName: Array("date: ".utf8), connectionAlways: false, keepAliveHeader: [],
        closeHeader: Array("connection: close\r\n".utf8), requiresHost: false,
        badRequest: PreparedResponse(
            status: 400, beforeDate: "HTTP/1.1 400 Bad Request\r\n", beforeConnection: "content-length: 0\r\n",
            body: [], closes: true))
}
