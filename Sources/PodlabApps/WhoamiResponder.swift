import NIOCore
import NIOHTTP1

/// traefik/whoami: `/` (and every path without a handler of its own) prints the hostname, the interface
/// addresses, the client's address and the request as Go's `Request.Write` renders it; `/api` answers the
/// same as JSON, `/health` the health status (POST a code to change it) and `/bench` a single `1`.
struct WhoamiResponder: Responder {
    let style = ServerStyle.go
    var keepsBody: Bool { true }

    let hostname: String
    /// `WHOAMI_NAME` (traefik/whoami's `--name`), or `NAME_APPLICATION` (the r.deso.tech lookalike's banner).
    let name: String?
    let banner: String?
    let env: [(name: String, value: String)]
    private let health = HealthState()

    init(hostname: String, env: [(name: String, value: String)]) {
        self.hostname = hostname
        self.env = env
        let application = env.last(where: { $0.name == "NAME_APPLICATION" })?.value.nonEmpty
        name = env.last(where: { $0.name == "WHOAMI_NAME" })?.value.nonEmpty ?? application
        banner = application.map(Self.banner(for:))
    }

    /// A framed banner naming the application, podlab's stand-in for the lookalike image's ASCII art.
    static func banner(for name: String) -> String {
        let label = "  " + name.uppercased() + "  "
        let rule = "+" + String(repeating: "-", count: label.count) + "+"
        let blank = "|" + String(repeating: " ", count: label.count) + "|"
        return [rule, blank, "|" + label + "|", blank, rule].joined(separator: "\n") + "\n"
    }

    func startupLines(port: Int, stamp: ClockStamp) -> [String] {
        ["\(stamp.goLog) Starting up on port \(port)"]
    }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply {
        switch request.path {
        case "/api": return .now(api(request))
        case "/health": return .now(healthAnswer(request))
        case "/bench":
            return .now(
                PreparedResponse(
                    status: 200, beforeDate: "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\n",
                    beforeConnection: "Content-Length: 1\r\n", body: Array("1".utf8)))
        default: return .now(whoami(request))
        }
    }

    // MARK: - Handlers

    private func whoami(_ request: RequestInfo) -> PreparedResponse {
        var text = banner ?? ""
        if let name { text += "Name: \(name)\n" }
        text += "Hostname: \(hostname)\n"
        for ip in InterfaceAddresses.current() { text += "IP: \(ip)\n" }
        text += "RemoteAddr: \(request.remoteHostPort)\n"
        var body = Array(text.utf8)
        body += Self.requestDump(request)
        if Self.queryFlag("env", in: request.head.uri) {
            for (name, value) in env { body += Array("\(name)=\(value)\n".utf8) }
        }
        return Self.ok(contentType: nil, body: body)
    }

    private func api(_ request: RequestInfo) -> PreparedResponse {
        var fields: [String] = []
        fields.append("\"hostname\":" + GoJSON.quoted(hostname))
        let ips = InterfaceAddresses.current()
        if !ips.isEmpty { fields.append("\"ip\":[" + ips.map { GoJSON.quoted($0) }.joined(separator: ",") + "]") }
        let headers = Self.canonicalHeaders(request.head.headers)
        if !headers.isEmpty {
            let keys = headers.map(\.key).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let members = keys.map { key in
                GoJSON.quoted(key) + ":[" + (headers[key] ?? []).map { GoJSON.quoted($0) }.joined(separator: ",") + "]"
            }
            fields.append("\"headers\":{" + members.joined(separator: ",") + "}")
        }
        fields.append("\"url\":" + GoJSON.quoted(request.head.uri))
        if let host = request.head.headers.first(name: "host") { fields.append("\"host\":" + GoJSON.quoted(host)) }
        fields.append("\"method\":" + GoJSON.quoted(request.head.method.rawValue))
        if let name { fields.append("\"name\":" + GoJSON.quoted(name)) }
        fields.append("\"remoteAddr\":" + GoJSON.quoted(request.remoteHostPort))
        if Self.queryFlag("env", in: request.head.uri) {
            var map: [String: String] = [:]
            for (name, value) in env { map[name] = value }
            if !map.isEmpty { fields.append("\"environ\":" + GoJSON.object(map)) }
        }
        let body = Array(("{" + fields.joined(separator: ",") + "}\n").utf8)
        return PreparedResponse(
            status: 200,
            beforeDate: "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Methods: *\r\nAccess-Control-Allow-Origin: *\r\n"
                + "Content-Type: application/json\r\n",
            beforeConnection: "Content-Length: \(body.count)\r\n", body: body)
    }

