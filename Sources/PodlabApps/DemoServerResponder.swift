import NIOCore

/// minikube-demo-server: a Hono app on Deno whose `GET /` answers `{"message":"Hello world!"}`.
struct DemoServerResponder: Responder {
    let style = ServerStyle.deno
    var keepsBody: Bool { false }
    private let hello = HonoResponse.json(#"{"message":"Hello world!"}"#)

    func startupLines(port: Int, stamp: ClockStamp) -> [String] { [HonoResponse.listening(port: port)] }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply {
        // Hono's app.get also answers HEAD; other methods and paths have no route.
        let method = request.head.method
        guard request.path == "/", method == .GET || method == .HEAD else { return .now(HonoResponse.notFound) }
        return .now(hello)
    }

    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void
    ) {
        HonoResponse.logLines(request, status: status, emit: emit)
    }
}
