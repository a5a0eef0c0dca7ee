import Foundation
import NIOCore
import NIOPosix
import PodlabAPI
import PodlabDNS
import PodlabModel
import Synchronization

/// podlab's CoreDNS: what a `coredns/coredns` container runs. DNS on :53 over UDP and TCP, answered by
/// `DNSResponder` from a snapshot of the cluster that `CoreDNSSource` rebuilds as the API changes; HTTP on 8080
/// (/health), 8181 (/ready) and 9153 (/metrics).
///
/// Every event loop keeps its own reference to the current snapshot and the source replaces it with a task on
/// that loop, so answering a query takes no lock. UDP is served by one socket per loop (SO_REUSEPORT), so
/// the kernel spreads clients over the cores. Names the snapshot says to forward go to the Corefile's upstreams
/// through `upstreamSocket`, a UDP socket the shim opened in the VM's own network namespace before entering the
/// pod's, as a node's resolver would reach them; without one (or without upstreams) they are REFUSED.
public final class CoreDNSServer: Sendable {
    let client: APIClient?
    let resolvConf: String
    let upstreamSocket: Int32?
    let log: @Sendable (String) -> Void
    let metrics = CoreDNSMetrics()
    private let isSynced = Atomic<Bool>(false)
    private let cells: [ObjectIdentifier: SnapshotCell]
    let group: MultiThreadedEventLoopGroup
    private let relay: Mutex<UpstreamRelay?> = Mutex(nil)

    static let vectorReads = 16
    /// The largest UDP query read whole (EDNS allows more, but a question with an OPT record is ~100 bytes).
    static let maxQuerySize = 4096

    /// The snapshot one event loop answers from; only that loop reads or writes `current`.
    final class SnapshotCell: @unchecked Sendable {
        var current: DNSSnapshot
        var corefile = Corefile()
        init(_ s: DNSSnapshot) { current = s }
    }

    public init(client: APIClient?, resolvConf: String, upstreamSocket: Int32?, threads: Int,
                log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.resolvConf = resolvConf
        self.upstreamSocket = upstreamSocket
        self.log = log
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let empty = DNSRecordsBuilder.snapshot(
            services: [] as [JSONValue], endpointSlices: [], pods: [], namespaces: [], config: DNSConfig())
        var cells: [ObjectIdentifier: SnapshotCell] = [:]
        for loop in group.makeIterator() { cells[ObjectIdentifier(loop)] = SnapshotCell(empty) }
        self.cells = cells
    }

    func cell(_ loop: any EventLoop) -> SnapshotCell { cells[ObjectIdentifier(loop)]! }

    var synced: Bool { isSynced.load(ordering: .relaxed) }

