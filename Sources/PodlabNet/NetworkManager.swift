import PodlabModel
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Builds and tears down podlab's node network and pod interfaces in the kernel; used by the daemon.
///
/// Every namespace is pinned under `/run/netns` with the prefix's names (`NetNames`), and the topology's
/// namespaces are recorded in `stateFile` before they are created, so `removeAll` can clean up after a
/// crash. Work inside a namespace runs on that namespace's `NetnsThread`; pod setup visits the pod's
/// netns from its node's thread. Calls block the caller (run them off the cooperative pool when many).
public final class NetworkManager: Sendable {
    public let names: NetNames
    public let stateFile: String
    let logger: Logger
    /// One thread per topology netns, created on first use; replaced if it retires.
    private let threads = Mutex<[NetnsName: NetnsThread]>([:])
    /// Serialises read-modify-write of the state file.
    private let stateLock = Mutex<Void>(())

    /// A manager for `prefix` (validated by `NetNames`); touches nothing until called.
    public init(prefix: String, stateFile: String, logger: Logger) throws {
        self.names = try NetNames(prefix: prefix)
        self.stateFile = stateFile
        self.logger = logger
    }

    deinit { shutdown() }

    /// Stops the namespace threads. Call it before `removeAll` in the same process: a thread living in
    /// a netns keeps that namespace (and its links) alive. Idempotent; later calls start new threads.
    public func shutdown() {
        let all = threads.withLock { t in
            defer { t.removeAll() }
            return Array(t.values)
        }
        for thread in all { thread.stop() }
    }

    /// The thread serving `netns`, started if needed (the netns must be pinned already).
    func thread(_ netns: NetnsName) throws -> NetnsThread {
        if let t = threads.withLock({ $0[netns] }), !t.isRetired { return t }
        let fresh = try NetnsThread(netns: netns, logger: logger)
        return threads.withLock { t in
            if let existing = t[netns], !existing.isRetired {
                fresh.stop()
                return existing
            }
            t[netns]?.stop()
            t[netns] = fresh
            return fresh
        }
    }

    /// Adds `netns` names to the state file (kept in order, no duplicates).
    func record(_ netns: [NetnsName]) throws {
        try stateLock.withLock { _ in
            var state = NetworkState.load(stateFile)
            let missing = netns.map(\.rawValue).filter { !state.netns.contains($0) }
            if missing.isEmpty { return }
            state.netns += missing
            try state.save(stateFile)
        }
    }

    // MARK: - Topology

