import NIOCore
import NIOHTTP1
import Testing

@testable import PodlabApps

/// The ingress proxy's byte-level HTTP/1.1: backend responses read incrementally, request heads written.
@Suite("ingress wire")
struct IngressWireTests {
    /// What a parser made of `wire`, fed in pieces of `step` bytes: heads as text, body bytes joined, ends.
    struct Outcome: Equatable {
        var heads: [String] = []
        var body = ""
        var ends: [Bool] = []
        var error: String?
    }

    static func parse(_ wire: String, step: Int = .max, head: Bool = false) -> Outcome {
        var parser = BackendResponseParser()
        parser.expectResponse(toHEAD: head)
        var out = Outcome()
        let bytes = Array(wire.utf8)
        var offset = 0
        do {
            while offset < bytes.count {
                let n = min(step, bytes.count - offset)
                var buffer = ByteBuffer(bytes: bytes[offset..<offset + n])
                offset += n
                while let event = try parser.next(&buffer) {
                    switch event {
                    case .head(let h):
                        out.heads.append(String(buffer: h.status) + "|" + String(buffer: h.lines) + "|\(h.framing)|\(h.keepAlive)")
                    case .data(let d): out.body += String(buffer: d)
                    case .end(let reusable): out.ends.append(reusable)
                    }
                }
            }
            if case .end(let reusable)? = parser.closed() { out.ends.append(reusable) }
        } catch {
            out.error = "\(error)"
        }
        return out
    }

    @Test("a Content-Length body, whole or a byte at a time, ends the response and leaves the connection reusable")
    func contentLength() {
        let wire = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
        for step in [1, 2, 7, .max] {
            let o = Self.parse(wire, step: step)
            #expect(o.heads == ["200 OK|Content-Type: text/plain\r\nContent-Length: 5\r\n|length(5)|true"], "step \(step)")
            #expect(o.body == "hello" && o.ends == [true] && o.error == nil, "step \(step): \(o)")
        }
    }

    @Test("a chunked body is de-chunked at any split, extensions and trailers dropped, Transfer-Encoding not passed on")
    func chunked() {
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
            + "5;ext=1\r\nhello\r\n1A\r\n" + String(repeating: "z", count: 26) + "\r\n0\r\nX-Trailer: t\r\n\r\n"
        for step in [1, 3, 10, .max] {
            let o = Self.parse(wire, step: step)
            #expect(o.heads == ["200 OK|X-A: 1\r\n|chunked|true"], "step \(step)")
            #expect(o.body == "hello" + String(repeating: "z", count: 26) && o.ends == [true], "step \(step): \(o)")
        }
        #expect(Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error?.contains("invalid chunked") == true)
    }

    @Test("no body for HEAD, 204, 304 and 1xx; a 100 Continue comes before the final answer")
    func noBody() {
        var o = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", head: true)
        #expect(o.heads == ["200 OK|Content-Length: 99\r\n|none|true"] && o.ends == [true], "\(o)")
        o = Self.parse("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(o.heads == ["204 No Content||none|true"] && o.ends == [true], "\(o)")
        o = Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", step: 5)
        #expect(o.heads == ["100 Continue||none|true", "201 Created|Content-Length: 2\r\n|length(2)|true"], "\(o)")
        #expect(o.body == "ok" && o.ends == [true])
    }

    @Test("hop-by-hop headers and those Connection names are dropped; HTTP/1.0 and close end the connection")
    func connection() {
        var o = Self.parse("HTTP/1.1 200 OK\r\nConnection: close, X-Private\r\nKeep-Alive: timeout=5\r\nX-Private: p\r\n"
            + "Set-Cookie: a=b\r\nContent-Length: 0\r\n\r\n")
        #expect(o.heads == ["200 OK|Set-Cookie: a=b\r\nContent-Length: 0\r\n|length(0)|false"], "\(o)")
        #expect(o.ends == [false])
        o = Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        #expect(o.ends == [false], "\(o)")
        o = Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi")
        #expect(o.ends == [true], "\(o)")
        // No length: the body runs to the close, and the connection is not reused.
        o = Self.parse("HTTP/1.1 200 OK\r\n\r\nstream of bytes", step: 4)
        #expect(o.heads == ["200 OK||untilClose|false"] && o.body == "stream of bytes" && o.ends == [false], "\(o)")
        // Bytes after a complete response: the connection is not in a state to reuse.
        o = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxGARBAGE")
        #expect(o.ends == [false], "\(o)")
    }

    @Test("malformed responses are errors naming what is wrong")
    func malformed() {
        #expect(Self.parse("HTTP/2 200 OK\r\n\r\n").error?.contains("bad status line") == true)
        #expect(Self.parse("HTTP/1.1 20 OK\r\n\r\n").error?.contains("bad status line") == true)
        #expect(Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error?
            .contains("two Content-Lengths") == true)
        #expect(Self.parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").error?.contains("bad Content-Length") == true)
        #expect(Self.parse("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n").error?.contains("folding") == true)
        #expect(Self.parse("HTTP/1.1 200 OK\r\n" + String(repeating: "X-Big: 0123456789\r\n", count: 4000)).error?
            .contains("too big header") == true)
    }

    @Test("the backend's request head: client headers in order minus hop-by-hop, forwarding headers, chunked framing")
    func requestHead() {
        var head = HTTPRequestHead(version: .http1_0, method: .POST, uri: "/p?q=1")
        head.headers.add(name: "Host", value: "a.example")
        head.headers.add(name: "Connection", value: "keep-alive, X-Hop")
        head.headers.add(name: "X-Hop", value: "1")
        head.headers.add(name: "X-Forwarded-For", value: "6.6.6.6")
        head.headers.add(name: "Transfer-Encoding", value: "chunked")
        head.headers.add(name: "Proxy-Authorization", value: "Basic c2VjcmV0")
        head.headers.add(name: "Accept", value: "*/*")
        var out = ByteBuffer()
        IngressWire.writeRequestHead(head, host: nil, added: [("X-Real-IP", "10.0.0.1")], chunked: true, into: &out)
        #expect(String(buffer: out) == "POST /p?q=1 HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nX-Real-IP: 10.0.0.1\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n")
        var chunk = ByteBuffer()
        IngressWire.writeChunk(ByteBuffer(string: String(repeating: "a", count: 17)), into: &chunk)
        #expect(String(buffer: chunk) == "11\r\n" + String(repeating: "a", count: 17) + "\r\n")
    }
}
