import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Listens on one address and serves every connection with a `Responder`, until the task is cancelled.
struct ResponderServer<R: Responder> {
    var responder: R
    var host: String
    var port: Int
    var log: @Sendable (String) -> Void
    var logger = Logger(label: "podlab.apps")

    /// Binds, prints the image's startup lines, reports the bound port, then accepts connections; each is a
    /// child task of a discarding task group. Throws when the address cannot be bound.
    func run(onRunning: @Sendable (Int) -> Void) async throws {
        let responder = self.responder
        let log = self.log
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 511)  // nginx's default listen backlog
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        ResponderConnectionHandler(responder: responder, log: log))
                    // The handler consumes everything; the async wrapper only tells the task when the
                    // connection ends and closes it when the task is cancelled.
                    return try NIOAsyncChannel<Never, Never>(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        for line in responder.startupLines(port: boundPort, stamp: ClockCache.shared.now()) { log(line) }
        onRunning(boundPort)
        let logger = self.logger
        do {
            try await acceptLoop(server, logger: logger)
        } catch is CancellationError {
            // Cancellation is how a responder is told to stop; it is not a failure.
        }
    }

    private func acceptLoop(
        _ server: NIOAsyncChannel<NIOAsyncChannel<Never, Never>, Never>, logger: Logger
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask {
                        let peer = connection.channel.remoteAddress
                        do {
                            try await connection.executeThenClose { inbound, _ in
                                for try await _ in inbound {}
                            }
                        } catch {
                            logger.debug("connection ended with an error", metadata: [
                                "peer": "\(peer.map { "\($0)" } ?? "?")", "error": "\(error)",
                            ])
                        }
                    }
                }
            }
        }
    }
}