    /// Creates the wire, outside and node namespaces and everything in them: `br0` in the wire netns with
    /// one port per node and one for the outside; in each node, `eth0` with its wire address, `cni0` with
    /// the pod gateway, routes to the other nodes' pod CIDRs and the node sysctls; in the outside, `eth0`.
    ///
    /// Idempotent: a restarted daemon calls it again and adopts what exists (EEXIST is success; a wire
    /// port whose node side is missing is recreated). Each netns is recorded in the state file before it
    /// is created. Throws `KernelError` or `NameError`; on failure what exists stays for `removeAll`.
    public func buildTopology(_ plan: TopologyPlan) throws {
        guard plan.prefix == names.prefix else {
            throw NameError(
                kind: "prefix", name: plan.prefix, problem: "plan is for another prefix than \(names.prefix)")
        }
        try record(plan.allNetns)
        for netns in plan.allNetns {
            if try NetnsPin.create(netns) { logger.debug("created netns \(netns)") }
        }

        let wire = try thread(plan.wire.netns)
        let wirePlan = plan.wire
        try wire.perform { ctx in
            try ctx.netlink.ensureBridge(wirePlan.bridge)
            try ctx.netlink.setLink(wirePlan.bridge, up: true)
            try ctx.netlink.setLink(.loopback, up: true)
            try SysctlFile.write(wirePlan.sysctls, netns: ctx.netns.rawValue)
        }

        // Hosts on the wire: nodes and the outside, each an `eth0` whose peer is a port of br0.
        let hosts: [(NetnsName, InterfaceName)] =
            plan.nodes.map { ($0.netns, $0.wirePort) } + [(plan.outside.netns, plan.outside.wirePort)]
        for (netns, port) in hosts {
            let hasEth0 = try thread(netns).perform { ctx in try ctx.netlink.index(of: .eth0) != nil }
            try wire.perform { ctx in
                let hasPort = try ctx.netlink.index(of: port) != nil
                if !hasEth0 || !hasPort {
                    // Deleting either end of a veth deletes both: start the pair over.
                    try ctx.netlink.deleteLink(port)
                    try NetworkManager.withNetnsFD(netns) { fd in
                        try ctx.netlink.addVeth(port, peer: .eth0, peerNetnsFD: fd, peerNetns: netns.rawValue)
                    }
                }
                try ctx.netlink.setLink(port, up: true, master: wirePlan.bridge)
            }
        }

        for node in plan.nodes {
            try thread(node.netns).perform { ctx in
                let nl = ctx.netlink
                try nl.setLink(.loopback, up: true)
                try nl.ensureBridge(node.bridge, address: node.bridgeMAC)
                try nl.ensureAddress(node.gateway, prefixLength: node.podCIDR.prefixLength, on: node.bridge)
                try nl.setLink(node.bridge, up: true)
                try nl.ensureAddress(node.wireAddress, prefixLength: node.wirePrefixLength, on: .eth0)
                try nl.setLink(.eth0, up: true)
                for route in node.routes { try nl.ensureRoute(route) }
                try SysctlFile.write(node.sysctls, netns: ctx.netns.rawValue)
            }
        }

        let outside = plan.outside
        try thread(outside.netns).perform { ctx in
            try ctx.netlink.setLink(.loopback, up: true)
            try ctx.netlink.ensureAddress(outside.address, prefixLength: outside.prefixLength, on: .eth0)
            try ctx.netlink.setLink(.eth0, up: true)
            try SysctlFile.write(outside.sysctls, netns: ctx.netns.rawValue)
        }
        logger.info("topology ready: \(plan.nodes.count) nodes, wire \(plan.wire.netns), outside \(plan.outside.netns)")
    }

    // MARK: - Pods

    /// Gives a pod its network: creates and pins `pod.netns`, a veth with `pod.hostVeth` in the node netns
    /// (port of `cni0`, isolated, up) and `eth0` in the pod (address, up), lo up, a default route via
    /// the gateway, and the pod sysctls.
    ///
    /// Idempotent: an existing pod netns and host veth are adopted, missing parts are added. On failure
    /// it undoes the steps this call made (netns, veth) and throws `KernelError`.
    public func setupPod(_ pod: PodNetworkPlan) throws {
        let node = try thread(pod.nodeNetns)
        let logger = self.logger
        try node.perform { ctx in
            var undo = UndoStack(logger: logger)
            defer { undo.unwindUnlessCommitted() }
            if try NetnsPin.create(pod.netns) {
                undo.push("delete netns \(pod.netns)") { try NetnsPin.delete(pod.netns) }
            }
            let nl = ctx.netlink
            let podHasEth0 = try ctx.visit(pod.netns) { try $0.index(of: .eth0) != nil }
            let hasHostVeth = try nl.index(of: pod.hostVeth) != nil
            if !podHasEth0 || !hasHostVeth {
                try nl.deleteLink(pod.hostVeth)  // a host end without its pod end: start the pair over
                try NetworkManager.withNetnsFD(pod.netns) { fd in
                    try nl.addVeth(pod.hostVeth, peer: .eth0, peerNetnsFD: fd, peerNetns: pod.netns.rawValue)
                }
                undo.push("delete veth \(pod.hostVeth) in \(ctx.netns)") { try nl.deleteLink(pod.hostVeth) }
            }
            try nl.setLink(pod.hostVeth, up: true, master: .cni0)
            // Isolated after enslaving: the attribute belongs to the bridge port.
            try nl.setBridgePortIsolated(pod.hostVeth, true)
            try ctx.visit(pod.netns) { podNL in
                try podNL.setLink(.loopback, up: true)
                try podNL.ensureAddress(pod.address, prefixLength: pod.prefixLength, on: .eth0)
                try podNL.setLink(.eth0, up: true)
                try podNL.ensureRoute(pod.defaultRoute)
                try SysctlFile.write(pod.sysctls, netns: pod.netns.rawValue)
            }
            undo.commit()
        }
        logger.debug("pod network ready: \(pod.netns) \(pod.addressWithPrefix) via \(pod.hostVeth)")
    }