    /// Serves until the task is cancelled; throws when a port cannot be bound.
    public func run(dnsPort: Int = 53, healthPort: Int = 8080, readyPort: Int = 8181, metricsPort: Int = 9153)
        async throws
    {
        let http = CoreDNSHTTPResponder(metrics: metrics, synced: { [weak self] in self?.synced ?? false })
        guard let client else { throw ResponderError.noServer(image: "coredns without an API client") }
        let source = CoreDNSSource(client: client, resolvConf: resolvConf, publish: { [weak self] snapshot, corefile in
            self?.publish(snapshot, corefile)
        }, log: log)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for port in [healthPort, readyPort, metricsPort] {
                tasks.addTask {
                    try await ResponderServer(responder: http, host: "0.0.0.0", port: port, log: { _ in })
                        .run(onRunning: { _ in })
                }
            }
            tasks.addTask { await source.run() }
            tasks.addTask { try await self.serveDNS(port: dnsPort) }
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Binds the DNS sockets once the first list of the API is in, or after 5 s without it, as CoreDNS's
    /// kubernetes plugin delays serving until it has synced: a pod whose port 53 answers has the cluster's records
    /// (and the kubelet's first readiness probe finds it ready). Serves until cancelled.
    func serveDNS(port dnsPort: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !synced, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        if !synced { log("[WARNING] plugin/kubernetes: starting server with unsynced Kubernetes API") }
        let channels = try await bindDNS(port: dnsPort)
        defer { for c in channels { c.close(promise: nil) } }
        if let fd = upstreamSocket {
            let channel = try await DatagramBootstrap(group: group.next())
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UpstreamHandler(server: self))
                    }
                }
                .withBoundSocket(fd).get()
            relay.withLock { $0 = UpstreamRelay(channel: channel) }
        }
        log(".:\(dnsPort)")
        log("CoreDNS-1.11.3 (podlab)")
        log("linux/\(ClusterConfig.hostArchitecture), podlab built-in")
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }

    /// Serves DNS from `snapshot` alone on 127.0.0.1, following no API and serving no HTTP, until cancelled:
    /// what the DNS benchmark measures. `onBound` runs once the sockets are bound.
    public func runStatic(_ snapshot: DNSSnapshot, dnsPort: Int, onBound: @Sendable () -> Void) async throws {
        publish(snapshot, Corefile())
        let channels = try await bindDNS(host: "127.0.0.1", port: dnsPort)
        onBound()
        defer { for c in channels { c.close(promise: nil) } }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
    }

    /// One UDP socket per event loop (SO_REUSEPORT) and one TCP listener, all on `port`.
    private func bindDNS(host: String = "0.0.0.0", port dnsPort: Int) async throws -> [any Channel] {
        var channels: [any Channel] = []
        for loop in group.makeIterator() {
            let channel = try await DatagramBootstrap(group: loop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: CInt(SO_REUSEPORT))), value: 1)
                // recvmmsg: up to 16 datagrams per system call when queries queue up. NIO cuts the receive buffer
                // into equal slices, one per datagram, so the buffer must hold 16 of the largest query we take.
                .channelOption(.datagramVectorReadMessageCount, value: Self.vectorReads)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.vectorReads * Self.maxQuerySize))
                .channelOption(.maxMessagesPerRead, value: 8)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPHandler(server: self))
                    }
                }
                .bind(host: host, port: dnsPort).get()
            channels.append(channel)
        }
        let tcp = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(TCPHandler(server: self))
                }
            }
            .bind(host: host, port: dnsPort).get()
        channels.append(tcp)
        return channels
    }

    /// Hands a new snapshot to every event loop.
    func publish(_ snapshot: DNSSnapshot, _ corefile: Corefile) {
        for loop in group.makeIterator() {
            let cell = cell(loop)
            loop.execute {
                cell.current = snapshot
                cell.corefile = corefile
            }
        }
        isSynced.store(true, ordering: .relaxed)
    }

    // MARK: - Answering

    /// Answers one packet on `loop`; `send` gets the reply bytes (now, or when an upstream answers).
    func answer(_ packet: UnsafeRawBufferPointer, over transport: DNSTransport, on loop: any EventLoop,
                send: @escaping @Sendable ([UInt8]) -> Void) {
        metrics.request(transport)
        let cell = cell(loop)
        switch DNSResponder.respond(to: packet, over: transport, snapshot: cell.current) {
        case .reply(let bytes, let rcode):
            metrics.response(rcode.description)
            send(bytes)
        case .forward(let query):
            let config = cell.current.config
            let upstreams = cell.corefile.upstreams
            let relay = relay.withLock { $0 }
            guard let relay, let upstream = upstreams.first, let address = Self.socketAddress(upstream) else {
                metrics.response("REFUSED")
                send(DNSResponder.reply(to: query, rcode: .refused, config: config))
                return
            }
            metrics.forward()
            relay.send(Array(packet), query: query, to: address) { [metrics] reply in
                if let reply {
                    metrics.response(Self.rcodeName(reply))
                    send(DNSRelay.fitting(reply, to: query, config: config))
                } else {
                    metrics.forwardTimeout()
                    metrics.response("SERVFAIL")
                    send(DNSResponder.reply(to: query, rcode: .serverFailure, config: config))
                }
            }
        case .drop:
            break
        }
    }

    /// `10.0.0.1` (port 53) or `10.0.0.1:5300`, as `forward` takes them.
    static func socketAddress(_ text: String) -> SocketAddress? {
        let parts = text.split(separator: ":")
        guard parts.count <= 2, let port = parts.count == 2 ? Int(parts[1]) : 53, (1...65535).contains(port) else {
            return nil
        }
        return try? SocketAddress(ipAddress: String(parts[0]), port: port)
    }

    /// The rcode of an upstream's reply, named as the metrics count it.
    static func rcodeName(_ reply: [UInt8]) -> String {
        reply.count >= 4 ? DNSRcode(UInt16(reply[3] & 0x0F)).description : "other"
    }

    // MARK: - Channel handlers

    final class UDPHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let server: CoreDNSServer
        init(server: CoreDNSServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            reading = true
            let envelope = unwrapInboundIn(data)
            let remote = envelope.remoteAddress
            let channel = context.channel
            let loop = context.eventLoop
            envelope.data.withUnsafeReadableBytes { bytes in
                server.answer(bytes, over: .udp, on: loop) { [self] reply in
                    let out = AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: reply))
                    // A reply given later (an upstream's, or its timeout) is outside any read batch: flush it now.
                    if loop.inEventLoop, reading {
                        // Replies to one batch of reads go out together at channelReadComplete (sendmmsg).
                        pendingWrites = true
                        channel.write(out, promise: nil)
                    } else {
                        channel.writeAndFlush(out, promise: nil)
                    }
                }
            }
        }

        /// Between the first channelRead of a batch and its channelReadComplete.
        private var reading = false
        private var pendingWrites = false

        func channelReadComplete(context: ChannelHandlerContext) {
            reading = false
            if pendingWrites {
                pendingWrites = false
                context.flush()
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // An ICMP error for an earlier reply (the client went away) must not close the server socket.
        }
    }

    struct TCPFrameDecoder: ByteToMessageDecoder {
        typealias InboundOut = ByteBuffer
        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
                  buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: 2)
            context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
            return .continue
        }
    }

    final class TCPHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let server: CoreDNSServer
        init(server: CoreDNSServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let message = unwrapInboundIn(data)
            let channel = context.channel
            message.withUnsafeReadableBytes { bytes in
                server.answer(bytes, over: .tcp, on: context.eventLoop) { reply in
                    var buffer = channel.allocator.buffer(capacity: reply.count + 2)
                    buffer.writeInteger(UInt16(reply.count))
                    buffer.writeBytes(reply)
                    channel.writeAndFlush(buffer, promise: nil)
                }
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .inputClosed = event as? ChannelEvent { context.close(promise: nil) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    final class UpstreamHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let server: CoreDNSServer
        init(server: CoreDNSServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            server.relay.withLock { $0 }?.received(bytes)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}

/// Queries relayed upstream under ids of the relay's own, with the callback that gets the reply (given back
/// the client's id) or nil after `timeout`.
final class UpstreamRelay: Sendable {
    let channel: any Channel
    static let timeout: TimeAmount = .seconds(2)
    private let pending = Mutex<[UInt16: @Sendable ([UInt8]?) -> Void]>([:])
    private let nextID = Atomic<UInt16>(UInt16.random(in: 0...UInt16.max))

    init(channel: any Channel) { self.channel = channel }

    func send(_ packet: [UInt8], query: DNSQuery, to upstream: SocketAddress,
              done: @escaping @Sendable ([UInt8]?) -> Void) {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let clientID = query.id
        pending.withLock { $0[id] = { reply in done(reply.map { DNSRelay.settingID(clientID, in: $0) }) } }
        let buffer = channel.allocator.buffer(bytes: DNSRelay.settingID(id, in: packet))
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: upstream, data: buffer), promise: nil)
        channel.eventLoop.scheduleTask(in: Self.timeout) { [weak self] in
            self?.pending.withLock { $0.removeValue(forKey: id) }?(nil)
        }
    }

    func received(_ reply: [UInt8]) {
        guard let id = DNSRelay.id(of: reply) else { return }
        pending.withLock { $0.removeValue(forKey: id) }?(reply)
    }
}
