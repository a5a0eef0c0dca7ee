import Foundation
import Logging
import Testing

@testable import PodlabNet

/// nftables through libnftables in throwaway namespaces. Each test pins its own `pltest-<pid>-nftN-*`
/// namespaces and removes them (and stops their threads) in `defer`, even when an expectation fails.
/// The root namespace's ruleset is only read, never changed.
@Suite(.enabled(if: getuid() == 0), .serialized)
struct NftablesPrivilegedTests {
    let logger = Logger(label: "podlab.nft.test")

    /// Pins one netns per name in `nodes` as `pltest-<pid>-<tag>-<node>`, runs `body` with a manager for
    /// them, then stops the manager's threads and removes every netns of the prefix.
    func withNamespaces(
        _ tag: String, _ nodes: [String], _ body: (NetworkManager, [NetnsName]) throws -> Void
    ) throws {
        let prefix = "pltest-\(getpid())-\(tag)"
        let state = NSTemporaryDirectory() + "/\(prefix)-state.json"
        let manager = try NetworkManager(prefix: prefix, stateFile: state, logger: logger)
        defer {
            manager.shutdown()
            let report = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
            #expect(report.errors.isEmpty, "\(report.errors)")
        }
        var netns: [NetnsName] = []
        for node in nodes {
            let name = try NetnsName("\(prefix)-\(node)")
            try NetnsPin.create(name)
            netns.append(name)
        }
        try body(manager, netns)
    }

    /// `list ruleset` of the root netns, read with our own wrapper on a new thread that never left it.
    func rootRuleset() throws -> String {
        let box = ResultBox<String>()
        let thread = Thread {
            box.set(
                Result {
                    let here = NamespaceIdentity(path: "/proc/thread-self/ns/net")
                    guard here != nil, here == NamespaceIdentity(path: "/proc/self/ns/net") else {
                        throw KernelError(
                            call: "read root ruleset", subject: "thread", errno: nil, detail: "not in root")
                    }
                    return try NftContext(subject: "root netns").run("list ruleset", output: [.stateless])
                })
        }
        thread.start()
        return try box.wait().get()
    }

    /// kube-proxy's full-sync shape: `add table` makes the `delete table` safe on a first run, then the
    /// whole table is defined. A chain, a verdict map, a set and a NAT hook, named as kube-proxy names them.
    static let version1 = """
        add table ip kube-proxy
        delete table ip kube-proxy
        table ip kube-proxy {
        \tset cluster-ips {
        \t\ttype ipv4_addr
        \t\telements = { 10.96.0.10 }
        \t}
        \tmap service-ips {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\telements = { 10.96.0.10 . udp . 53 : goto service-ULMVA6XW-kube-system/kube-dns/udp/dns }
        \t}
        \tchain endpoint-5OJB2KTY-kube-system/kube-dns/udp/dns__10.244.0.5/53 {
        \t\tmeta l4proto udp dnat to 10.244.0.5:53
        \t}
        \tchain service-ULMVA6XW-kube-system/kube-dns/udp/dns {
        \t\tnumgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-kube-system/kube-dns/udp/dns__10.244.0.5/53 }
        \t}
        \tchain services {
        \t\tip daddr . meta l4proto . th dport vmap @service-ips
        \t}
        \tchain nat-prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tjump services
        \t}
        }
        """

    /// Lines 1-3 would change the table; the kernel refuses line 4 (no such element), so none may stay.
    static let refusedOnLine4 = """
        add element ip kube-proxy cluster-ips { 10.96.0.20 }
        flush chain ip kube-proxy services
        add chain ip kube-proxy service-AAAAAAAA-default/web/tcp/http
        delete element ip kube-proxy cluster-ips { 10.9.9.9 }
        add rule ip kube-proxy services counter
        """

