import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 GET with NIO's client pipeline: resolve through `SystemResolver` on NIO's thread pool,
/// connect to each address in turn, collect the whole answer; everything bounded by one deadline.
final class UpstreamFetch {
    /// The upstream's status and body.
    struct Answer: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    /// Fetches `url` on `loop`; fails with a `FetchFailure` naming the step that went wrong.
    static func get(_ url: FetchURL, timeout: TimeAmount, on loop: any EventLoop) -> EventLoopFuture<Answer> {
        let promise = loop.makePromise(of: Answer.self)
        loop.execute {
            UpstreamFetch(url: url, timeout: timeout, loop: loop, promise: promise).start()
        }
        return promise.futureResult
    }

    private let url: FetchURL
    private let timeout: TimeAmount
    private let deadline: NIODeadline
    private let loop: any EventLoop
    private let promise: EventLoopPromise<Answer>
    private var channel: (any Channel)?
    private var timer: Scheduled<Void>?
    private var finished = false

    private init(url: FetchURL, timeout: TimeAmount, loop: any EventLoop, promise: EventLoopPromise<Answer>) {
        self.url = url
        self.timeout = timeout
        self.deadline = .now() + timeout
        self.loop = loop
        self.promise = promise
    }

    private func start() {
        timer = loop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.finish(.failure(.timedOut(target: self.url.authority, seconds: Int(self.timeout.nanoseconds / 1_000_000_000))))
        }
        let resolved: EventLoopFuture<[SocketAddress]>
        if let literal = try? SocketAddress(ipAddress: url.host, port: url.port) {
            resolved = loop.makeSucceededFuture([literal])
        } else {
            let (host, port) = (url.host, url.port)
            resolved = NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
                try SystemResolver.resolve(host, port: port)
            }
        }
        resolved.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let addresses): self.connect(addresses, at: 0)
            case .failure(let error):
                self.finish(.failure(error as? FetchFailure ?? .resolve(host: self.url.host, reason: "\(error)")))
            }
        }
    }

    private func connect(_ addresses: [SocketAddress], at index: Int) {
        guard !finished else { return }
        let address = addresses[index]
        let answer = loop.makePromise(of: Answer.self)
        let request = requestHead()
        let remaining = max(deadline - .now(), .milliseconds(1))
        ClientBootstrap(group: loop)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamCollector(request: request, answer: answer))
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard !self.finished else {
                        channel.close(promise: nil)
                        return
                    }
                    self.channel = channel
                    answer.futureResult.assumeIsolated().whenComplete { outcome in
                        self.finish(outcome.mapError { error in
                            error as? FetchFailure ?? .upstream(target: self.url.authority, reason: "\(error)")
                        })
                    }
                case .failure(let error):
                    let failure = self.connectFailure(error, address: address)
                    answer.fail(failure)
                    if index + 1 < addresses.count, case .connect = failure {
                        self.connect(addresses, at: index + 1)
                    } else {
                        self.finish(.failure(failure))
                    }
                }
            }
    }

    private func requestHead() -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.path)
        head.headers.add(name: "Host", value: url.port == 80 ? url.host : url.authority)
        head.headers.add(name: "Accept", value: "*/*")
        head.headers.add(name: "User-Agent", value: "Deno/2.1.4")
        head.headers.add(name: "Connection", value: "close")
        return head
    }

    private func connectFailure(_ error: any Error, address: SocketAddress) -> FetchFailure {
        let shown = address.ipAddress.map { address.protocol == .inet6 ? "[\($0)]:\(url.port)" : "\($0):\(url.port)" }
            ?? "\(address)"
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return .timedOut(target: url.authority, seconds: Int(timeout.nanoseconds / 1_000_000_000))
        }
        if let io = error as? IOError {
            return .connect(target: url.authority, address: shown, reason: String(cString: strerror(io.errnoCode)))
        }
        return .connect(target: url.authority, address: shown, reason: "\(error)")
    }

    private func finish(_ result: Result<Answer, FetchFailure>) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        channel?.close(promise: nil)
        switch result {
        case .success(let answer): promise.succeed(answer)
        case .failure(let failure): promise.fail(failure)
        }
    }
}
