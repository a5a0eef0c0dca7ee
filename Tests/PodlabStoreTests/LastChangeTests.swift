import PodlabModel
import Testing

@testable import PodlabStore

@Suite("last change per resource")
struct LastChangeTests {
    @Test("writes to excluded resources do not move lastChange; others do")
    func excludes() async throws {
        let store = try ClusterStore(directory: nil)
        _ = try await store.create(Resources.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]])
        let before = await store.lastChange(excluding: [Resources.events])
        #expect(before == (await store.currentResourceVersion))
        _ = try await store.create(
            Resources.events,
            ["apiVersion": "v1", "kind": "Event", "metadata": ["name": "e1", "namespace": "default"],
             "involvedObject": ["kind": "Pod", "name": "p"], "reason": "Scheduled", "message": "m"])
        #expect(await store.lastChange(excluding: [Resources.events]) == before)
        #expect(await store.currentResourceVersion > before)
        _ = try await store.create(
            Resources.configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "namespace": "default"]])
        #expect(await store.lastChange(excluding: [Resources.events]) == (await store.currentResourceVersion))
    }

    @Test("live MODIFIED events carry the previous object; replayed ones do not")
    func previousObject() async throws {
        let store = try ClusterStore(directory: nil)
        let ns: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]]
        _ = try await store.create(Resources.namespaces, ns)
        let start = await store.currentResourceVersion
        let live = try await store.watch(Resources.namespaces, namespace: nil, from: nil)
        var labeled = try #require(await store.get(Resources.namespaces, namespace: nil, name: "default"))
        labeled.set("metadata.labels", ["color": "blue"])
        _ = try await store.update(Resources.namespaces, labeled)
        var it = live.makeAsyncIterator()
        let event = try #require(await it.next())
        #expect(event.kind == .modified)
        #expect(event.previous?.at("metadata.labels").isNull == true)
        #expect(event.object.at("metadata.labels.color") == "blue")
        let replay = try await store.watch(Resources.namespaces, namespace: nil, from: start)
        var rit = replay.makeAsyncIterator()
        let replayed = try #require(await rit.next())
        #expect(replayed.kind == .modified && replayed.previous == nil)
    }
}
