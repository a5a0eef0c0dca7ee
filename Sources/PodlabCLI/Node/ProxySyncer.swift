import Foundation
import Logging
import PodlabModel
import PodlabNet
import PodlabStore

/// kube-proxy's job on every node: keeps `table ip kube-proxy` in each node's namespace equal to what
/// `KubeProxyRules.desired` computes from the Services and EndpointSlices.
///
/// The first sync of a node (and the one after a failure) replaces the whole table; later ones apply only what
/// changed: a `ProxyRulesTracker` per node rebuilds only the Services whose Service or EndpointSlices have a new
/// resourceVersion and writes commands for their chains and elements alone. Each sync is one libnftables transaction per node: a rejected one leaves the previous
/// rules in place, is logged with nft's message and line, and the next sync of that node is a full one.
/// Changes are coalesced: a sync starts at most every `minInterval`, with whatever changed meanwhile.
actor ProxySyncer {
    struct Node: Sendable {
        var name: String
        var netns: NetnsName
        var config: KubeProxyConfig
    }

    let store: ClusterStore
    let manager: NetworkManager
    let nodes: [Node]
    let logger: Logger
    let minInterval: Duration
    /// Per node: the desired ruleset, kept up to date one Service at a time.
    private var trackers: [String: ProxyRulesTracker] = [:]
    /// Nodes whose kernel table equals their tracker's ruleset. A node not in it gets a full sync next.
    private var inSync: Set<String> = []
    /// Chains a partial sync stopped using, per node, with when: deleted by a later transaction. Kernels
    /// before 6.2 refuse to delete a chain in the transaction that removes the map element jumping to it
    /// (Debian 12's stock kernel is 6.1), so kube-proxy deletes them a second later; so does podlab.
    private var stale: [String: (names: Set<String>, since: ContinuousClock.Instant)] = [:]
    static let staleDelay: Duration = .seconds(1)

    init(store: ClusterStore, manager: NetworkManager, nodes: [Node], logger: Logger,
         minInterval: Duration = .milliseconds(50)) {
        self.store = store
        self.manager = manager
        self.nodes = nodes
        self.logger = logger
        self.minInterval = minInterval
    }

    /// Syncs when Services or EndpointSlices change (and once at start) until cancelled.
    func run() async {
        let others = Set(Resources.all).subtracting([Resources.services, Resources.endpointSlices])
        var seen: Int64 = -1
        var failed = false
        while !Task.isCancelled {
            let rv = await store.lastChange(excluding: others)
            if rv != seen || failed || !stale.isEmpty {
                seen = rv
                failed = await !syncAll()
            }
            try? await Task.sleep(for: failed ? .seconds(1) : minInterval)
        }
    }

    /// One sync of every node; false when a node's transaction failed (it is retried as a full sync).
    func syncAll() async -> Bool {
        let services = await store.list(Resources.services, namespace: nil).items
        let slices = await store.list(Resources.endpointSlices, namespace: nil).items
        var ok = true
        for node in nodes {
            var tracker = trackers[node.name] ?? ProxyRulesTracker(config: node.config)
            let update = tracker.update(services: services, endpointSlices: slices)
            trackers[node.name] = tracker
            let manager = self.manager
            let netns = node.netns
            if let pending = stale[node.name] {
                if pending.names.contains(where: tracker.hasChain) {
                    // A chain waiting for deletion is wanted again: only a full sync is sure to leave it right.
                    inSync.remove(node.name)
                    stale[node.name] = nil
                } else if ContinuousClock.now - pending.since >= Self.staleDelay, inSync.contains(node.name) {
                    let script = tracker.deleteChainsScript(Array(pending.names))
                    do {
                        if !script.isEmpty { try await blocking { _ = try manager.applyNft(script, in: netns) } }
                        stale[node.name] = nil
                    } catch {
                        inSync.remove(node.name)
                        stale[node.name] = nil
                        ok = false
                        logger.error("proxy: deleting \(pending.names.count) unused chains on \(node.name) refused: \(error)")
                    }
                }
            }
            let full = !inSync.contains(node.name)
            if !full && update.script.isEmpty { continue }
            let script = full ? tracker.ruleset().render() : update.script
            do {
                try await blocking { _ = try manager.applyNft(script, in: netns) }
                inSync.insert(node.name)
                // Once the new rules are in: UDP flows still pinned to endpoints that went away would keep
                // sending there (a resolver reusing its source port), so they are deleted, as kube-proxy does.
                do {
                    let flows = try await blocking { try manager.udpConntrackFlows(in: netns) }
                    if !flows.isEmpty {
                        let (udpServices, udpSlices) = Self.udpOnly(services, slices)
                        let stale = ConntrackCleanup(services: udpServices, endpointSlices: udpSlices, node: node.config)
                            .staleFlows(flows)
                        let gone = try await blocking { try manager.deleteConntrackFlows(stale, in: netns) }
                        if gone > 0 { logger.info("proxy: deleted \(gone) stale UDP conntrack entries on \(node.name)") }
                    }
                } catch {
                    logger.warning("proxy: conntrack cleanup on \(node.name): \(error)")
                }
                if full {
                    stale[node.name] = nil  // the table was rebuilt without them
                } else if !update.removedChains.isEmpty {
                    stale[node.name] = (Set(update.removedChains).union(stale[node.name]?.names ?? []), ContinuousClock.now)
                }
            } catch {
                inSync.remove(node.name)
                stale[node.name] = nil
                ok = false
                logger.error("proxy: \(full ? "full" : "partial") sync of \(node.name) refused: \(error)")
            }
        }
        // One node answers ARP for each LoadBalancer and wire-subnet external IP, as a MetalLB L2 speaker would
        // (a node with a local endpoint under externalTrafficPolicy Local); that node's rules do the rest.
        let wanted = ServiceIPAnnouncement.assign(services: services, endpointSlices: slices, nodes: nodes.map(\.name))
        // Give addresses up before others take them, so two nodes never answer ARP for one address.
        for pass in 0..<2 {
            for node in nodes {
                let had = announcedIPs[node.name] ?? []
                // First pass: only removals; second: the full wanted set.
                let target = pass == 0 ? had.intersection(wanted[node.name] ?? []) : wanted[node.name] ?? []
                if target == had { continue }
                let manager = self.manager
                let netns = node.netns
                do {
                    try await blocking { _ = try manager.setLoopbackAddresses(target, in: netns) }
                    announcedIPs[node.name] = target
                } catch {
                    ok = false
                    logger.error("proxy: announcing \(target.count) service IPs on \(node.name): \(error)")
                }
            }
        }
        return ok
    }

    private var announcedIPs: [String: Set<IPv4Address>] = [:]

    /// The Services with a UDP port and their EndpointSlices: all the conntrack cleanup needs, without decoding
    /// every TCP Service at each sync.
    static func udpOnly(_ services: [JSONValue], _ slices: [JSONValue]) -> ([JSONValue], [JSONValue]) {
        let udp = services.filter { svc in (svc["spec"]["ports"].array ?? []).contains { $0["protocol"].string == "UDP" } }
        let keys = Set(udp.map { ($0["metadata"]["namespace"].string ?? "default") + "/" + ($0["metadata"]["name"].string ?? "") })
        let udpSlices = slices.filter { KubeProxyRules.owner(ofSlice: $0).map(keys.contains) ?? false }
        return (udp, udpSlices)
    }
}
