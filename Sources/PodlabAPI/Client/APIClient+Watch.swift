import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PodlabModel

extension APIClient {
    /// Streams a watch (`path` should carry `watch=1`): calls `event` with each newline-delimited watch event
    /// (`{"type": "ADDED", "object": {...}}`) as it arrives, until the server ends the response, the connection
    /// drops (returns normally) or the task is cancelled. A non-2xx answer throws with the server's message.
    /// This is how podlab's CoreDNS pods follow Services and EndpointSlices, as CoreDNS's informers do.
    public func watch(_ path: String, event: @Sendable (JSONValue) async throws -> Void) async throws {
        let context = try NIOSSLContext(configuration: tls)
        let host = self.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
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
        try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "host", value: "\(host):\(port)")
            headers.add(name: "accept", value: "application/json")
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
            try await outbound.write(.end(nil))
            var status = 0
            var pending: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h): status = Int(h.status.code)
                case .body(var b):
                    pending.append(contentsOf: b.readBytes(length: b.readableBytes) ?? [])
                    guard (200..<300).contains(status) else { continue }
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = pending[..<newline]
                        if !line.isEmpty { try await event(try JSONValue(parsing: line)) }
                        pending.removeSubrange(...newline)
                    }
                case .end:
                    if !(200..<300).contains(status) {
                        let value = (try? JSONValue(parsing: pending)) ?? .null
                        throw StatusError(
                            code: status, reason: value["reason"].string ?? "",
                            message: value["message"].string ?? "HTTP \(status) for \(path)")
                    }
                    return
                }
            }
        }
    }
}
