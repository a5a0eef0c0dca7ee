import CPodlabShim
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What a closure on a `NetnsThread` gets: the thread's netlink socket (bound to its netns) and a way
/// to visit another namespace (a pod's) for a moment. Valid only during the closure, on that thread.
final class NetnsContext {
    let netns: NetnsName
    let netlink: NetlinkSocket
    /// The thread's own netns, kept open to setns back after a visit.
    fileprivate let homeFD: Int32
    /// Set when a visit could not setns back: the thread must never run another closure.
    fileprivate(set) var retired = false
    /// The netns being visited, while `visit` runs.
    private var visiting: NetnsName?
    /// The thread's libnftables context, made on first use (see `nft()`); freed when the thread ends.
    private var nftContext: NftContext?

    fileprivate init(netns: NetnsName, netlink: NetlinkSocket, homeFD: Int32) {
        self.netns = netns
        self.netlink = netlink
        self.homeFD = homeFD
    }

    /// Runs `body` inside netns `other` with a short-lived netlink socket opened there, then returns
    /// to this thread's netns. If returning fails, the thread is retired (CNI's `ns.Do` rule): it would
    /// otherwise run the next node closure in the wrong namespace.
    func visit<T>(_ other: NetnsName, _ body: (NetlinkSocket) throws -> T) throws -> T {
        let fd = open(other.path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw KernelError.fromErrno("open", other.path) }
        defer { close(fd) }
        if podlab_setns(fd, PODLAB_CLONE_NEWNET) != 0 {
            throw KernelError.fromErrno("setns(CLONE_NEWNET)", "netns \(other)")
        }
        visiting = other
        defer {
            visiting = nil
            if podlab_setns(homeFD, PODLAB_CLONE_NEWNET) != 0 { retired = true }
        }
        let socket = try NetlinkSocket(netns: other.rawValue)
        return try body(socket)
    }

    /// The thread's libnftables context, bound to the thread's own netns: created on first use, here,
    /// after setns (libnftables opens its netlink socket when the context is made), then reused.
    /// Throws during a `visit`: the context's socket would still talk to the home netns while nft
    /// looked up interface names in the visited one. Make a separate `NftContext` inside the visit to
    /// change the visited netns's rules.
    func nft() throws -> NftContext {
        if let visiting {
            throw KernelError(
                call: "nft", subject: "netns \(netns)", errno: nil,
                detail: "the thread is visiting netns \(visiting); its nft context belongs to \(netns)")
        }
        if let nftContext { return nftContext }
        let made = try NftContext(subject: "netns \(netns)")
        nftContext = made
        return made
    }
}

/// A dedicated thread that has entered one network namespace and runs closures there, one at a time.
///
/// `setns` changes only the calling thread and Swift tasks hop threads, so namespace work never runs
/// on the cooperative pool. The netlink socket is opened after setns, because a socket belongs to the
/// netns it was created in.
final class NetnsThread: @unchecked Sendable {
    // `jobs`, `stopping` and `state` are guarded by `condition`; the socket and fds are touched only
    // by the thread itself (through `NetnsContext`).
    private let condition = NSCondition()
    private var jobs: [@Sendable (NetnsContext?) -> Void] = []
    private var stopping = false
    private var state: State = .starting

    private enum State { case starting, running, retired, stopped }

    let netns: NetnsName
    private let logger: Logger
    private var threadID: pthread_t?  // written once by the thread before `running`, under `condition`

    /// Starts the thread and waits until it has entered `netns` and opened its socket.
    /// Throws the setns or socket error (and the thread ends).
    init(netns: NetnsName, logger: Logger) throws {
        self.netns = netns
        self.logger = logger
        let started = ResultBox<Void>()
        let thread = Thread { [self] in self.main(started: started) }
        thread.name = "podlab-netns-\(netns.rawValue)"
        thread.start()
        try started.wait().get()
    }

    /// Whether the thread can no longer be used (it could not return from a visit, or it stopped).
    var isRetired: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state == .retired || state == .stopped
    }

    /// Runs `body` on the thread, inside the netns, and returns its result. Blocks the caller.
    /// Calling it from the thread itself runs `body` inline.
    func perform<T: Sendable>(_ body: @escaping @Sendable (NetnsContext) throws -> T) throws -> T {
        let box = ResultBox<T>()
        let netns = self.netns
        condition.lock()
        if let tid = threadID, pthread_equal(tid, pthread_self()) != 0 {
            condition.unlock()
            preconditionFailure("NetnsThread.perform called from its own thread for \(netns)")
        }
        guard state == .running else {
            condition.unlock()
            throw KernelError(
                call: "NetnsThread.perform", subject: "netns \(netns)", errno: nil, detail: "thread retired")
        }
        jobs.append { context in
            guard let context else {
                box.set(
                    .failure(
                        KernelError(
                            call: "NetnsThread.perform", subject: "netns \(netns)", errno: nil,
                            detail: "thread retired")))
                return
            }
            box.set(Result { try body(context) })
        }
        condition.signal()
        condition.unlock()
        return try box.wait().get()
    }

    /// Stops the thread after the closures already queued; it closes its socket and leaves the netns
    /// (a thread living in a netns keeps it alive). Idempotent.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func main(started: ResultBox<Void>) {
        let homeFD = open(netns.path, O_RDONLY | O_CLOEXEC)
        if homeFD < 0 {
            started.set(.failure(KernelError.fromErrno("open", netns.path)))
            return
        }
        defer { close(homeFD) }
        if podlab_setns(homeFD, PODLAB_CLONE_NEWNET) != 0 {
            started.set(.failure(KernelError.fromErrno("setns(CLONE_NEWNET)", "netns \(netns)")))
            return
        }
        let context: NetnsContext
        do {
            context = NetnsContext(netns: netns, netlink: try NetlinkSocket(netns: netns.rawValue), homeFD: homeFD)
        } catch {
            started.set(.failure(error))
            return
        }
        condition.lock()
        threadID = pthread_self()
        state = .running
        condition.unlock()
        started.set(.success(()))

        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {  // stopping, nothing left
                state = .stopped
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job(context)
            if context.retired {
                logger.error("thread for netns \(netns) could not setns back after a visit; retiring it")
                condition.lock()
                state = .retired
                let rest = jobs
                jobs.removeAll()
                condition.unlock()
                for j in rest { j(nil) }
                return
            }
        }
    }
}
