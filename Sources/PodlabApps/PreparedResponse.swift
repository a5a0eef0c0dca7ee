import NIOCore

/// A response whose bytes are prepared ahead of the request: the connection only splices in the `Date`
/// header (cached per second) and, when the server's style wants one, a `Connection` header.
///
/// Header text is split where the imitated server puts those two headers, so the wire order matches it:
/// nginx writes `Server, Date, Content-Type, Content-Length, Last-Modified, Connection, ETag, Accept-Ranges`,
/// Go writes the handler's headers, then `Date, Content-Length, Content-Type`, then `Connection: close`.
struct PreparedResponse: Sendable {
    /// The status code, for the access log.
    var status: Int
    /// The status line and the headers before `Date`, each ending in CRLF.
    var beforeDate: [UInt8]
    /// The headers between `Date` and `Connection` (usually `Content-Length` is here), each ending in CRLF.
    var beforeConnection: [UInt8]
    /// The headers after `Connection`, each ending in CRLF.
    var afterConnection: [UInt8]
    /// The body; left out on the wire for HEAD requests, whose `Content-Length` still counts it.
    var body: [UInt8]
    /// Whether the connection closes after this response whatever the client asked.
    var closes: Bool

    init(
        status: Int, beforeDate: String, beforeConnection: String, afterConnection: String = "",
        body: [UInt8], closes: Bool = false
    ) {
        self.status = status
        self.beforeDate = Array(beforeDate.utf8)
        self.beforeConnection = Array(beforeConnection.utf8)
        self.afterConnection = Array(afterConnection.utf8)
        self.body = body
        self.closes = closes
    }

    /// The whole response as one buffer, ready to write.
    func encode(
        style: ServerStyle, date: [UInt8], keepAlive: Bool, includeBody: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let connection: [UInt8]? =
            keepAlive ? (style.connectionAlways ? style.keepAliveHeader : nil) : style.closeHeader
        var buffer = allocator.buffer(
            capacity: beforeDate.count + style.dateName.count + date.count + beforeConnection.count
                + (connection?.count ?? 0) + afterConnection.count + 4 + (includeBody ? body.count : 0))
        buffer.writeBytes(beforeDate)
        buffer.writeBytes(style.dateName)
        buffer.writeBytes(date)
        buffer.writeBytes(crlf)
        buffer.writeBytes(beforeConnection)
        if let connection { buffer.writeBytes(connection) }
        buffer.writeBytes(afterConnection)
        buffer.writeBytes(crlf)
        if includeBody { buffer.writeBytes(body) }
        return buffer
    }
}

private let crlf: [UInt8] = [13, 10]
