import NIOCore
import PodlabModel

/// minikube-demo-server-fetcher: on `GET /` it fetches the demo server through its Service name and answers
/// `{"message":"Fetched: <the server's message>"}`. A fetch that fails answers 502 naming the reason (the
/// real app's unhandled error would be a bare 500; the reason is what a learner needs to see).
struct DemoFetcherResponder: Responder {
    /// The tutorial's upstream; `FETCH_URL` in the container's env replaces it.
    static let defaultURL = "http://minikube-demo-server-service:8000"
    static let urlVariable = "FETCH_URL"

    let style = ServerStyle.deno
    var keepsBody: Bool { false }
    let urlText: String
    let timeout: TimeAmount
    let log: @Sendable (String) -> Void

    init(env: [(name: String, value: String)], timeout: TimeAmount = .seconds(5), log: @escaping @Sendable (String) -> Void) {
        urlText = env.last(where: { $0.name == Self.urlVariable })?.value ?? Self.defaultURL
        self.timeout = timeout
        self.log = log
    }

    func startupLines(port: Int, stamp: ClockStamp) -> [String] { [HonoResponse.listening(port: port)] }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply {
        let method = request.head.method
        guard request.path == "/", method == .GET || method == .HEAD else { return .now(HonoResponse.notFound) }
        guard let url = FetchURL(urlText) else { return .now(failed(.badURL(urlText))) }
        let log = self.log
        return .later(
            UpstreamFetch.get(url, timeout: timeout, on: eventLoop).map { answer in
                guard let message = Self.message(in: answer) else {
                    let reason = "HTTP \(answer.status) with a body that is not JSON"
                    return Self.failedResponse(.upstream(target: url.authority, reason: reason), log: log)
                }
                return HonoResponse.json(#"{"message":"# + GoJSON.quoted("Fetched: " + message, htmlSafe: false) + "}")
            }.recover { error in
                Self.failedResponse(error as? FetchFailure ?? .upstream(target: url.authority, reason: "\(error)"), log: log)
            })
    }

    /// `data.message` as JavaScript's template literal shows it; nil for a body that is not JSON, on which
    /// `res.json()` would throw.
    static func message(in answer: UpstreamFetch.Answer) -> String? {
        guard let json = try? JSONValue(parsing: answer.body.readableBytesView) else { return nil }
        switch json["message"] {
        case .string(let s): return s
        case .null: return json.object?["message"] == nil ? "undefined" : "null"
        case .int(let n): return "\(n)"
        case .bool(let b): return "\(b)"
        case .double(let d): return "\(d)"
        case .array, .object: return "[object Object]"
        }
    }

    private func failed(_ failure: FetchFailure) -> PreparedResponse { Self.failedResponse(failure, log: log) }

    static func failedResponse(_ failure: FetchFailure, log: @Sendable (String) -> Void) -> PreparedResponse {
        log("Fetch failed: \(failure)")
        return HonoResponse.json(
            #"{"error":"# + GoJSON.quoted(failure.description, htmlSafe: false) + "}", status: 502, reason: "Bad Gateway")
    }

    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void
    ) {
        HonoResponse.logLines(request, status: status, emit: emit)
    }
}
