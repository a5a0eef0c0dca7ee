import Foundation
import Logging
import PodlabModel
import Testing

@testable import PodlabNet

/// Runs a command and returns its exit status and combined output (tests only; the library never
/// shells out).
@discardableResult
func run(_ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// What the root namespace shows; must be identical before and after a test.
func rootNetworkSnapshot() throws -> String {
    // `ip -o link` prints per-link counters nowhere, but qdisc/state could flap on real NICs: keep
    // name, flags and master only.
    let links = try run(["ip", "-o", "link"]).output.split(separator: "\n").map { line in
        line.split(separator: " ").prefix(3).joined(separator: " ")
    }
    let addrs = try run(["ip", "-o", "addr"]).output.split(separator: "\n").map { line in
        line.split(separator: " ").prefix(4).joined(separator: " ")
    }
    let routes = try run(["ip", "route"]).output
    return (links + addrs).joined(separator: "\n") + "\n" + routes
}

func ping(from netns: NetnsName, _ address: String) throws -> Bool {
    try run(["ip", "netns", "exec", netns.rawValue, "ping", "-c1", "-W2", address]).status == 0
}

@Suite(.enabled(if: getuid() == 0), .serialized)
struct PrivilegedNetworkTests {
    let prefix = "pltest-\(getpid())-net"
    let logger = Logger(label: "podlab.net.test")

    func stateFile(_ name: String) -> String {
        NSTemporaryDirectory() + "/pltest-\(getpid())-\(name)-state.json"
    }

    @Test("two nodes and three pods: real packets cross nodes, reach gateways, and everything is removed after")
    func twoNodeTopology() throws {
        let before = try rootNetworkSnapshot()
        let state = stateFile("topology")
        let manager = try NetworkManager(prefix: prefix, stateFile: state, logger: logger)
        var removed: CleanupReport?
        defer {
            manager.shutdown()
            if removed == nil { _ = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger) }
        }

        let plan = try TopologyPlan(prefix: prefix, nodeNames: ["podlab-control-plane", "podlab-worker"])
        try manager.buildTopology(plan)
        try manager.buildTopology(plan)  // a restarted daemon adopts what exists
        #expect(NetworkState.load(state).netns == plan.allNetns.map(\.rawValue))

        let (n0, n1) = (plan.nodes[0], plan.nodes[1])
        let a = PodNetworkPlan(
            names: plan.names, namespace: "default", name: "a", uid: "uid-a", node: n0,
            address: try #require(IPv4Address("10.244.0.5")))
        let c = PodNetworkPlan(
            names: plan.names, namespace: "default", name: "c", uid: "uid-c", node: n0,
            address: try #require(IPv4Address("10.244.0.6")))
        let b = PodNetworkPlan(
            names: plan.names, namespace: "other", name: "b", uid: "uid-b", node: n1,
            address: try #require(IPv4Address("10.244.1.5")))
        for pod in [a, b, c] { try manager.setupPod(pod) }
        try manager.setupPod(a)  // idempotent
        #expect(manager.podNetnsNames().sorted() == [a, b, c].map(\.netns.rawValue).sorted())
        #expect(try manager.addresses(on: .eth0, in: a.netns) == ["10.244.0.5/24"])

        // Real packets, only to addresses inside our namespaces.
        #expect(try ping(from: a.netns, "10.244.1.5"), "pod a -> pod b across nodes")
        #expect(try ping(from: b.netns, "10.244.0.5"), "pod b -> pod a across nodes")
        #expect(try ping(from: a.netns, "10.244.0.1"), "pod a -> its gateway")
        #expect(try ping(from: a.netns, "10.244.0.6"), "pod a -> pod c on the same node, routed via proxy ARP")
        #expect(try ping(from: n0.netns, "10.244.1.5"), "node 0 -> pod b on node 1")
        #expect(try ping(from: plan.outside.netns, "172.18.0.3"), "outside -> node 1 on the wire")
        #expect(try !ping(from: plan.outside.netns, "10.244.0.5"), "outside has no route to pod CIDRs")

        // The host veth is an isolated port of cni0.
        let detail = try run([
            "ip", "netns", "exec", n0.netns.rawValue, "ip", "-d", "link", "show", "dev", a.hostVeth.rawValue,
        ])
        #expect(detail.output.contains("master cni0"))
        #expect(detail.output.contains("isolated on"))

        // cni0 keeps the planned MAC whatever its ports are: pods' ARP entries for the gateway stay true.
        func bridgeMAC() throws -> String {
            try run(["ip", "netns", "exec", n0.netns.rawValue, "cat", "/sys/class/net/cni0/address"])
                .output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try bridgeMAC() == n0.bridgeMAC.description)

        // Sysctls read back as planned.
        for s in n0.sysctls {
            let value = try manager.readSysctl(s.path, in: n0.netns)
            if s.onlyIfPresent && value == nil { continue }
            #expect(value == s.value, "\(s.path) in \(n0.netns)")
        }
        for s in plan.wire.sysctls {
            let value = try manager.readSysctl(s.path, in: plan.wire.netns)
            if s.onlyIfPresent && value == nil { continue }
            #expect(value == s.value, "\(s.path) in wire")
        }
        #expect(try manager.readSysctl("net/ipv4/ip_forward", in: a.netns) == "0")
        #expect(try manager.readSysctl("net/ipv4/ip_forward", in: plan.outside.netns) == "0")

        // Teardown removes the host veth and the pin, and a second teardown is a no-op.
        try manager.teardownPod(netns: c.netns, nodeNetns: c.nodeNetns, hostVeth: c.hostVeth)
        try manager.teardownPod(netns: c.netns, nodeNetns: c.nodeNetns, hostVeth: c.hostVeth)
        #expect(try !manager.links(in: n0.netns).contains { $0.name == c.hostVeth.rawValue })
        #expect(try manager.links(in: n0.netns).contains { $0.name == a.hostVeth.rawValue })
        #expect(!FileManager.default.fileExists(atPath: c.netns.path))
        #expect(try bridgeMAC() == n0.bridgeMAC.description)

        // A process inside a pod is killed by removeAll (found by its netns, not its name).
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sleeper.arguments = ["ip", "netns", "exec", b.netns.rawValue, "sleep", "300"]
        try sleeper.run()
        defer { if sleeper.isRunning { sleeper.terminate() } }
        // Wait (bounded) until `ip netns exec` has entered the netns and exec'd sleep.
        let bID = try #require(NamespaceIdentity(path: b.netns.path))
        var entered = false
        for _ in 0..<100 where !entered {
            entered = NetworkManager.processes(inAnyOf: [bID]).contains(sleeper.processIdentifier)
            if !entered { usleep(20_000) }
        }
        #expect(entered)

        manager.shutdown()
        let report = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
        removed = report
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.killedPIDs.contains(sleeper.processIdentifier))
        #expect(report.removedStateFile)
        #expect(Set(report.removedNetns) == Set(plan.allNetns.map(\.rawValue) + [a, b].map(\.netns.rawValue)))
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal)
        #expect(NetnsPin.list().filter { plan.names.owns($0) }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: state))
        #expect(try rootNetworkSnapshot() == before)
        // Idempotent: nothing left to remove.
        #expect(NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger).removedNetns.isEmpty)
    }

    @Test("removeAll finds namespaces by prefix with no state file, and by the state file alone")
    func removeWithoutState() throws {
        let state = stateFile("nostate")
        let names = try NetNames(prefix: prefix)
        let byPrefix = names.pod(namespace: "default", name: "orphan")
        defer { _ = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger) }
        #expect(try NetnsPin.create(byPrefix))
        #expect(try !NetnsPin.create(byPrefix))  // idempotent
        #expect(NetnsPin.isPinned(byPrefix))
        let report = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
        #expect(report.removedNetns == [byPrefix.rawValue])
        #expect(!report.removedStateFile)
        #expect(!FileManager.default.fileExists(atPath: byPrefix.path))

        // A name recorded in the state file is removed even when it does not carry the prefix.
        let recorded = try NetnsName("pltest-\(getpid())-rec")
        defer { try? NetnsPin.delete(recorded) }
        try NetworkState(netns: [recorded.rawValue]).save(state)
        try NetnsPin.create(recorded)
        let second = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
        #expect(second.removedNetns == [recorded.rawValue])
        #expect(second.removedStateFile)
        #expect(!FileManager.default.fileExists(atPath: recorded.path))
    }

    @Test("a failed pod setup undoes its own netns and veth")
    func podSetupRollback() throws {
        let state = stateFile("rollback")
        let manager = try NetworkManager(prefix: prefix, stateFile: state, logger: logger)
        defer {
            manager.shutdown()
            _ = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
        }
        let plan = try TopologyPlan(prefix: prefix, nodeNames: ["podlab-control-plane"])
        try manager.buildTopology(plan)
        // A gateway outside the pod's /24 and without onlink: the default route fails after the veth is made.
        var pod = PodNetworkPlan(
            names: plan.names, namespace: "default", name: "bad", uid: "uid-bad", node: plan.nodes[0],
            address: try #require(IPv4Address("10.244.0.7")))
        pod.gateway = try #require(IPv4Address("10.9.9.9"))
        #expect(throws: KernelError.self) { try manager.setupPod(pod) }
        #expect(!FileManager.default.fileExists(atPath: pod.netns.path))
        #expect(try !manager.links(in: plan.nodes[0].netns).contains { $0.name == pod.hostVeth.rawValue })
    }
}

@Suite(.enabled(if: getuid() == 0), .serialized)
struct NetnsRunTests {
    @Test("run(in:) executes on a thread inside the node netns, not in the root netns")
    func runInNode() throws {
        let prefix = "pltest-\(getpid())-run"
        let state = NSTemporaryDirectory() + "/pltest-\(getpid())-run-state.json"
        let logger = Logger(label: "podlab.net.test")
        let manager = try NetworkManager(prefix: prefix, stateFile: state, logger: logger)
        defer {
            manager.shutdown()
            _ = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
        }
        let plan = try TopologyPlan(prefix: prefix, nodeNames: ["podlab-control-plane"])
        try manager.buildTopology(plan)
        let node = plan.nodes[0].netns
        let inside = try manager.run(in: node) { NamespaceIdentity(path: "/proc/thread-self/ns/net") }
        #expect(inside == NamespaceIdentity(path: node.path))
        #expect(NamespaceIdentity(path: "/proc/thread-self/ns/net") != inside)
    }
}
