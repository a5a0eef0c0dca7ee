import NIOCore

/// bretfisher/httpenv: a Go program whose one handler answers every path and method with `json.Marshal`
/// of a map built from `os.Environ()`. It sets no Content-Type, so net/http sniffs the body and sends
/// `text/plain; charset=utf-8`; the body is compact JSON with sorted keys and no trailing newline.
struct HTTPEnvResponder: Responder {
    let style = ServerStyle.go
    var keepsBody: Bool { false }
    private let ok: PreparedResponse

    /// `env` is the container's environment in order; a later name wins, as in a map built from
    /// `os.Environ()`. HOME is added as the container runtime adds it when the image does not set it.
    init(env: [(name: String, value: String)]) {
        var map: [String: String] = [:]
        for (name, value) in env { map[name] = value }
        if map["HOME"] == nil { map["HOME"] = "/root" }
        let body = Array(GoJSON.object(map).utf8)
        ok = PreparedResponse(
            status: 200, beforeDate: "HTTP/1.1 200 OK\r\n",
            beforeConnection: "Content-Length: \(body.count)\r\nContent-Type: text/plain; charset=utf-8\r\n",
            body: body)
    }

    func startupLines(port: Int, stamp: ClockStamp) -> [String] { [] }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply { .now(ok) }

    /// httpenv itself logs nothing; podlab prints one Go-log line per request so `kubectl logs` shows traffic.
    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void
    ) {
        let who = request?.remoteHostPort ?? "-"
        let line = request?.requestLine ?? "-"
        emit("\(stamp.goLog) \(who) \"\(line)\" \(status) \(bodyBytesSent)")
    }
}
