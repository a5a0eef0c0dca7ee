import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PodlabAPI
import PodlabModel

/// podlab's ingress-nginx: what an `ingress-nginx/controller` container runs. HTTP on :80 and HTTPS on :443
/// (the certificate picked by SNI from the Ingresses' `spec.tls` Secrets) proxied by the routing table that
/// `IngressSource` rebuilds from the API, and /healthz on :10254 (200 once the first table is built, so the pod
/// is Ready only when it routes).
public final class IngressController: Sendable {
    let client: APIClient
    let log: @Sendable (String) -> Void
    let routes = IngressRoutes()
    let group: MultiThreadedEventLoopGroup
    private let pools: [ObjectIdentifier: PoolCell]

    /// One loop's backend pool; only that loop touches it.
    final class PoolCell: @unchecked Sendable {
        let pool: IngressBackendPool
        init(_ loop: any EventLoop) { pool = IngressBackendPool(loop: loop) }
    }

    public init(client: APIClient, threads: Int, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.log = log
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        pools = Self.pools(for: group)
    }

    /// Serves until the task is cancelled; throws when a port cannot be bound.
    public func run(httpPort: Int = 80, httpsPort: Int = 443, healthPort: Int = IngressNginxAddon.healthPort)
        async throws
    {
        log("-------------------------------------------------------------------------------")
        log("NGINX Ingress controller")
        log("  Release:       v1.11.3 (podlab built-in)")
        log("-------------------------------------------------------------------------------")
        let routes = self.routes
        let certificates = try IngressCertificates()
        let tls = try NIOSSLContext(configuration: certificates.configuration())
        let source = IngressSource(client: client, publish: { [routes, log] table, pairs in
            let first = !routes.synced
            certificates.replace(table, pairs)
            let tlsHosts = Set(table.servers.values.filter { $0.tlsSecret.map { pairs[$0.description] != nil } ?? false }.map(\.host))
            routes.replace(table, tlsHosts: tlsHosts)
            if first { log("I controller: routing table built, \(table.servers.count) servers") }
        }, log: log)
        let health = IngressHealthResponder(synced: { routes.synced })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await self.serve(port: httpPort, scheme: "http", tls: nil) }
            tasks.addTask { try await self.serve(port: httpsPort, scheme: "https", tls: tls) }
            tasks.addTask {
                try await ResponderServer(responder: health, host: "0.0.0.0", port: healthPort, log: { _ in })
                    .run(onRunning: { _ in })
            }
            tasks.addTask { await source.run() }
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Accepts proxy connections on `port` until cancelled.
    func serve(port: Int, scheme: String, tls: NIOSSLContext?) async throws {
        try await Self.serveProxy(
            group: group, routes: routes, pools: pools, host: "0.0.0.0", port: port, scheme: scheme, tls: tls, log: log
        ) { bound in self.log("I controller: listening on 0.0.0.0:\(bound) (\(scheme))") }
    }

    /// Proxies every connection on `host`:`port` (0 picks a free one; `onRunning` gets the bound port) by
    /// `routes` until cancelled. Tests bind 127.0.0.1:0.
    static func serveProxy(
        group: MultiThreadedEventLoopGroup, routes: IngressRoutes, pools: [ObjectIdentifier: PoolCell], host: String,
        port: Int, scheme: String, tls: NIOSSLContext?, readTimeout: TimeAmount = IngressProxyHandler.defaultReadTimeout,
        log: @escaping @Sendable (String) -> Void, onRunning: @Sendable (Int) -> Void
    ) async throws {
        // Connections are served by their handlers alone, on their loop: no task or async stream per connection.
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 511)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    // Requests are decoded by NIO; the proxy handler writes answers as bytes, and takes pipelined
                    // requests, and a malformed one's 400, in turn itself (see IngressProxyHandler).
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    let pool = pools[ObjectIdentifier(channel.eventLoop)]?.pool ?? IngressBackendPool(loop: channel.eventLoop)
                    let bound = channel.parent?.localAddress?.port ?? port
                    try channel.pipeline.syncOperations.addHandler(
                        IngressProxyHandler(
                            routes: routes, pool: pool, scheme: scheme, serverPort: bound, readTimeout: readTimeout,
                            log: log))
                }
            }
            .bind(host: host, port: port).get()
        onRunning(server.localAddress?.port ?? port)
        // Cancellation is how the server is told to stop: it closes the listening socket.
        await withTaskCancellationHandler {
            try? await server.closeFuture.get()
        } onCancel: {
            server.close(promise: nil)
        }
    }

    /// One backend pool per loop of `group`.
    static func pools(for group: MultiThreadedEventLoopGroup) -> [ObjectIdentifier: PoolCell] {
        var pools: [ObjectIdentifier: PoolCell] = [:]
        for loop in group.makeIterator() { pools[ObjectIdentifier(loop)] = PoolCell(loop) }
        return pools
    }
}
