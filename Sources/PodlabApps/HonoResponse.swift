import NIOCore

/// Responses as the minikube demo apps send them: Hono's `c.json` / `c.text` under `Deno.serve`, with the
/// `cors()` middleware's header, lowercase names as hyper writes them.
enum HonoResponse {
    static func json(_ text: String, status: Int = 200, reason: String = "OK") -> PreparedResponse {
        let body = Array(text.utf8)
        return PreparedResponse(
            status: status,
            beforeDate: "HTTP/1.1 \(status) \(reason)\r\naccess-control-allow-origin: *\r\n"
                + "content-type: application/json\r\nvary: Accept-Encoding\r\n",
            beforeConnection: "content-length: \(body.count)\r\n", body: body)
    }

    /// Hono's answer for a route it does not have.
    static let notFound: PreparedResponse = {
        let body = Array("404 Not Found".utf8)
        return PreparedResponse(
            status: 404,
            beforeDate: "HTTP/1.1 404 Not Found\r\naccess-control-allow-origin: *\r\n"
                + "content-type: text/plain; charset=UTF-8\r\n",
            beforeConnection: "content-length: \(body.count)\r\n", body: body)
    }()

    /// Deno's startup line for `Deno.serve` on all addresses.
    static func listening(port: Int) -> String { "Listening on http://0.0.0.0:\(port)/" }

    /// Hono's `logger()` lines: `<-- GET /` when a request comes in, `--> GET / 200 3ms` when answered.
    static func logLines(_ request: RequestInfo?, status: Int, emit: (String) -> Void) {
        guard let request else { return }
        let method = request.head.method.rawValue
        let elapsed = (NIODeadline.now() - request.started).nanoseconds / 1_000_000
        emit("<-- \(method) \(request.path)")
        emit("--> \(method) \(request.path) \(status) \(elapsed)ms")
    }
}
