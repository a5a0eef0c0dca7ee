import Foundation

@testable import PodlabModel

/// Follows one new connection's first packet through a `ProxyRuleset` and answers what can happen to it: DNAT to
/// which endpoints (and whether it is masqueraded), REJECT, DROP, or left alone. It knows only the rule shapes
/// `KubeProxyRules` writes (kube-proxy's `nftablesTracer` idea). `numgen` is followed both ways, so the answer is
/// the set of every possible outcome.
struct ProxyTracer {
    let ruleset: ProxyRuleset
    /// The node's own addresses (`fib … type local` is also true for 127.0.0.0/8).
    let localAddresses: [String]
    /// Affinity set contents, as the kernel would have learnt them.
    var affinity: [String: Set<String>] = [:]

    enum Outcome: Hashable, CustomStringConvertible {
        case endpoint(String, masquerade: Bool)
        case reject, drop, untouched
        var description: String {
            switch self {
            case .endpoint(let e, let m): return m ? "\(e) (masq)" : e
            case .reject: return "REJECT"
            case .drop: return "DROP"
            case .untouched: return "untouched"
            }
        }
    }

    struct Packet {
        var src: String
        var dst: String
        var port: Int
        var proto = "tcp"
        var mark = false
        var dnat: String?
    }

    private enum End { case fallThrough, accept, drop, reject }

    /// A packet from a pod or from outside (`fromNode` false: prerouting), or made by the node itself (output).
    func trace(src: String, dst: String, port: Int, proto: String = "tcp", fromNode: Bool = false) -> Set<Outcome> {
        let start = Packet(src: src, dst: dst, port: port, proto: proto)
        // Each stage names the chain a packet takes there, or nil to skip it. After NAT, a packet for a local
        // address goes to input, any other to forward; locally made packets to a local address loop back to input.
        let stages: [(Packet) -> String?] =
            fromNode
            ? [
                { _ in N.filterOutput }, { _ in N.natOutput }, { _ in N.filterOutputPostDNAT },
                { self.isLocal(self.destination($0)) ? N.filterInput : nil },
            ]
            : [
                { _ in N.filterPrerouting }, { _ in N.natPrerouting },
                { self.isLocal(self.destination($0)) ? N.filterInput : N.filterForward },
            ]
        var out = Set<Outcome>()
        var live = [start]
        for stage in stages {
            var next: [Packet] = []
            for p in live {
                guard let chain = stage(p) else {
                    next.append(p)
                    continue
                }
                for (q, end) in run(chain, p, isFilter: chain.hasPrefix("filter")) {
                    switch end {
                    case .drop: out.insert(.drop)
                    case .reject: out.insert(.reject)
                    case .fallThrough, .accept: next.append(q)
                    }
                }
            }
            live = next
        }
        for p in live { out.insert(p.dnat.map { .endpoint($0, masquerade: p.mark) } ?? .untouched) }
        return out
    }

    private typealias N = KubeProxyNames

    /// The destination address after any DNAT.
    private func destination(_ p: Packet) -> String { p.dnat.map { String($0.split(separator: ":")[0]) } ?? p.dst }

    private func isLocal(_ ip: String) -> Bool { localAddresses.contains(ip) || ip.hasPrefix("127.") }

    private func run(_ chainName: String, _ packet: Packet, isFilter: Bool) -> [(Packet, End)] {
        guard let chain = ruleset.chain(chainName) else { return [(packet, .fallThrough)] }
        var results: [(Packet, End)] = []
        var live = [packet]
        for rule in chain.rules {
            var next: [Packet] = []
            for p in live {
                for (q, end) in apply(rule, p, isFilter: isFilter) {
                    if let end { results.append((q, end)) } else { next.append(q) }
                }
            }
            live = next
        }
        return results + live.map { ($0, .fallThrough) }
    }

    /// Applies one rule. nil end: go on with the next rule.
    private func apply(_ fullRule: String, _ packet: Packet, isFilter: Bool) -> [(Packet, End?)] {
        let rule = fullRule.range(of: " comment \"").map { String(fullRule[..<$0.lowerBound]) } ?? fullRule
        var w = rule.split(separator: " ").map(String.init)
        var p = packet
        let dst = destination(p)
        func take(_ n: Int) { w.removeFirst(n) }
        func value() -> [String] {
            if w.first == "{" {
                let close = w.firstIndex(of: "}")!
                let items = w[1..<close].joined(separator: " ").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                take(close + 1)
                return items
            }
            defer { take(1) }
            return [w[0]]
        }
        func matches(_ ip: String, _ items: [String]) -> Bool {
            items.contains { item in
                if item.hasPrefix("@") { return members(String(item.dropFirst())).contains(ip) }
                if let cidr = IPv4CIDR(item), let a = IPv4Address(ip) { return cidr.contains(a) }
                return item == ip
            }
        }
        while let word = w.first {
            switch word {
            case "ct": take(3)  // ct state new: every traced packet is the first of its connection
            case "ip" where w[2] == ".":  // ip daddr . meta l4proto . th dport vmap @map
                let map = String(w[9].dropFirst())
                return verdict(lookup(map, "\(dst) . \(p.proto) . \(p.port)"), p, isFilter: isFilter)
            case "ip":
                let ip = w[1] == "saddr" ? p.src : dst
                take(2)
                let negate = w.first == "!="
                if negate { take(1) }
                if matches(ip, value()) == negate { return [(p, nil)] }
            case "meta" where w[2] == ".":  // meta l4proto . th dport vmap @map
                let map = String(w[6].dropFirst())
                return verdict(lookup(map, "\(p.proto) . \(p.port)"), p, isFilter: isFilter)
            case "meta":  // meta l4proto tcp
                if w[2] != p.proto { return [(p, nil)] }
                take(3)
            case "fib":
                let ip = w[1] == "saddr" ? p.src : dst
                take(4)
                if !isLocal(ip) { return [(p, nil)] }
            case "numgen":  // numgen random mod N == 0: either way
                take(6)
                let rest = w.joined(separator: " ")
                return apply(rest, p, isFilter: isFilter) + [(p, nil)]
            case "update": take(w.firstIndex(of: "}")! + 1)
            case "mark":
                if w[1] == "set" && w[3] == "or" { p.mark = true }
                return [(p, nil)]
            case "counter": take(1)
            case "dnat":
                p.dnat = w[2]
                return [(p, .accept)]
            default:
                return verdict(w.joined(separator: " "), p, isFilter: isFilter)
            }
        }
        return [(p, nil)]
    }

    private func verdict(_ v: String?, _ p: Packet, isFilter: Bool) -> [(Packet, End?)] {
        guard let v else { return [(p, nil)] }
        let parts = v.split(separator: " ").map(String.init)
        switch parts[0] {
        case "drop": return [(p, .drop)]
        case "reject": return [(p, .reject)]
        case "return": return [(p, .fallThrough)]
        case "jump":
            return run(parts[1], p, isFilter: isFilter).map { q, end in (q, end == .fallThrough ? nil : end) }
        case "goto": return run(parts[1], p, isFilter: isFilter).map { ($0, $1) }
        default: fatalError("tracer does not know verdict \(v)")
        }
    }

    private func lookup(_ map: String, _ key: String) -> String? {
        ruleset.set(map)?.elements.first { $0.key == key }?.value
    }

    private func members(_ set: String) -> Set<String> {
        if let learnt = affinity[set] { return learnt }
        return Set(ruleset.set(set)?.elements.map(\.key) ?? [])
    }
}
