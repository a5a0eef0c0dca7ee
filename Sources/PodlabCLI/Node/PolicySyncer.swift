import Foundation
import Logging
import PodlabModel
import PodlabNet
import PodlabStore

/// NetworkPolicy enforcement on every node: keeps `table inet podlab-netpol` in each node's namespace equal to
/// what `PolicyRules.desired` computes from the NetworkPolicies, Pods and Namespaces.
///
/// Each sync is one libnftables transaction per node that changed. When only set and map elements differ from
/// what the node's kernel holds (a pod's or a namespace's labels moved it in or out of a peer, a pod came or
/// went as a peer), only those elements are written; any other change, the first sync, and the one after a
/// refused transaction rebuild the table atomically. Changes are coalesced: a sync starts at most every
/// `minInterval`, so a policy, label or namespace change is enforced well within a second.
actor PolicySyncer {
    struct Node: Sendable {
        var name: String
        var netns: NetnsName
    }

    let store: ClusterStore
    let manager: NetworkManager
    let nodes: [Node]
    let logger: Logger
    let minInterval: Duration
    /// Per node: the ruleset the kernel holds (the last transaction that succeeded). Missing: unknown, so the
    /// next sync rebuilds the table.
    private var installed: [String: PolicyRuleset] = [:]
    /// Compiled policies by resourceVersion, so a pod or namespace change compiles no policy again.
    private var cache = PolicyCompileCache()
    /// The compile errors last logged, so an unchanged bad policy is not logged at every pod update.
    private var reportedErrors: [PolicyError] = []

    init(store: ClusterStore, manager: NetworkManager, nodes: [Node], logger: Logger,
         minInterval: Duration = .milliseconds(50)) {
        self.store = store
        self.manager = manager
        self.nodes = nodes
        self.logger = logger
        self.minInterval = minInterval
    }

    /// Syncs when NetworkPolicies, Pods or Namespaces change (and once at start) until cancelled.
    func run() async {
        let others = Set(Resources.all).subtracting([Resources.networkPolicies, Resources.pods, Resources.namespaces])
        var seen: Int64 = -1
        var failed = false
        while !Task.isCancelled {
            let rv = await store.lastChange(excluding: others)
            if rv != seen || failed {
                seen = rv
                failed = await !syncAll()
            }
            try? await Task.sleep(for: failed ? .seconds(1) : minInterval)
        }
    }

    /// One sync of every node; false when a node's transaction was refused (that node is rebuilt next time).
    func syncAll() async -> Bool {
        let model = PolicyModel(
            policies: await store.list(Resources.networkPolicies, namespace: nil).items,
            pods: await store.list(Resources.pods, namespace: nil).items,
            namespaces: await store.list(Resources.namespaces, namespace: nil).items, cache: &cache)
        if model.errors != reportedErrors {
            for error in model.errors { logger.error("netpol: not enforced: \(error)") }
            reportedErrors = model.errors
        }
        var ok = true
        for node in nodes {
            let desired = PolicyRules.desired(model, node: node.name)
            let old = installed[node.name]
            if old == desired { continue }
            let partial = old.flatMap { desired.elementUpdate(from: $0) }
            let script = partial ?? desired.render()
            let manager = self.manager
            let netns = node.netns
            do {
                if !script.isEmpty { try await blocking { _ = try manager.applyNft(script, in: netns) } }
                installed[node.name] = desired
            } catch {
                installed[node.name] = nil
                ok = false
                logger.error("netpol: \(partial == nil ? "full" : "partial") sync of \(node.name) refused: \(error)")
            }
        }
        return ok
    }
}
