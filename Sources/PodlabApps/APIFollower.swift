import Foundation
import PodlabAPI
import PodlabModel

/// Follows API lists as client-go's informers do: for each path, list, then watch from that resourceVersion, and
/// list again when the watch ends (backing off while the API fails), keeping the objects of each list by
/// `namespace/name`. Once every path has been listed, `run` hands the objects to `rebuild` after each burst of
/// events (within `settle` of the last one). The cluster DNS pods and the ingress controller follow the API this way.
actor APIFollower {
    typealias Objects = [String: [String: JSONValue]]

    let client: APIClient
    /// The lists followed: a name for each (`services`) and its API path.
    let paths: [String: String]
    let logFailure: @Sendable (_ kind: String, _ error: any Error) -> Void
    private var objects: Objects = [:]
    private var synced: Set<String> = []
    private var dirty = false
    /// Wakes the rebuild loop when something changed: it sleeps on this, never polls (an idle pod stays idle).
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    init(client: APIClient, paths: [String: String], logFailure: @escaping @Sendable (String, any Error) -> Void) {
        self.client = client
        self.paths = paths
        self.logFailure = logFailure
        (changes, changed) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until cancelled.
    func run(settle: Duration, rebuild: @escaping @Sendable (Objects) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for (kind, path) in paths { group.addTask { await self.follow(kind, path) } }
            let changes = self.changes
            group.addTask {
                // One wake-up per burst: the first change of a burst is signalled, the rest arrive within `settle`.
                for await _ in changes {
                    try? await Task.sleep(for: settle)
                    if let objects = await self.takeChanges() { await rebuild(objects) }
                }
            }
        }
    }

    /// The objects, if they changed since the last call and every list has been read once.
    private func takeChanges() -> Objects? {
        guard dirty, synced.count == paths.count else { return nil }
        dirty = false
        return objects
    }

    private func follow(_ kind: String, _ path: String) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let list = try await client.getJSON(path)
                var items: [String: JSONValue] = [:]
                for item in list["items"].array ?? [] { items[Self.key(item)] = item }
                objects[kind] = items
                synced.insert(kind)
                markDirty()
                failures = 0
                let rv = list["metadata"]["resourceVersion"].string ?? "0"
                let sep = path.contains("?") ? "&" : "?"
                try await client.watch("\(path)\(sep)watch=1&resourceVersion=\(rv)&allowWatchBookmarks=true") { event in
                    await self.apply(kind, event)
                }
            } catch {
                failures += 1
                if failures == 1 || failures % 30 == 0 { logFailure(kind, error) }
            }
            try? await Task.sleep(for: .milliseconds(failures == 0 ? 100 : min(1000, 100 * failures)))
        }
    }

    private static func key(_ o: JSONValue) -> String {
        (o["metadata"]["namespace"].string ?? "") + "/" + (o["metadata"]["name"].string ?? "")
    }

    private func apply(_ kind: String, _ event: JSONValue) {
        let object = event["object"]
        switch event["type"].string {
        case "ADDED", "MODIFIED": objects[kind, default: [:]][Self.key(object)] = object
        case "DELETED": objects[kind]?[Self.key(object)] = nil
        default: return  // BOOKMARK, ERROR (the watch ends and is re-listed)
        }
        markDirty()
    }

    private func markDirty() {
        dirty = true
        changed.yield()
    }
}
