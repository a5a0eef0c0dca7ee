import PodlabModel
import Synchronization

/// Which events a watch wants.
struct WatchFilter {
    /// `groupResource` of the watched resource, or nil for all.
    var resource: String?
    var namespace: String?
    /// Only events above this resourceVersion are sent (a watch may start from a future version).
    var after: Int64

    func wants(_ event: WatchEvent) -> Bool {
        guard event.resourceVersion > after else { return false }
        if let resource, resource != event.resource.groupResource { return false }
        if let namespace, event.object.at("metadata.namespace").string != namespace { return false }
        return true
    }
}

/// One open watch: its filter and where its events go.
struct Watcher {
    var filter: WatchFilter
    var continuation: AsyncStream<WatchEvent>.Continuation
}

/// Ids of watch streams whose consumer went away, collected from `onTermination` (which runs outside the actor)
/// and swept by the actor on its next watch operation, so cancelled watchers do not pile up.
final class TerminationInbox: Sendable {
    private let ids = Mutex<[Int]>([])

    func add(_ id: Int) { ids.withLock { $0.append(id) } }

    func drain() -> [Int] {
        ids.withLock { ids in
            defer { ids = [] }; return ids
        }
    }
}

extension ClusterStore {
    /// Streams changes to `r` (all resources when nil) in `namespace` (all when nil).
    ///
    /// - `from` given: first replays the retained events after that resourceVersion, then live ones. Throws 410
    ///   Expired `too old resource version: X (Y)` when events after X are no longer retained (Y is the oldest
    ///   version a watch can start from); the client must re-list. A `from` ahead of the store is allowed and
    ///   skips events up to it.
    /// - `from` nil: live events only.
    /// - `initialEvents`: first an ADDED event for every current object (sorted as `list`), then live events; `from`
    ///   is ignored. This is kube's `resourceVersion=0` / unset watch, done atomically.
    /// - `endBookmark` (with `initialEvents`): after the initial events, a BOOKMARK at the store's version whose
    ///   object carries the `k8s.io/initial-events-end` annotation, which a `sendInitialEvents=true` watch (client-go's
    ///   WatchList, kubectl 1.35+) waits for before it trusts its state.
    ///
    /// A consumer that falls `watchQueueLimit` events behind gets what was queued, then the stream ends (as
    /// kube-apiserver closes a slow watcher); memory never grows without bound. Streams end on `close()` too.
    public func watch(
        _ r: ResourceInfo?, namespace: String?, from: Int64?, initialEvents: Bool = false, endBookmark: Bool = false
    ) throws -> AsyncStream<WatchEvent> {
        sweepTerminatedWatchers()
        var backlog: [WatchEvent] = []
        var after = resourceVersion
        let resourceKey = r?.groupResource
        if initialEvents {
            // A namespace filter excludes cluster-scoped objects, as it does for live events.
            for resource in (r.map { [$0] } ?? resources) where resource.namespaced || namespace == nil {
                for object in table.list(resource, namespace: namespace) {
                    let rv = Int64(object.at("metadata.resourceVersion").string ?? "") ?? resourceVersion
                    backlog.append(WatchEvent(kind: .added, resource: resource, object: object, resourceVersion: rv))
                }
            }
            if endBookmark, let r {
                backlog.append(
                    WatchEvent(
                        kind: .bookmark, resource: r,
                        object: ["metadata": ["annotations": [Self.initialEventsEndAnnotation: "true"]]],
                        resourceVersion: resourceVersion))
            }
        } else if let from {
            guard from >= history.floor else {
                throw StatusError(
                    code: 410, reason: "Expired", message: "too old resource version: \(from) (\(history.floor))")
            }
            let filter = WatchFilter(resource: resourceKey, namespace: namespace, after: from)
            backlog = history.events(after: from).filter(filter.wants)
            after = max(from, resourceVersion)
        }
        let (stream, continuation) = AsyncStream.makeStream(
            of: WatchEvent.self, bufferingPolicy: .bufferingOldest(backlog.count + options.watchQueueLimit))
        for event in backlog { continuation.yield(event) }
        let id = nextWatcherID
        nextWatcherID += 1
        let inbox = terminatedWatchers
        continuation.onTermination = { _ in inbox.add(id) }
        watchers[id] = Watcher(
            filter: WatchFilter(resource: resourceKey, namespace: namespace, after: after), continuation: continuation)
        return stream
    }

    /// The annotation on the bookmark that ends a watch's initial events.
    public static let initialEventsEndAnnotation = "k8s.io/initial-events-end"

    /// The number of open watches (after removing those whose consumer has gone).
    public var watcherCount: Int {
        sweepTerminatedWatchers()
        return watchers.count
    }

    /// Records `event` for replay and hands it to every interested watcher, ending the streams of those too far
    /// behind.
    func publish(_ event: WatchEvent) {
        var kept = event
        kept.previous = nil
        history.append(kept)
        sweepTerminatedWatchers()
        var gone: [Int] = []
        for (id, watcher) in watchers where watcher.filter.wants(event) {
            switch watcher.continuation.yield(event) {
            case .enqueued:
                break
            case .dropped:
                // The buffer is full: the consumer is `watchQueueLimit` events behind. End the stream after what
                // it already has, so it never sees a gap, and its client re-lists.
                watcher.continuation.finish()
                gone.append(id)
            case .terminated:
                gone.append(id)
            @unknown default:
                break
            }
        }
        for id in gone { watchers[id] = nil }
    }

    func sweepTerminatedWatchers() {
        for id in terminatedWatchers.drain() { watchers[id] = nil }
    }
}
