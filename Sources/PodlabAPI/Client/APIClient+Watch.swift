import NIOCore
import NIOHTTP1
import PodlabModel

extension APIClient {
    /// Streams a watch (`path` should carry `watch=1`): calls `event` with each newline-delimited watch event
    /// (`{"type": "ADDED", "object": {...}}`) as it arrives, until the server ends the response, the connection
    /// drops (returns normally) or the task is cancelled. A non-2xx answer throws with the server's message.
    /// This is how podlab's CoreDNS pods follow Services and EndpointSlices, as CoreDNS's informers do.
    public func watch(_ path: String, event: @Sendable (JSONValue) async throws -> Void) async throws {
        try await connect().executeThenClose { inbound, outbound in
            try await sendGET(path, on: outbound, close: false)
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
