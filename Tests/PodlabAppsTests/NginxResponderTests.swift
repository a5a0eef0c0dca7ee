import Testing

@testable import PodlabApps

@Suite("nginx responder")
struct NginxResponderTests {
    @Test("GET / answers the welcome page with nginx's headers and logs the client IP")
    func welcome() async throws {
        try await withResponder(makeLaunch(.nginx)) { port, log in
            let (responses, _) = try await RawHTTP.exchange(
                port: port, "GET / HTTP/1.1\r\nHost: web\r\nUser-Agent: Wget\r\n\r\n")
            let r = try #require(responses.first)
            #expect(r.status == 200)
            #expect(r.body.contains("<title>Welcome to nginx!</title>"))
            #expect(r.body.contains("<h1>Welcome to nginx!</h1>"))
            #expect(r.header("Server") == NginxResponder.version)
            #expect(r.header("Content-Type") == "text/html")
            #expect(r.header("Content-Length") == "\(NginxResponder.welcomePage.count)")
            #expect(r.header("Last-Modified") == NginxResponder.lastModifiedText)
            #expect(r.header("ETag")?.hasPrefix("\"") == true)
            #expect(r.header("Accept-Ranges") == "bytes")
            #expect(r.header("Connection") == "keep-alive")
            #expect(r.header("Date")?.hasSuffix(" GMT") == true)
            #expect(r.headers.map(\.0) == [
                "Server", "Date", "Content-Type", "Content-Length", "Last-Modified", "Connection", "ETag",
                "Accept-Ranges",
            ])
            let line = try #require(log.all.last)
            #expect(line.hasPrefix("127.0.0.1 - - ["))
            #expect(line.hasSuffix("] \"GET / HTTP/1.1\" 200 \(NginxResponder.welcomePage.count) \"-\" \"Wget\" \"-\""))
            #expect(log.all.contains { $0.hasSuffix("start worker processes") })
        }
    }

    @Test("two requests on one connection are both answered and the connection stays open")
    func keepAlive() async throws {
        try await withResponder(makeLaunch(.nginx)) { port, log in
            let (responses, closed) = try await RawHTTP.exchange(
                port: port, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", count: 2)
            #expect(responses.map(\.status) == [200, 200])
            #expect(!closed)
            #expect(log.all.filter { $0.contains("\" 200 ") }.count == 2)
        }
    }

    @Test("HEAD has the GET headers and no body; Connection: close closes")
    func headAndClose() async throws {
        try await withResponder(makeLaunch(.nginx)) { port, log in
            let (responses, closed) = try await RawHTTP.exchange(
                port: port, "HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", headOnly: true,
                untilClose: true)
            let r = try #require(responses.first)
            #expect(r.status == 200)
            #expect(r.body.isEmpty)
            #expect(r.header("Content-Length") == "\(NginxResponder.welcomePage.count)")
            #expect(r.header("Connection") == "close")
            #expect(closed)
            #expect(log.all.last?.contains("\"HEAD / HTTP/1.1\" 200 0 ") == true)
        }
    }

    @Test("other paths get nginx's 404 page, other methods 405")
    func errors() async throws {
        try await withResponder(makeLaunch(.nginx)) { port, _ in
            let (notFound, _) = try await RawHTTP.exchange(port: port, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(notFound.first?.status == 404)
            #expect(notFound.first?.body.contains("<title>404 Not Found</title>") == true)
            #expect(notFound.first?.body.contains("<center>\(NginxResponder.version)</center>") == true)
            let (deleted, _) = try await RawHTTP.exchange(port: port, "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(deleted.first?.status == 405)
            #expect(deleted.first?.body.contains("<title>405 Not Allowed</title>") == true)
            let (posted, _) = try await RawHTTP.exchange(
                port: port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
            #expect(posted.first?.status == 405)
            let (postMissing, _) = try await RawHTTP.exchange(
                port: port, "POST /missing HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
            #expect(postMissing.first?.status == 404)
        }
    }

    @Test("a malformed request gets 400 and the connection closes; so does HTTP/1.1 without Host")
    func badRequest() async throws {
        try await withResponder(makeLaunch(.nginx)) { port, _ in
            let (garbage, closed) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", untilClose: true)
            #expect(garbage.first?.status == 400)
            #expect(garbage.first?.body.contains("<title>400 Bad Request</title>") == true)
            #expect(closed)
            let (noHost, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\n\r\n")
            #expect(noHost.first?.status == 400)
        }
    }

    @Test("If-None-Match with the page's ETag answers 304")
    func conditional() async throws {
        try await withResponder(makeLaunch(.nginx)) { port, _ in
            let etag = NginxResponder().etag
            let (responses, _) = try await RawHTTP.exchange(
                port: port, "GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \(etag)\r\n\r\n")
            #expect(responses.first?.status == 304)
        }
    }

    @Test("index paths as nginx normalises them", arguments: ["/", "/index.html", "//index.html", "/%69ndex.html", "http://h/"])
    func indexPaths(path: String) {
        #expect(NginxResponder.isIndex(Substring(path)))
    }
}