    /// Removes a pod's network: deletes `hostVeth` in the node netns (which deletes the pod's eth0 too,
    /// even if another mount namespace still pins the pod netns), then unmounts and removes the pin.
    /// Idempotent: anything already gone is success. Throws `KernelError`.
    public func teardownPod(netns: NetnsName, nodeNetns: NetnsName, hostVeth: InterfaceName) throws {
        if NetnsPin.isPinned(nodeNetns) {
            try thread(nodeNetns).perform { ctx in try ctx.netlink.deleteLink(hostVeth) }
        }
        try NetnsPin.delete(netns)
    }

    /// The pod namespaces of this prefix under /run/netns (`<prefix>_…`), for adoption after a restart.
    /// Reads only.
    public func podNetnsNames() -> [String] {
        NetnsPin.list().filter { names.isPod($0) }
    }

    // MARK: - Running code in a namespace

    /// Runs `body` on the thread that lives in topology netns `netns` (a node, the wire or the outside)
    /// and returns its result, e.g. to open a listening socket there: a socket belongs to the netns of the
    /// thread that creates it, wherever it is used later. Blocks the caller; `body` must not call back into
    /// this manager for the same netns. Throws `KernelError` when the netns cannot be entered.
    public func run<T: Sendable>(in netns: NetnsName, _ body: @escaping @Sendable () throws -> T) throws -> T {
        try thread(netns).perform { _ in try body() }
    }

    /// Makes the /32 addresses on `lo` of `netns` exactly `addresses` (127.0.0.1/8 stays): how a node
    /// announces LoadBalancer and external IPs on the wire, since with arp_ignore 0 it answers ARP for any
    /// local address (dataplane-notes: a /32 on lo was what worked). Returns what it added and removed.
    @discardableResult
    public func setLoopbackAddresses(_ addresses: Set<IPv4Address>, in netns: NetnsName) throws
        -> (added: [IPv4Address], removed: [IPv4Address])
    {
        try inside(netns) { nl in
            let lo = try InterfaceName("lo")
            // libnl prints a full-length prefix without "/32".
            let current = Set(try nl.addresses(on: lo).compactMap { text -> IPv4Address? in
                if text.hasSuffix("/32") { return IPv4Address(String(text.dropLast(3))) }
                return text.contains("/") ? nil : IPv4Address(text)
            })
            let add = addresses.subtracting(current).sorted { $0.value < $1.value }
            let remove = current.subtracting(addresses).sorted { $0.value < $1.value }
            for a in add { try nl.ensureAddress(a, prefixLength: 32, on: lo) }
            for a in remove { try nl.removeAddress(a, prefixLength: 32, on: lo) }
            return (add, remove)
        }
    }

    // MARK: - Inspection (diagnostics and tests)

    /// The links of `netns` (RTM_GETLINK dump). Reads only.
    public func links(in netns: NetnsName) throws -> [LinkSnapshot] {
        try inside(netns) { try $0.links() }
    }

    /// The IPv4 addresses (`a.b.c.d/n`) on `device` in `netns`. Reads only.
    public func addresses(on device: InterfaceName, in netns: NetnsName) throws -> [String] {
        try inside(netns) { try $0.addresses(on: device) }
    }

    /// The value of `/proc/sys/<path>` in `netns`, or nil when the file does not exist. Reads only.
    public func readSysctl(_ path: String, in netns: NetnsName) throws -> String? {
        try inside(netns) { _ in try SysctlFile.read(path, netns: netns.rawValue) }
    }

    /// Runs `body` with a socket in `netns`: on its own thread for topology namespaces, else (pods) on a
    /// short-lived thread that enters it and ends.
    private func inside<T: Sendable>(_ netns: NetnsName, _ body: @escaping @Sendable (NetlinkSocket) throws -> T)
        throws -> T
    {
        if let t = threads.withLock({ $0[netns] }), !t.isRetired {
            return try t.perform { try body($0.netlink) }
        }
        let once = try NetnsThread(netns: netns, logger: logger)
        defer { once.stop() }
        return try once.perform { try body($0.netlink) }
    }

    static func withNetnsFD<T>(_ netns: NetnsName, _ body: (Int32) throws -> T) throws -> T {
        let fd = open(netns.path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw KernelError.fromErrno("open", netns.path) }
        defer { close(fd) }
        return try body(fd)
    }
}
