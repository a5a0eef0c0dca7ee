import NIOCore
import NIOWebSocket

/// An accepted WebSocket stream (pods/exec or pods/attach): the subprotocol to confirm in the 101 answer, and
/// the work to run over the upgraded connection. Nothing starts until the server calls `run`, so a request
/// that is answered but never upgraded has no side effects.
public struct WebSocketSession: Sendable {
    public var subprotocol: String
    public var run: @Sendable (WebSocketConnection) async -> Void

    public init(subprotocol: String, run: @escaping @Sendable (WebSocketConnection) async -> Void) {
        self.subprotocol = subprotocol
        self.run = run
    }
}

/// The two directions of an upgraded connection, with the control-frame chores (pong, close) done here.
public struct WebSocketConnection: Sendable {
    let inbound: NIOAsyncChannelInboundStream<WebSocketFrame>
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

    public init(inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Calls `onMessage` with each data message (binary or text, unmasked) until the client closes or goes
    /// away. Pings are answered with pongs carrying the same data (RFC 6455 §5.5.3).
    func receive(_ onMessage: ([UInt8]) async -> Void) async {
        var fragments: [UInt8] = []
        do {
            for try await frame in inbound {
                switch frame.opcode {
                case .ping:
                    try? await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                case .connectionClose:
                    return
                case .binary, .text, .continuation:
                    var data = frame.unmaskedData
                    fragments.append(contentsOf: data.readBytes(length: data.readableBytes) ?? [])
                    if frame.fin {
                        await onMessage(fragments)
                        fragments = []
                    }
                default:
                    continue
                }
            }
        } catch {
            return
        }
    }

    /// Sends one binary message.
    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: bytes)))
    }

    /// After the close frame went out, waits (at most `grace`) for the group's receive task to end, which it
    /// does when the client answers with its own close frame, then cancels what is left. Closing the socket
    /// while the client's frames are still unread would make the kernel send a reset, and a reset can discard
    /// output the client has not read yet (seen under load: `kubectl exec` printing nothing).
    static func linger(_ group: inout TaskGroup<Void>, grace: Duration = .seconds(2)) async {
        group.addTask { try? await Task.sleep(for: grace) }
        _ = await group.next()
        group.cancelAll()
    }

    /// Sends a close frame with status 1000 (normal closure); kubectl reads it as the end of the session.
    func close() async {
        var data = ByteBuffer()
        data.writeInteger(UInt16(1000))
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
    }
}