    @Test("a table applies in its own netns, reads back, and a refused transaction leaves it as it was")
    func applyReadAndRefuse() throws {
        let rootBefore = try rootRuleset()
        try withNamespaces("nft1", ["node"]) { manager, netns in
            let node = netns[0]
            try manager.applyNft(Self.version1, in: node)
            let listed = try manager.listNft("list table ip kube-proxy", in: node)
            for name in [
                "table ip kube-proxy", "set cluster-ips", "map service-ips", "chain services",
                "chain service-ULMVA6XW-kube-system/kube-dns/udp/dns",
                "chain endpoint-5OJB2KTY-kube-system/kube-dns/udp/dns__10.244.0.5/53", "chain nat-prerouting",
                "10.96.0.10 . udp . 53 : goto service-ULMVA6XW-kube-system/kube-dns/udp/dns",
            ] {
                #expect(listed.contains(name), "\(name) in:\n\(listed)")
            }
            let json = try manager.listNft("list table ip kube-proxy", in: node, output: .json)
            #expect(json.hasPrefix("{\"nftables\": ["))
            #expect(json.contains("\"name\": \"cluster-ips\""))

            // A full sync is idempotent: the same script again leaves the same table.
            try manager.applyNft(Self.version1, in: node)
            #expect(try manager.listNft("list table ip kube-proxy", in: node) == listed)

            // Refused by the kernel on line 4: the error names the line and nft's message, and the
            // element, the flush and the chain of lines 1-3 were rolled back with it.
            let refused = #expect(throws: NftError.self) { try manager.applyNft(Self.refusedOnLine4, in: node) }
            #expect(refused?.lines == [4])
            #expect(refused?.problems.first?.source == "delete element ip kube-proxy cluster-ips { 10.9.9.9 }")
            #expect(refused?.problems.first?.message == "Error: Could not process rule: No such file or directory")
            #expect(refused?.description.contains("line 4 `delete element") == true)
            #expect(try manager.listNft("list table ip kube-proxy", in: node) == listed)

            // Refused by nft itself (evaluation) on line 2: nothing is sent, nothing changes.
            let outOfRange = #expect(throws: NftError.self) {
                try manager.applyNft(
                    "add chain ip kube-proxy extra\nadd rule ip kube-proxy extra tcp dport 99999 accept\n", in: node)
            }
            #expect(outOfRange?.lines == [2])
            #expect(try manager.listNft("list table ip kube-proxy", in: node) == listed)

            // A dry run finds the same refusal, and a valid dry run changes nothing either.
            let checked = #expect(throws: NftError.self) { try manager.checkNft(Self.refusedOnLine4, in: node) }
            #expect(checked?.lines == [4])
            #expect(checked?.call == "nft_run_cmd_from_filename (dry run)")
            try manager.checkNft("add element ip kube-proxy cluster-ips { 10.96.0.99 }", in: node)
            #expect(try manager.listNft("list table ip kube-proxy", in: node) == listed)

            // The context is reused after a failure: a partial update still applies.
            try manager.applyNft("add element ip kube-proxy cluster-ips { 10.96.0.20 }", in: node)
            #expect(try manager.listNft("list set ip kube-proxy cluster-ips", in: node).contains("10.96.0.20"))
        }
        #expect(try rootRuleset() == rootBefore)
    }

    @Test("a context talks to the netns it was created in, wherever its thread is later")
    func contextBindsAtCreation() throws {
        let rootBefore = try rootRuleset()
        try withNamespaces("nft2", ["a", "b"]) { manager, netns in
            let (a, b) = (netns[0], netns[1])
            try manager.applyNft("add table ip only-in-a", in: a)
            #expect(try manager.listNft("list tables", in: a).contains("table ip only-in-a"))
            #expect(try !manager.listNft("list tables", in: b).contains("only-in-a"))

            let seen = try manager.thread(a).perform { ctx -> [String] in
                let madeInA = try NftContext(subject: "netns \(a) (test)")
                return try ctx.visit(b) { _ -> [String] in
                    // The thread is in b now, as /proc says.
                    guard NamespaceIdentity(path: "/proc/thread-self/ns/net") == NamespaceIdentity(path: b.path)
                    else { return ["thread not in b"] }
                    let madeInB = try NftContext(subject: "netns \(b) (test)")
                    // The thread's own context refuses to run while it is away from home.
                    let refusesAway = (try? ctx.nft()) == nil
                    return [
                        try madeInA.run("list tables"), try madeInB.run("list tables"), "\(refusesAway)",
                    ]
                }
            }
            #expect(seen.count == 3)
            #expect(seen.first?.contains("table ip only-in-a") == true, "a context made in a still lists a's tables")
            #expect(seen.dropFirst().first == "", "a context made in b lists b's (empty) ruleset")
            #expect(seen.last == "true")
            // Back home, the thread's context works again.
            #expect(try manager.listNft("list tables", in: a).contains("only-in-a"))
        }
        #expect(try rootRuleset() == rootBefore)
    }

    @Test("two namespaces' threads apply at the same time without mixing their rulesets")
    func concurrentNamespaces() throws {
        let rootBefore = try rootRuleset()
        try withNamespaces("nft3", ["a", "b"]) { manager, netns in
            for ns in netns {
                try manager.applyNft("add table ip kube-proxy\nadd set ip kube-proxy ips { type ipv4_addr; }", in: ns)
            }
            // `iif "lo"` makes nft fill its process-wide interface cache on every run.
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                for n in 0..<40 {
                    _ = try? manager.applyNft(
                        "add element ip kube-proxy ips { 10.\(i).0.\(n) }\n"
                            + "add rule ip kube-proxy input-\(i) iif \"lo\" accept\n",
                        in: netns[i])
                }
            }
            // Chain input-N does not exist yet, so each script is refused on line 2 and its element on
            // line 1 goes with it: one script, one transaction.
            for (i, ns) in netns.enumerated() {
                let set = try manager.listNft("list set ip kube-proxy ips", in: ns)
                #expect(!set.contains("10.\(i).0."), "refused transactions added nothing in \(ns)")
            }
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                _ = try? manager.applyNft("add chain ip kube-proxy input-\(i)", in: netns[i])
                for n in 0..<40 {
                    _ = try? manager.applyNft(
                        "add element ip kube-proxy ips { 10.\(i).0.\(n) }\n"
                            + "add rule ip kube-proxy input-\(i) iif \"lo\" accept\n",
                        in: netns[i])
                }
            }
            for (i, ns) in netns.enumerated() {
                let set = try manager.listNft("list set ip kube-proxy ips", in: ns)
                let other = 1 - i
                #expect(set.contains("10.\(i).0.39"), "\(ns):\n\(set)")
                #expect(!set.contains("10.\(other).0."), "\(ns) has none of the other netns's elements")
                let rules = try manager.listNft("list chain ip kube-proxy input-\(i)", in: ns)
                #expect(rules.components(separatedBy: "iif \"lo\" accept").count - 1 == 40)
            }
        }
        #expect(try rootRuleset() == rootBefore)
    }
}
