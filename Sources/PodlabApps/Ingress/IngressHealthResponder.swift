import NIOCore

/// The controller's /healthz on 10254: 200 "ok" once the routing table is built, 500 before. Go's framing.
struct IngressHealthResponder: Responder {
    let style = ServerStyle.go
    var keepsBody: Bool { false }
    let synced: @Sendable () -> Bool

    func startupLines(port: Int, stamp: ClockStamp) -> [String] { [] }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply {
        switch request.path {
        case "/healthz": return .now(synced() ? Self.text(200, "ok") : Self.text(500, "routing table not built yet"))
        default: return .now(Self.text(404, "404 page not found\n"))
        }
    }

    func accessLog(_ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void) {}

    static func text(_ status: Int, _ body: String) -> PreparedResponse {
        let reason = [200: "OK", 404: "Not Found", 500: "Internal Server Error"][status] ?? "OK"
        let bytes = Array(body.utf8)
        return PreparedResponse(
            status: status, beforeDate: "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/plain; charset=utf-8\r\n",
            beforeConnection: "Content-Length: \(bytes.count)\r\n", body: bytes)
    }
}
