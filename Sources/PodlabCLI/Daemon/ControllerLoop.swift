import Foundation
import Logging
import PodlabModel
import PodlabStore

/// Runs the pure controllers against the store: whenever the store changes (and once a second for the
/// time-based parts), take a snapshot, compute the actions, apply them, and repeat until nothing is left to do.
struct ControllerLoop: Sendable {
    let store: ClusterStore
    let config: ClusterConfig
    let logger: Logger

    /// The most passes one change may take before the loop waits for the next one (a guard against a
    /// controller that never converges; such a bug is logged, not spun on).
    static let maxPasses = 50

    func run() async {
        var seen: Int64 = -1
        var lastFull = ContinuousClock.now
        var rng = SystemRandomNumberGenerator()
        // Events are written by the controllers themselves and drive nothing, so they do not wake a pass.
        let quiet: Set<ResourceInfo> = [Resources.events]
        while !Task.isCancelled {
            let rv = await store.lastChange(excluding: quiet)
            if rv != seen || ContinuousClock.now - lastFull > .seconds(1) {
                lastFull = ContinuousClock.now
                await settle(&rng)
                seen = await store.lastChange(excluding: quiet)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func settle(_ rng: inout SystemRandomNumberGenerator) async {
        for pass in 0..<ControllerLoop.maxPasses {
            if Task.isCancelled { return }
            let snapshot = ClusterSnapshot(objects: await store.all())
            let actions = Controllers.reconcile(snapshot, config: config, now: Date(), rng: &rng)
            if actions.isEmpty { return }
            for action in actions { await apply(action) }
            if pass == ControllerLoop.maxPasses - 1 {
                logger.warning("controllers did not converge after \(ControllerLoop.maxPasses) passes: \(actions)")
            }
        }
    }

    func apply(_ action: ControllerAction) async {
        do {
            switch action {
            case .create(let r, var obj):
                Defaulting.apply(&obj, resource: r)
                _ = try await store.create(r, obj)
            case .update(let r, let obj):
                _ = try await store.update(r, obj)
            case .updateStatus(let r, let obj):
                let ns = obj.at("metadata.namespace").string
                let name = obj.at("metadata.name").string ?? ""
                let status = obj["status"]
                _ = try await store.modify(r, namespace: ns, name: name) { current in
                    var o = current
                    o["status"] = status
                    return o
                }
            case .delete(let r, let ns, let name, let uid):
                _ = try await store.delete(r, namespace: ns, name: name, preconditionUID: uid)
            case .event(let obj):
                _ = try await store.create(Resources.events, obj)
            }
        } catch {
            // Conflicts and races are normal: the next pass reads the store again.
            logger.debug("controller action failed: \(error)")
        }
    }
}
