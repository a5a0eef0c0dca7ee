import NIOCore
import NIOHTTP1

/// HTTP/1.1 on the proxy's wire, written and read as bytes: the request head the backend gets, a backend's
/// responses (head lines passed on as they came, hop-by-hop ones dropped, the body's framing followed so a
/// connection can be reused), and the framing the client gets. Going through `HTTPHeaders` and NIO's codecs
/// built and re-encoded a dozen strings per exchange; this copies bytes.
enum IngressWire {
    /// Hop-by-hop headers, never passed on in either direction (RFC 9110 §7.6.1, and the ones nginx drops).
    static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization",
    ]
    /// Set by the proxy from what it saw, never passed through from the client (ingress-nginx trusts no
    /// forwarded headers unless `use-forwarded-headers` is on).
    static let replaced: [String] = [
        "x-real-ip", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto",
        "x-forwarded-scheme", "x-scheme", "x-request-id",
    ]

    /// The longest name `isDropped` can match, so most headers are passed at a glance.
    static let longestDropped = (hopByHop + replaced + ["transfer-encoding"]).map(\.utf8.count).max() ?? 0

    /// Whether a header stops at the proxy, in either direction: hop-by-hop, or framing (`transfer-encoding`:
    /// the proxy frames the bodies it sends itself); on requests also the forwarding headers the proxy sets.
    static func isDropped(_ name: some Collection<UInt8>, request: Bool) -> Bool {
        guard name.count >= 2, name.count <= longestDropped, let first = name.first else { return false }
        // Every such name starts with c, k, p, t or u (x for the forwarding headers).
        switch first | 0x20 {
        case UInt8(ascii: "c"), UInt8(ascii: "k"), UInt8(ascii: "p"), UInt8(ascii: "t"), UInt8(ascii: "u"): break
        case UInt8(ascii: "x") where request: break
        default: return false
        }
        return hopByHop.contains { equalsIgnoringCase(name, $0.utf8) } || equalsIgnoringCase(name, "transfer-encoding".utf8)
            || (request && replaced.contains { equalsIgnoringCase(name, $0.utf8) })
    }

    /// ASCII case-insensitive equality (header names are ASCII), without allocating.
    static func equalsIgnoringCase(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        equalsIgnoringCase(a.utf8, b.utf8)
    }

    static func equalsIgnoringCase(_ x: some Collection<UInt8>, _ y: some Collection<UInt8>) -> Bool {
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { p, q in
            p == q || (p | 0x20 == q | 0x20 && (p | 0x20) >= UInt8(ascii: "a") && (p | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// Whether the client's request has a body the proxy must send chunked (it came with Transfer-Encoding);
    /// one with Content-Length is sent as it came, one with neither has none.
    static func requestIsChunked(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "transfer-encoding")
    }

    /// Writes the request head the backend gets: the client's method and target over HTTP/1.1, its headers
    /// without the dropped ones and those its Connection header names, then `added` (name, value) pairs.
    static func writeRequestHead(
        _ head: HTTPRequestHead, host: String?, added: [(String, String)], chunked: Bool, into out: inout ByteBuffer
    ) {
        out.writeString(head.method.rawValue)
        out.writeStaticString(" ")
        out.writeString(head.uri)
        out.writeStaticString(" HTTP/1.1\r\n")
        let named = head.headers[canonicalForm: "connection"]
        for (name, value) in head.headers {
            if isDropped(name.utf8, request: true) || (!named.isEmpty && named.contains(where: { equalsIgnoringCase(name, $0) })) {
                continue
            }
            writeHeader(name, value, into: &out)
        }
        if let host { writeHeader("Host", host, into: &out) }
        for (name, value) in added { writeHeader(name, value, into: &out) }
        if chunked { out.writeStaticString("Transfer-Encoding: chunked\r\n") }
        out.writeStaticString("\r\n")
    }

    static func writeHeader(_ name: String, _ value: String, into out: inout ByteBuffer) {
        out.writeString(name)
        out.writeStaticString(": ")
        out.writeString(value)
        out.writeStaticString("\r\n")
    }

    /// `data` as one chunk of a chunked body, in a buffer of its own.
    static func chunk(_ data: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var framed = allocator.buffer(capacity: data.readableBytes + 16)
        writeChunk(data, into: &framed)
        return framed
    }

    /// One chunk of a chunked body: size in hex, the bytes, CRLF.
    static func writeChunk(_ data: ByteBuffer, into out: inout ByteBuffer) {
        out.writeString(String(data.readableBytes, radix: 16))
        out.writeStaticString("\r\n")
        var data = data
        out.writeBuffer(&data)
        out.writeStaticString("\r\n")
    }

    static let lastChunk: StaticString = "0\r\n\r\n"
}

/// How a response's body is delimited on the wire (RFC 9112 §6.3).
enum IngressBodyFraming: Equatable {
    /// No body: HEAD, 1xx, 204, 304.
    case none
    case length(Int)
    case chunked
    /// Everything until the connection closes.
    case untilClose
}

/// Why a backend's response could not be read, in the words of nginx's error log.
enum IngressResponseError: Error, CustomStringConvertible {
    case invalidHeader(String)
    case headerTooBig
    case invalidChunk

    var description: String {
        switch self {
        case .invalidHeader(let why): return "upstream sent invalid header (\(why)) while reading response header from upstream"
        case .headerTooBig: return "upstream sent too big header while reading response header from upstream"
        case .invalidChunk: return "upstream sent invalid chunked response while reading upstream"
        }
    }
}

/// Reads one backend connection's responses, incrementally, as its bytes arrive.
struct BackendResponseParser {
    /// A response head as the client gets it.
    struct Head {
        var code: Int
        /// `200 OK`: the status line after the version, as the backend wrote it.
        var status: ByteBuffer
        /// The header lines to pass on, CRLF-terminated: hop-by-hop headers, those the backend's Connection
        /// header names, and Transfer-Encoding dropped.
        var lines: ByteBuffer
        var framing: IngressBodyFraming
        /// Whether the backend keeps the connection open after this response.
        var keepAlive: Bool
        var informational: Bool { code >= 100 && code < 200 }
    }

    enum Event {
        case head(Head)
        /// Body bytes, chunk framing removed.
        case data(ByteBuffer)
        /// The response is complete; `reusable` when the connection can take another request.
        case end(reusable: Bool)
    }

    private enum State {
        case head
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        /// The response is complete; `.end` is the next event.
        case ending
        case done
    }

    /// The largest response head accepted (nginx's proxy_buffer_size is 4-8 KiB; ingress-nginx allows more).
    static let headLimit = 64 * 1024

    private var state = State.done
    private var pending = ByteBuffer()
    private var requestWasHEAD = false
    private var keepAlive = false

    /// Whether the response in progress ends only when the connection closes.
    var endsAtClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Whether a response is expected or being read.
    var inProgress: Bool {
        if case .done = state { return false }
        return true
    }

    /// Starts on the answer to a request just sent (HEAD answers have no body, whatever they say).
    mutating func expectResponse(toHEAD: Bool) {
        state = .head
        requestWasHEAD = toHEAD
        pending.clear()
    }

    /// The next thing `buffer`'s bytes complete, nil when they are used up before one is. One at a time, so
    /// that whoever handles an event (which may send the next request on this connection) works on the
    /// parser after this call, never within it.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        while buffer.readableBytes > 0 {
            switch state {
            case .done:
                // Bytes after the response, or with none expected: the connection is not in a known state.
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                throw IngressResponseError.invalidHeader("data after the response")
            case .head:
                guard let head = try takeHead(&buffer) else { return nil }
                if head.informational { return .head(head) }
                keepAlive = head.keepAlive
                switch head.framing {
                case .none: state = .ending
                case .length(let n): state = n == 0 ? .ending : .length(remaining: n)
                case .chunked: state = .chunkSize
                case .untilClose: state = .untilClose
                }
                return .head(head)
            case .ending:
                return finish(buffer)
            case .length(let remaining):
                let n = min(remaining, buffer.readableBytes)
                state = n == remaining ? .ending : .length(remaining: remaining - n)
                return .data(buffer.readSlice(length: n)!)
            case .untilClose:
                return .data(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunkSize:
                guard let line = try takeLine(&buffer) else { return nil }
                guard let size = Self.chunkSize(line) else { throw IngressResponseError.invalidChunk }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, buffer.readableBytes)
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
                return .data(buffer.readSlice(length: n)!)
            case .chunkDataEnd:
                guard let line = try takeLine(&buffer) else { return nil }
                guard line.readableBytes == 0 else { throw IngressResponseError.invalidChunk }
                state = .chunkSize
            case .trailers:
                // Trailer fields are read and dropped (nginx does not pass them either); an empty line ends them.
                guard let line = try takeLine(&buffer) else { return nil }
                if line.readableBytes == 0 { return finish(buffer) }
            }
        }
        // A response with no body (or its last bytes) may end exactly at the end of the read.
        if case .ending = state { return finish(buffer) }
        return nil
    }

    /// The connection closed: the end of a close-delimited body, else (nil) a response cut short.
    mutating func closed() -> Event? {
        guard case .untilClose = state else { return nil }
        state = .done
        return .end(reusable: false)
    }

    private mutating func finish(_ rest: ByteBuffer) -> Event {
        state = .done
        return .end(reusable: keepAlive && rest.readableBytes == 0)
    }

    /// A CRLF-terminated line (CRLF removed), or nil until one is complete.
    private mutating func takeLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        if let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")), pending.readableBytes == 0 {
            var line = buffer.readSlice(length: lf - buffer.readerIndex + 1)!
            return Self.stripCRLF(&line)
        }
        // A line split across reads.
        while let byte = buffer.readInteger(as: UInt8.self) {
            pending.writeInteger(byte)
            if byte == UInt8(ascii: "\n") {
                var line = pending
                pending = ByteBuffer()
                return Self.stripCRLF(&line)
            }
            if pending.readableBytes > 4096 { throw IngressResponseError.invalidChunk }
        }
        return nil
    }

    private static func stripCRLF(_ line: inout ByteBuffer) -> ByteBuffer {
        var n = line.readableBytes - 1
        if n > 0, line.getInteger(at: line.readerIndex + n - 1, as: UInt8.self) == UInt8(ascii: "\r") { n -= 1 }
        return line.getSlice(at: line.readerIndex, length: n)!
    }

    /// A chunk-size line's size (hex digits, extensions after `;` ignored), nil when malformed.
    static func chunkSize(_ line: ByteBuffer) -> Int? {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let v: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = Int(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return digits > 0 ? size : nil
            default: return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            size = size << 4 | v
        }
        return digits > 0 ? size : nil
    }

    /// The response head once its blank line has arrived; nil until then.
    private mutating func takeHead(_ buffer: inout ByteBuffer) throws -> Head? {
        // The whole head is needed to decide what to drop (Connection names headers that may come before it).
        var block: ByteBuffer
        if pending.readableBytes == 0, let end = Self.headEnd(buffer.readableBytesView) {
            block = buffer.readSlice(length: end)!
        } else {
            let before = pending.readableBytes
            var incoming = buffer
            pending.writeBuffer(&incoming)
            guard let end = Self.headEnd(pending.readableBytesView) else {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                if pending.readableBytes > Self.headLimit { throw IngressResponseError.headerTooBig }
                return nil
            }
            // Take from `buffer` only what belonged to the head.
            buffer.moveReaderIndex(forwardBy: end - before)
            block = pending.readSlice(length: end)!
            pending = ByteBuffer()
        }
        guard block.readableBytes <= Self.headLimit else { throw IngressResponseError.headerTooBig }
        return try parseHead(block)
    }

    /// The offset just past the first CRLFCRLF (or LFLF), relative to the view's start.
    static func headEnd(_ view: ByteBufferView) -> Int? {
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        var offset = 0
        for byte in view {
            offset += 1
            if byte == UInt8(ascii: "\n") {
                if previous == UInt8(ascii: "\n") || (previous == UInt8(ascii: "\r") && beforePrevious == UInt8(ascii: "\n")) {
                    return offset
                }
            }
            beforePrevious = previous
            previous = byte
        }
        return nil
    }

    private func parseHead(_ block: ByteBuffer) throws -> Head {
        try block.withUnsafeReadableBytes { try parseHead(block, $0) }
    }

    /// One pass over the head's bytes to find its lines and what framing and Connection say, then the kept lines
    /// copied; ranges into `raw`, no string or array per header.
    private func parseHead(_ block: ByteBuffer, _ raw: UnsafeRawBufferPointer) throws -> Head {
        // Lines as ranges without their line ending; the blank line that ends the head is not one.
        var lines: [Range<Int>] = []
        lines.reserveCapacity(16)
        var lineStart = 0
        for i in 0..<raw.count where raw[i] == UInt8(ascii: "\n") {
            var end = i
            if end > lineStart, raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if end > lineStart { lines.append(lineStart..<end) }
            lineStart = i + 1
        }
        guard let statusLine = lines.first else { throw IngressResponseError.invalidHeader("no status line") }
        // HTTP/1.x SSS[ reason]
        let s = UnsafeRawBufferPointer(rebasing: raw[statusLine])
        guard s.count >= 12, s.starts(with: "HTTP/1.".utf8), s[7] == UInt8(ascii: "0") || s[7] == UInt8(ascii: "1"),
            s[8] == UInt8(ascii: " "), s[9...11].allSatisfy({ $0 >= 48 && $0 <= 57 }), s.count == 12 || s[12] == UInt8(ascii: " ")
        else { throw IngressResponseError.invalidHeader("bad status line") }
        let http10 = s[7] == UInt8(ascii: "0")
        let code = Int(s[9] - 48) * 100 + Int(s[10] - 48) * 10 + Int(s[11] - 48)
        guard code >= 100 else { throw IngressResponseError.invalidHeader("bad status code") }

        // The framing headers and what Connection says.
        var contentLength: Int?
        var transferEncoding = false
        var chunked = false
        var close = http10
        var named: [Range<Int>] = []
        var nameEnds: [Int] = []
        nameEnds.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            let first = raw[line.lowerBound]
            if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                throw IngressResponseError.invalidHeader("obsolete line folding")
            }
            guard let colon = raw[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound else {
                throw IngressResponseError.invalidHeader("a line without a field name")
            }
            let name = raw[line.lowerBound..<colon]
            guard !name.contains(where: { $0 <= 32 || $0 >= 127 }) else { throw IngressResponseError.invalidHeader("bad field name") }
            nameEnds.append(colon)
            let value = Self.trimmed(raw, colon + 1..<line.upperBound)
            switch name.count {
            case 14 where IngressWire.equalsIgnoringCase(name, "content-length".utf8):
                guard !value.isEmpty, value.count <= 15, raw[value].allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw IngressResponseError.invalidHeader("bad Content-Length")
                }
                let n = raw[value].reduce(0) { $0 * 10 + Int($1 - 48) }
                if let earlier = contentLength, earlier != n { throw IngressResponseError.invalidHeader("two Content-Lengths") }
                contentLength = n
            case 17 where IngressWire.equalsIgnoringCase(name, "transfer-encoding".utf8):
                transferEncoding = true
                // Chunked when it is the last coding applied.
                let lastComma = raw[value].lastIndex(of: UInt8(ascii: ",")).map { $0 + 1 } ?? value.lowerBound
                chunked = IngressWire.equalsIgnoringCase(raw[Self.trimmed(raw, lastComma..<value.upperBound)], "chunked".utf8)
            case 10 where IngressWire.equalsIgnoringCase(name, "connection".utf8):
                var tokenStart = value.lowerBound
                for i in value.lowerBound...value.upperBound where i == value.upperBound || raw[i] == UInt8(ascii: ",") {
                    let token = Self.trimmed(raw, tokenStart..<i)
                    tokenStart = i + 1
                    if token.isEmpty { continue }
                    if IngressWire.equalsIgnoringCase(raw[token], "close".utf8) {
                        close = true
                    } else if IngressWire.equalsIgnoringCase(raw[token], "keep-alive".utf8) {
                        if http10 { close = false }
                    } else {
                        named.append(token)
                    }
                }
            default:
                break
            }
        }

        // The lines passed on.
        var out = ByteBuffer()
        out.reserveCapacity(raw.count)
        for (line, nameEnd) in zip(lines.dropFirst(), nameEnds) {
            let name = raw[line.lowerBound..<nameEnd]
            if IngressWire.isDropped(name, request: false) || named.contains(where: { IngressWire.equalsIgnoringCase(name, raw[$0]) }) {
                continue
            }
            // A length beside Transfer-Encoding is not the body's length (RFC 9112 §6.3): not passed on.
            if transferEncoding, IngressWire.equalsIgnoringCase(name, "content-length".utf8) { continue }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[line]))
            out.writeStaticString("\r\n")
        }

        let framing: IngressBodyFraming
        if requestWasHEAD || code < 200 || code == 204 || code == 304 {
            framing = .none
        } else if transferEncoding {
            framing = chunked ? .chunked : .untilClose
        } else if let contentLength {
            framing = .length(contentLength)
        } else {
            framing = .untilClose
        }
        return Head(
            code: code, status: block.getSlice(at: block.readerIndex + statusLine.lowerBound + 9, length: statusLine.count - 9)!,
            lines: out, framing: framing, keepAlive: !close && framing != .untilClose)
    }

    /// `range` of `raw` without leading and trailing spaces and tabs.
    private static func trimmed(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var (lower, upper) = (range.lowerBound, range.upperBound)
        while lower < upper, raw[lower] == UInt8(ascii: " ") || raw[lower] == UInt8(ascii: "\t") { lower += 1 }
        while upper > lower, raw[upper - 1] == UInt8(ascii: " ") || raw[upper - 1] == UInt8(ascii: "\t") { upper -= 1 }
        return lower..<upper
    }
}