    private func healthAnswer(_ request: RequestInfo) -> PreparedResponse {
        guard request.head.method == .POST else {
            let code = health.code
            return PreparedResponse(
                status: code, beforeDate: "HTTP/1.1 \(code) \(HTTPResponseStatus(statusCode: code).reasonPhrase)\r\n",
                beforeConnection: "Content-Length: 0\r\n", body: [])
        }
        let text = request.body.map { String(buffer: $0) } ?? ""
        guard let code = Int(text.trimmingWhitespace), (100...999).contains(code) else {
            let message = Array("invalid health status code \"\(text.trimmingWhitespace)\"\n".utf8)
            return PreparedResponse(
                status: 400,
                beforeDate: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    + "X-Content-Type-Options: nosniff\r\n",
                beforeConnection: "Content-Length: \(message.count)\r\n", body: message)
        }
        health.code = code
        return PreparedResponse(
            status: 200, beforeDate: "HTTP/1.1 200 OK\r\n", beforeConnection: "Content-Length: 0\r\n", body: [])
    }

    static func ok(contentType: String?, body: [UInt8]) -> PreparedResponse {
        // net/http sniffs a handler's first bytes when it sets no Content-Type; whoami's text sniffs as this.
        PreparedResponse(
            status: 200, beforeDate: "HTTP/1.1 200 OK\r\n",
            beforeConnection: "Content-Length: \(body.count)\r\nContent-Type: \(contentType ?? "text/plain; charset=utf-8")\r\n",
            body: body)
    }

    // MARK: - Go's rendering of a request

    /// The request as Go's `Request.Write` renders it: the request line (always HTTP/1.1), Host,
    /// User-Agent (Go's default when the client sent none), the framing headers, the other headers sorted
    /// by canonical name, a blank line, then the body.
    static func requestDump(_ request: RequestInfo) -> [UInt8] {
        let head = request.head
        var text = "\(head.method.rawValue) \(head.uri) HTTP/1.1\r\n"
        text += "Host: \(head.headers.first(name: "host") ?? "")\r\n"
        text += "User-Agent: \(head.headers.first(name: "user-agent") ?? "Go-http-client/1.1")\r\n"
        let bodyLength = request.body?.readableBytes ?? 0
        let chunked = head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
        let closeToken = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
        if !head.isKeepAlive && !closeToken { text += "Connection: close\r\n" }
        if chunked {
            text += "Transfer-Encoding: chunked\r\n"
        } else if bodyLength > 0 {
            text += "Content-Length: \(bodyLength)\r\n"
        }
        let excluded: Set<String> = ["Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"]
        let headers = canonicalHeaders(head.headers)
        for key in headers.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        where !excluded.contains(key) {
            for value in headers[key] ?? [] { text += "\(key): \(value)\r\n" }
        }
        text += "\r\n"
        var bytes = Array(text.utf8)
        if let body = request.body, bodyLength > 0 {
            if chunked {
                bytes += Array("\(String(bodyLength, radix: 16))\r\n".utf8)
                bytes += body.readableBytesView
                bytes += Array("\r\n0\r\n\r\n".utf8)
            } else {
                bytes += body.readableBytesView
            }
        }
        return bytes
    }

    /// Header names as Go's `CanonicalMIMEHeaderKey` spells them, values in arrival order; Host is not a
    /// header to Go's server (it becomes `Request.Host`).
    static func canonicalHeaders(_ headers: HTTPHeaders) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (name, value) in headers {
            let key = canonicalKey(name)
            if key == "Host" { continue }
            out[key, default: []].append(value)
        }
        return out
    }

    static func canonicalKey(_ name: String) -> String {
        // Go leaves names with bytes outside the token set as they are.
        let tokenSymbols = Set("!#$%&'*+-.^_`|~".utf8)
        guard name.utf8.allSatisfy({ $0 < 0x80 && (isAlnum($0) || tokenSymbols.contains($0)) }) else { return name }
        var upper = true
        var out = ""
        for ch in name {
            out += upper ? ch.uppercased() : ch.lowercased()
            upper = ch == "-"
        }
        return out
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }

    /// Go's `strconv.ParseBool` of a query parameter: 1, t, T, TRUE, true, True.
    static func queryFlag(_ key: String, in uri: String) -> Bool {
        guard let q = uri.firstIndex(of: "?") else { return false }
        for pair in uri[uri.index(after: q)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first == Substring(key), parts.count == 2 {
                return ["1", "t", "T", "TRUE", "true", "True"].contains(String(parts[1]))
            }
        }
        return false
    }

    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void
    ) {
        // whoami's --verbose line; podlab always prints it so `kubectl logs` shows traffic.
        guard let request else { return }
        emit(
            "\(stamp.goLog) \(request.remoteHostPort) - - [\(stamp.commonLog)] "
                + "\"\(request.head.method.rawValue) \(request.path) HTTP/\(request.head.version.major).\(request.head.version.minor)\" - -")
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
