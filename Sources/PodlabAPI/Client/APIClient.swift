import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PodlabModel

/// A minimal HTTPS client for podlab's own API: `up` waits on /readyz with it, `status` reads counts.
/// One request per connection; the answer must be JSON or text.
public struct APIClient: Sendable {
    public var host: String
    public var port: Int
    public var tls: TLSConfiguration

    public init(host: String = "127.0.0.1", port: Int, tls: TLSConfiguration) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// GETs `path` and returns the status code and body bytes.
    public func get(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        try await connect().executeThenClose { inbound, outbound in
            try await sendGET(path, on: outbound, close: true)
            var status = 0
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h): status = Int(h.status.code)
                case .body(var b): body.append(contentsOf: b.readBytes(length: b.readableBytes) ?? [])
                case .end: return (status, body)
                }
            }
            return (status, body)
        }
    }

    /// A new mTLS connection speaking HTTP/1.1, for one request.
    func connect() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        let context = try NIOSSLContext(configuration: tls)
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ssl = try NIOSSLClientHandler(context: context, serverHostname: nil)
                    try channel.pipeline.syncOperations.addHandler(ssl)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Writes `GET path` asking for JSON; `close` asks the server to close the connection after answering.
    func sendGET(_ path: String, on outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, close: Bool)
        async throws
    {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(host):\(port)")
        headers.add(name: "accept", value: "application/json")
        if close { headers.add(name: "connection", value: "close") }
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
        try await outbound.write(.end(nil))
    }

    /// GETs `path` and parses the JSON answer; a non-2xx status throws with the Status message.
    public func getJSON(_ path: String) async throws -> JSONValue {
        let (status, body) = try await get(path)
        let value = try JSONValue(parsing: body)
        guard (200..<300).contains(status) else {
            throw StatusError(code: status, reason: value["reason"].string ?? "", message: value["message"].string ?? "HTTP \(status)")
        }
        return value
    }
}
