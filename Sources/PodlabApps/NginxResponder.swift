import NIOCore
import NIOHTTP1

/// The nginx image: its default server serves the welcome page at `/` and `/index.html` from
/// /usr/share/nginx/html, answers other paths with its 404 page and methods a static file does not take
/// with 405, and writes the combined access log.
struct NginxResponder: Responder {
    static let version = "nginx/1.27.5"
    /// The welcome page's modification time as the image ships it (1.27.5's build), for Last-Modified/ETag.
    static let pageModified = 1_744_804_871
    static let lastModifiedText = "Wed, 16 Apr 2025 12:01:11 GMT"

    static let welcomePage = Array(
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Welcome to nginx!</title>
        <style>body { max-width: 38em; margin: 2em auto; font-family: sans-serif; line-height: 1.5; }</style>
        </head>
        <body>
        <h1>Welcome to nginx!</h1>
        <p>The web server in this pod is up and answering. This is its default page: put your own
        content in place of it to serve something else.</p>
        <p>podlab runs this pod with a built-in responder that answers like the nginx image.</p>
        <p>Thank you for using nginx.</p>
        </body>
        </html>

        """.utf8)

    let style: ServerStyle
    var keepsBody: Bool { false }

    private let ok: PreparedResponse
    private let notModified: PreparedResponse
    private let notFound: PreparedResponse
    private let notAllowed: PreparedResponse
    let etag: String

    init() {
        let server = "Server: \(Self.version)\r\n"
        etag = "\"\(String(Self.pageModified, radix: 16))-\(String(Self.welcomePage.count, radix: 16))\""
        ok = PreparedResponse(
            status: 200, beforeDate: "HTTP/1.1 200 OK\r\n" + server,
            beforeConnection: "Content-Type: text/html\r\nContent-Length: \(Self.welcomePage.count)\r\n"
                + "Last-Modified: \(Self.lastModifiedText)\r\n",
            afterConnection: "ETag: \(etag)\r\nAccept-Ranges: bytes\r\n", body: Self.welcomePage)
        notModified = PreparedResponse(
            status: 304, beforeDate: "HTTP/1.1 304 Not Modified\r\n" + server,
            beforeConnection: "Last-Modified: \(Self.lastModifiedText)\r\n", afterConnection: "ETag: \(etag)\r\n",
            body: [])
        notFound = Self.errorPage(status: 404, reason: "Not Found")
        notAllowed = Self.errorPage(status: 405, reason: "Not Allowed")
        style = .nginx(badRequest: Self.errorPage(status: 400, reason: "Bad Request", closes: true))
    }

    /// nginx's built-in error page for `status`, the one users see from curl.
    static func errorPage(status: Int, reason: String, closes: Bool = false) -> PreparedResponse {
        let page = Array(
            """
            <html>\r
            <head><title>\(status) \(reason)</title></head>\r
            <body>\r
            <center><h1>\(status) \(reason)</h1></center>\r
            <hr><center>\(version)</center>\r
            </body>\r
            </html>\r

            """.utf8)
        return PreparedResponse(
            status: status, beforeDate: "HTTP/1.1 \(status) \(reason)\r\nServer: \(version)\r\n",
            beforeConnection: "Content-Type: text/html\r\nContent-Length: \(page.count)\r\n", body: page,
            closes: closes)
    }

    func startupLines(port: Int, stamp: ClockStamp) -> [String] {
        [
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            "\(stamp.goLog) [notice] 1#1: \(Self.version)",
            "\(stamp.goLog) [notice] 1#1: start worker processes",
        ]
    }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply {
        let method = request.head.method
        // ngx_http_static_module takes GET, HEAD and POST; anything else is 405 on every path.
        guard method == .GET || method == .HEAD || method == .POST else { return .now(notAllowed) }
        guard Self.isIndex(request.path) else { return .now(notFound) }
        // A static file exists here, and nginx refuses to POST to one.
        if method == .POST { return .now(notAllowed) }
        let headers = request.head.headers
        if let tags = headers.first(name: "if-none-match") {
            if tags == "*" || tags.split(separator: ",").contains(where: { $0.trimmingSpaces == etag }) {
                return .now(notModified)
            }
        } else if let since = headers.first(name: "if-modified-since"), since == Self.lastModifiedText {
            // nginx's default `if_modified_since exact`: only the very time it sent matches.
            return .now(notModified)
        }
        return .now(ok)
    }

    /// Whether `path` names the index: `/`, `/index.html`, also spelled with `%`-escapes or repeated slashes
    /// as nginx normalises them (merge_slashes on), or as an absolute URI (`http://host/`).
    static func isIndex(_ rawPath: Substring) -> Bool {
        if rawPath == "/" || rawPath == "/index.html" { return true }
        var path = rawPath
        if let scheme = path.range(of: "://") {
            let rest = path[scheme.upperBound...]
            path = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        guard let decoded = percentDecoded(path) else { return false }
        var merged = ""
        for ch in decoded where !(ch == "/" && merged.hasSuffix("/")) { merged.append(ch) }
        return merged == "/" || merged == "/index.html" || merged == "/./" || merged == "/./index.html"
    }

    private static func percentDecoded(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = s.utf8.makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(), let hv = hexValue(h), let lv = hexValue(l)
                else { return nil }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// nginx's `combined` format plus `$http_x_forwarded_for`, as the image's nginx.conf sets `main`.
    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void
    ) {
        guard let request else {
            emit("- - - [\(stamp.commonLog)] \"-\" \(status) \(bodyBytesSent) \"-\" \"-\" \"-\"")
            return
        }
        let headers = request.head.headers
        let referer = headers.first(name: "referer") ?? "-"
        let agent = headers.first(name: "user-agent") ?? "-"
        let forwarded = headers.first(name: "x-forwarded-for") ?? "-"
        emit(
            "\(request.remoteIP) - - [\(stamp.commonLog)] \"\(request.requestLine)\" \(status) \(bodyBytesSent) "
                + "\"\(referer)\" \"\(agent)\" \"\(forwarded)\"")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
