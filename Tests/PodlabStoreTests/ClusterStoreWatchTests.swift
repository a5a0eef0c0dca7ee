import PodlabModel
import Testing

@testable import PodlabStore

@Suite("ClusterStore watches")
struct ClusterStoreWatchTests {
    @Test("a live watch sees ADDED, MODIFIED and DELETED with their resourceVersions")
    func liveEvents() async throws {
        let store = try await memoryStore()
        let stream = try await store.watch(Resources.pods, namespace: nil, from: nil)
        let created = try await store.create(Resources.pods, pod("web"))
        var changed = created
        changed.set("metadata.labels", ["a": "b"])
        let updated = try await store.update(Resources.pods, changed)
        let deleted = try await store.delete(Resources.pods, namespace: "default", name: "web")
        let events = await take(3, from: stream)
        #expect(events.map(\.kind) == [.added, .modified, .deleted])
        #expect(events.map(\.resourceVersion) == [2, 3, 4])
        #expect(events.map(\.object) == [created, updated, deleted])
        #expect(events[2].object.at("metadata.resourceVersion") == "4")
        #expect(events.allSatisfy { $0.resource == Resources.pods })
    }

    @Test("a watch filters by resource and namespace")
    func filters() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.namespaces, namespace("other"))
        let podsInOther = try await store.watch(Resources.pods, namespace: "other", from: nil)
        let everything = try await store.watch(nil, namespace: nil, from: nil)
        _ = try await store.create(Resources.pods, pod("a", in: "default"))
        _ = try await store.create(Resources.configMaps, ["metadata": ["name": "c", "namespace": "other"]])
        _ = try await store.create(Resources.pods, pod("b", in: "other"))
        _ = try await store.create(Resources.namespaces, namespace("third"))
        let filtered = await take(1, from: podsInOther)
        #expect(filtered.map { $0.object.at("metadata.name") } == ["b"])
        let all = await take(4, from: everything)
        #expect(all.map { $0.object.at("metadata.name") } == ["a", "c", "b", "third"])
        // The next event on the filtered stream is the next matching one, not anything skipped earlier.
        _ = try await store.create(Resources.pods, pod("d", in: "other"))
        #expect(await take(1, from: podsInOther).map { $0.object.at("metadata.name") } == ["d"])
    }

    @Test("a watch from a resourceVersion replays what came after it, then goes live")
    func replay() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.pods, pod("a"))  // rv 2
        _ = try await store.create(Resources.pods, pod("b"))  // rv 3
        _ = try await store.create(Resources.services, ["metadata": ["name": "s", "namespace": "default"]])  // rv 4
        _ = try await store.delete(Resources.pods, namespace: "default", name: "a")  // rv 5
        let stream = try await store.watch(Resources.pods, namespace: "default", from: 2)
        _ = try await store.create(Resources.pods, pod("c"))  // rv 6
        let events = await take(3, from: stream)
        #expect(events.map(\.resourceVersion) == [3, 5, 6])
        #expect(events.map(\.kind) == [.added, .deleted, .added])
    }

    @Test("a watch from the list's resourceVersion misses nothing written in between")
    func listThenWatch() async throws {
        let store = try await memoryStore()
        let listed = await store.list(Resources.pods, namespace: nil)
        _ = try await store.create(Resources.pods, pod("between"))
        let stream = try await store.watch(Resources.pods, namespace: nil, from: listed.resourceVersion)
        #expect(await take(1, from: stream).map { $0.object.at("metadata.name") } == ["between"])
    }

    @Test("initialEvents sends ADDED for every current object, then live events")
    func initialEvents() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.pods, pod("b"))
        _ = try await store.create(Resources.pods, pod("a"))
        let stream = try await store.watch(Resources.pods, namespace: "default", from: nil, initialEvents: true)
        _ = try await store.create(Resources.pods, pod("c"))
        let events = await take(3, from: stream)
        #expect(events.map(\.kind) == [.added, .added, .added])
        #expect(events.map { $0.object.at("metadata.name") } == ["a", "b", "c"])
        #expect(events.map(\.resourceVersion) == [3, 2, 4])
    }

    @Test("a watch from a resourceVersion older than the history is 410 Expired")
    func tooOld() async throws {
        var options = ClusterStore.Options()
        options.historySize = 3
        let store = try await memoryStore(options: options)  // rv 1
        for name in ["a", "b", "c", "d"] { _ = try await store.create(Resources.pods, pod(name)) }  // rv 2...5
        // The history holds rv 3, 4, 5: a watch may start from 2 or later.
        let error = await caught(StatusError.self) {
            _ = try await store.watch(Resources.pods, namespace: nil, from: 1)
        }
        #expect(error?.code == 410)
        #expect(error?.reason == "Expired")
        #expect(error?.message == "too old resource version: 1 (2)")
        let stream = try await store.watch(Resources.pods, namespace: nil, from: 2)
        #expect(await take(3, from: stream).map(\.resourceVersion) == [3, 4, 5])
    }

    @Test("a reopened store can be watched from its current resourceVersion but not before")
    func historyAfterReopen() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        do {
            let store = try ClusterStore(directory: dir.state)
            _ = try await store.create(Resources.namespaces, namespace("default"))
            _ = try await store.create(Resources.pods, pod("a"))
            await store.close()
        }
        let store = try await reopenStore(dir.state)
        let error = await caught(StatusError.self) { _ = try await store.watch(nil, namespace: nil, from: 1) }
        #expect(error?.code == 410)
        let stream = try await store.watch(nil, namespace: nil, from: 2)
        _ = try await store.create(Resources.pods, pod("b"))
        #expect(await take(1, from: stream).map(\.resourceVersion) == [3])
    }

    @Test("a consumer that falls too far behind gets what was queued, then its stream ends")
    func slowConsumer() async throws {
        var options = ClusterStore.Options()
        options.watchQueueLimit = 5
        let store = try await memoryStore(options: options)
        let slow = try await store.watch(Resources.pods, namespace: nil, from: nil)
        #expect(await store.watcherCount == 1)
        for i in 0..<12 { _ = try await store.create(Resources.pods, pod("p\(i)")) }
        #expect(await store.watcherCount == 0)
        let events = await drain(slow)
        #expect(events.map(\.resourceVersion) == [2, 3, 4, 5, 6])  // no gap: the first five, then the end
    }

    @Test("a stream whose consumer goes away is removed from the store")
    func watcherRemovedOnTermination() async throws {
        let store = try await memoryStore()
        do {
            let stream = try await store.watch(Resources.pods, namespace: nil, from: nil)
            _ = stream
        }
        let task = Task {
            let stream = try await store.watch(nil, namespace: nil, from: nil)
            for await _ in stream {}
        }
        // Wait (bounded) until the task's watch is registered, then cancel it.
        var registered = false
        for _ in 0..<1000 where !registered {
            registered = await store.watcherCount == 1
            if !registered { await Task.yield() }
        }
        #expect(registered)
        task.cancel()
        _ = await task.result
        #expect(await store.watcherCount == 0)
    }

    @Test("close() ends every watch stream")
    func closeEndsStreams() async throws {
        let store = try await memoryStore()
        let stream = try await store.watch(nil, namespace: nil, from: nil)
        _ = try await store.create(Resources.pods, pod("a"))
        await store.close()
        #expect(await drain(stream).count == 1)
    }
}
