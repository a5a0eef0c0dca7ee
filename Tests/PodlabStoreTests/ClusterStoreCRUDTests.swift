import PodlabModel
import Testing

@testable import PodlabStore

@Suite("ClusterStore create, get, list, update, delete")
struct ClusterStoreCRUDTests {
    @Test("create fills uid, creationTimestamp, resourceVersion, apiVersion and kind, and get returns it")
    func createFillsSystemFields() async throws {
        var options = ClusterStore.Options()
        options.clock = { 1_714_555_800 }  // 2024-05-01T09:30:00Z
        let store = try await memoryStore(options: options)
        let created = try await store.create(Resources.pods, pod("web"))
        let uid = try #require(created.at("metadata.uid").string)
        #expect(uid.count == 36)
        #expect(uid == uid.lowercased())
        #expect(Array(uid)[14] == "4")  // version 4
        #expect(created.at("metadata.creationTimestamp") == "2024-05-01T09:30:00Z")
        #expect(created.at("metadata.resourceVersion") == "2")  // the namespace took 1
        #expect(created["apiVersion"] == "v1")
        #expect(created["kind"] == "Pod")
        #expect(created.at("metadata.generation").isNull)  // pods have no generation before 1.33
        #expect(await store.currentResourceVersion == 2)
        #expect(await store.get(Resources.pods, namespace: "default", name: "web") == created)
        #expect(await store.get(Resources.pods, namespace: "other", name: "web") == nil)
        #expect(await store.get(Resources.pods, namespace: nil, name: "web") == nil)
    }

    @Test("two creates get different uids")
    func uidsDiffer() async throws {
        let store = try await memoryStore()
        let a = try await store.create(Resources.pods, pod("a"))
        let b = try await store.create(Resources.pods, pod("b"))
        #expect(a.at("metadata.uid") != b.at("metadata.uid"))
    }

    @Test("list sorts by namespace then name and reports the current resourceVersion")
    func listSorted() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.namespaces, namespace("a"))
        _ = try await store.create(Resources.namespaces, namespace("a-b"))
        _ = try await store.create(Resources.pods, pod("z", in: "a"))
        _ = try await store.create(Resources.pods, pod("x", in: "a-b"))
        _ = try await store.create(Resources.pods, pod("y", in: "a"))
        _ = try await store.create(Resources.pods, pod("w", in: "default"))
        let all = await store.list(Resources.pods, namespace: nil)
        let keys = all.items.map {
            "\($0.at("metadata.namespace").string ?? "")/\($0.at("metadata.name").string ?? "")"
        }
        #expect(keys == ["a/y", "a/z", "a-b/x", "default/w"])
        #expect(all.resourceVersion == 7)
        let inA = await store.list(Resources.pods, namespace: "a")
        #expect(inA.items.compactMap { $0.at("metadata.name").string } == ["y", "z"])
        #expect(await store.list(Resources.services, namespace: nil).items.isEmpty)
    }

    @Test("a list after adds, updates and deletes shows exactly the current objects")
    func listTracksChanges() async throws {
        let store = try await memoryStore()
        for name in ["b", "d"] { _ = try await store.create(Resources.pods, pod(name)) }
        func names() async -> [String] {
            await store.list(Resources.pods, namespace: "default").items.compactMap { $0.at("metadata.name").string }
        }
        #expect(await names() == ["b", "d"])
        _ = try await store.create(Resources.pods, pod("c"))
        _ = try await store.create(Resources.pods, pod("a"))
        #expect(await names() == ["a", "b", "c", "d"])
        _ = try await store.delete(Resources.pods, namespace: "default", name: "b")
        _ = try await store.update(Resources.pods, pod("c", image: "busybox"))
        #expect(await names() == ["a", "c", "d"])
        let c = await store.list(Resources.pods, namespace: nil).items[1]
        #expect(c.at("spec.containers")[0]["image"] == "busybox")
    }

    @Test("all() holds every resource, empty ones included")
    func allSnapshot() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.pods, pod("web"))
        let all = await store.all()
        #expect(all.count == Resources.all.count)
        #expect(all[Resources.pods]?.count == 1)
        #expect(all[Resources.namespaces]?.count == 1)
        #expect(all[Resources.services] == [])
    }

    @Test("cluster-scoped objects lose metadata.namespace and are found without one")
    func clusterScoped() async throws {
        let store = try await memoryStore()
        var node: JSONValue = ["metadata": ["name": "n1", "namespace": "default"]]
        node = try await store.create(Resources.nodes, node)
        #expect(node.at("metadata.namespace").isNull)
        #expect(await store.get(Resources.nodes, namespace: nil, name: "n1") != nil)
        #expect(await store.get(Resources.nodes, namespace: "ignored", name: "n1") != nil)
    }

    @Test("generateName gets 5 characters from apiserver's alphabet, and a long base is cut to 58")
    func generateName() async throws {
        let store = try await memoryStore()
        var p = pod("")
        p.remove("metadata.name")
        p.set("metadata.generateName", "web-")
        let created = try await store.create(Resources.pods, p)
        let name = try #require(created.at("metadata.name").string)
        #expect(name.hasPrefix("web-"))
        #expect(name.count == 9)
        #expect(name.dropFirst(4).allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        #expect(await store.get(Resources.pods, namespace: "default", name: name) != nil)

        p.set("metadata.generateName", .string(String(repeating: "a", count: 70)))
        let long = try await store.create(Resources.pods, p)
        #expect(long.at("metadata.name").string?.count == 63)
    }

    @Test("generateName never reuses an existing name")
    func generateNameUnique() async throws {
        let store = try await memoryStore()
        var names = Set<String>()
        for _ in 0..<300 {
            let made = try await store.create(
                Resources.configMaps, ["metadata": ["generateName": "x-", "namespace": "default"]])
            names.insert(made.at("metadata.name").string ?? "")
        }
        #expect(names.count == 300)
    }

    @Test("a create without name or generateName is 422 Invalid")
    func createWithoutName() async throws {
        let store = try await memoryStore()
        let error = await caught(StatusError.self) {
            _ = try await store.create(Resources.configMaps, ["metadata": ["namespace": "default"]])
        }
        #expect(error?.code == 422)
        #expect(
            error?.message
                == "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required")
    }

    @Test("creating an existing name is 409 AlreadyExists and changes nothing")
    func alreadyExists() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.pods, pod("web"))
        let rv = await store.currentResourceVersion
        let error = await caught(StatusError.self) {
            _ = try await store.create(Resources.pods, pod("web", image: "x"))
        }
        #expect(error?.code == 409)
        #expect(error?.reason == "AlreadyExists")
        #expect(error?.message == "pods \"web\" already exists")
        #expect(await store.currentResourceVersion == rv)
        #expect(
            await store.get(Resources.pods, namespace: "default", name: "web")?.at("spec.containers")[0]["image"]
                == "nginx")
    }

    @Test("creating in a missing namespace is 404 namespaces \"x\" not found")
    func missingNamespace() async throws {
        let store = try await memoryStore()
        let error = await caught(StatusError.self) {
            _ = try await store.create(Resources.pods, pod("web", in: "nope"))
        }
        #expect(error?.code == 404)
        #expect(error?.message == "namespaces \"nope\" not found")
    }

    @Test("creating in a terminating namespace is 403 Forbidden")
    func terminatingNamespace() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.namespaces, namespace("demo"))
        _ = try await store.modify(Resources.namespaces, namespace: nil, name: "demo") { ns in
            var ns = ns
            ns.set("metadata.deletionTimestamp", "2024-05-01T09:30:00Z")
            ns.set("status.phase", "Terminating")
            return ns
        }
        let error = await caught(StatusError.self) {
            _ = try await store.create(Resources.pods, pod("web", in: "demo"))
        }
        #expect(error?.code == 403)
        #expect(error?.reason == "Forbidden")
        #expect(
            error?.message
                == "pods \"web\" is forbidden: unable to create new content in namespace demo because it is being terminated"
        )
    }

    @Test("create ignores a client's resourceVersion, generation and deletionTimestamp")
    func createIgnoresSystemFields() async throws {
        let store = try await memoryStore()
        var d = deployment("web")
        d.set("metadata.resourceVersion", "999")
        d.set("metadata.generation", 7)
        d.set("metadata.deletionTimestamp", "2024-05-01T09:30:00Z")
        let created = try await store.create(Resources.deployments, d)
        #expect(created.at("metadata.resourceVersion") == "2")
        #expect(created.at("metadata.generation") == 1)
        #expect(created.at("metadata.deletionTimestamp").isNull)
    }

    @Test("update replaces, keeps uid and creationTimestamp, and takes the next resourceVersion")
    func updateReplaces() async throws {
        let store = try await memoryStore()
        let created = try await store.create(Resources.pods, pod("web"))
        var changed = pod("web", image: "busybox")
        changed.set("metadata.uid", created.at("metadata.uid"))
        let updated = try await store.update(Resources.pods, changed)
        #expect(updated.at("spec.containers")[0]["image"] == "busybox")
        #expect(updated.at("metadata.uid") == created.at("metadata.uid"))
        #expect(updated.at("metadata.creationTimestamp") == created.at("metadata.creationTimestamp"))
        #expect(updated.at("metadata.resourceVersion") == "3")
        #expect(await store.get(Resources.pods, namespace: "default", name: "web") == updated)
    }

    @Test("update with a stale resourceVersion is 409 Conflict")
    func updateConflict() async throws {
        let store = try await memoryStore()
        let v1 = try await store.create(Resources.pods, pod("web"))
        var v2 = v1
        v2.set("metadata.labels", ["a": "b"])
        _ = try await store.update(Resources.pods, v2)
        var stale = v1
        stale.set("metadata.labels", ["a": "c"])
        let error = await caught(StatusError.self) { _ = try await store.update(Resources.pods, stale) }
        #expect(error?.code == 409)
        #expect(error?.reason == "Conflict")
        #expect(
            error?.message
                == "Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your "
                + "changes to the latest version and try again")
        #expect(await store.get(Resources.pods, namespace: "default", name: "web")?.at("metadata.labels.a") == "b")
    }

    @Test("update with a different uid is 409 Conflict")
    func updateUIDConflict() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.pods, pod("web"))
        var other = pod("web")
        other.set("metadata.uid", "00000000-0000-4000-8000-000000000000")
        let error = await caught(StatusError.self) { _ = try await store.update(Resources.pods, other) }
        #expect(error?.code == 409)
        #expect(
            error?.message.contains("Precondition failed: UID in precondition: 00000000-0000-4000-8000-000000000000")
                == true)
    }

    @Test("update of a missing object is 404")
    func updateMissing() async throws {
        let store = try await memoryStore()
        let error = await caught(StatusError.self) { _ = try await store.update(Resources.pods, pod("ghost")) }
        #expect(error?.code == 404)
        #expect(error?.message == "pods \"ghost\" not found")
    }

    @Test("an update that changes nothing keeps the resourceVersion")
    func noOpUpdate() async throws {
        let store = try await memoryStore()
        let created = try await store.create(Resources.deployments, deployment("web"))
        let rv = await store.currentResourceVersion
        let same = try await store.update(Resources.deployments, created)
        #expect(same == created)
        #expect(await store.currentResourceVersion == rv)
        // Without system fields (as a client's replace may send it) it is still no change.
        let again = try await store.update(Resources.deployments, deployment("web"))
        #expect(again.at("metadata.resourceVersion") == created.at("metadata.resourceVersion"))
        #expect(await store.currentResourceVersion == rv)
    }

    @Test("generation moves on spec changes only, for kinds that track it")
    func generation() async throws {
        let store = try await memoryStore()
        let d = try await store.create(Resources.deployments, deployment("web"))
        #expect(d.at("metadata.generation") == 1)
        var labelled = d
        labelled.set("metadata.labels", ["app": "web"])
        labelled.set("status.replicas", 1)
        let d2 = try await store.update(Resources.deployments, labelled)
        #expect(d2.at("metadata.generation") == 1)
        var scaled = d2
        scaled.set("spec.replicas", 3)
        scaled.set("metadata.generation", 42)  // clients cannot set it
        let d3 = try await store.update(Resources.deployments, scaled)
        #expect(d3.at("metadata.generation") == 2)

        let svc = try await store.create(
            Resources.services,
            ["metadata": ["name": "web", "namespace": "default"], "spec": ["ports": [["port": 80]]]])
        #expect(svc.at("metadata.generation").isNull)
        var svc2 = svc
        svc2.set("spec.ports", [["port": 81]])
        #expect(try await store.update(Resources.services, svc2).at("metadata.generation").isNull)
    }

    @Test("modify reads and writes atomically, 404s on a missing object and refuses renames")
    func modify() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.deployments, deployment("web"))
        let out = try await store.modify(Resources.deployments, namespace: "default", name: "web") { d in
            var d = d
            d.set("spec.replicas", .int(Int64(d.at("spec.replicas").int ?? 0) + 4))
            d.remove("metadata.resourceVersion")
            return d
        }
        #expect(out.at("spec.replicas") == 5)
        #expect(out.at("metadata.generation") == 2)
        #expect(out.at("metadata.resourceVersion") == "3")

        let missing = await caught(StatusError.self) {
            _ = try await store.modify(Resources.deployments, namespace: "default", name: "nope") { $0 }
        }
        #expect(missing?.code == 404)

        let renamed = await caught(StatusError.self) {
            _ = try await store.modify(Resources.deployments, namespace: "default", name: "web") { d in
                var d = d
                d.set("metadata.name", "other")
                return d
            }
        }
        #expect(renamed?.code == 400)
        #expect(await store.get(Resources.deployments, namespace: "default", name: "other") == nil)
    }

    @Test("delete returns the object with a fresh resourceVersion and removes it")
    func delete() async throws {
        let store = try await memoryStore()
        let created = try await store.create(Resources.pods, pod("web"))
        let deleted = try await store.delete(Resources.pods, namespace: "default", name: "web")
        #expect(deleted.at("metadata.uid") == created.at("metadata.uid"))
        #expect(deleted.at("metadata.resourceVersion") == "3")
        #expect(await store.currentResourceVersion == 3)
        #expect(await store.get(Resources.pods, namespace: "default", name: "web") == nil)
        let again = await caught(StatusError.self) {
            _ = try await store.delete(Resources.pods, namespace: "default", name: "web")
        }
        #expect(again?.code == 404)
    }

    @Test("delete preconditions on uid and resourceVersion are 409 when they do not match")
    func deletePreconditions() async throws {
        let store = try await memoryStore()
        let created = try await store.create(Resources.pods, pod("web"))
        let uid = try #require(created.at("metadata.uid").string)
        let badUID = await caught(StatusError.self) {
            _ = try await store.delete(Resources.pods, namespace: "default", name: "web", preconditionUID: "other")
        }
        #expect(badUID?.code == 409)
        #expect(
            badUID?.message
                == "Operation cannot be fulfilled on pods \"web\": Precondition failed: UID in precondition: other, "
                + "UID in object meta: \(uid)")
        let badRV = await caught(StatusError.self) {
            _ = try await store.delete(
                Resources.pods, namespace: "default", name: "web", preconditionResourceVersion: "1")
        }
        #expect(badRV?.code == 409)
        #expect(
            badRV?.message.hasSuffix("ResourceVersion in precondition: 1, ResourceVersion in object meta: 2") == true)
        #expect(await store.get(Resources.pods, namespace: "default", name: "web") != nil)
        _ = try await store.delete(
            Resources.pods, namespace: "default", name: "web", preconditionUID: uid, preconditionResourceVersion: "2")
        #expect(await store.get(Resources.pods, namespace: "default", name: "web") == nil)
    }

    @Test("a resource the store was not opened with is refused, since the log could not read it back")
    func unknownResource() async throws {
        let store = try await memoryStore()
        let foos = ResourceInfo(group: "example.com", kind: "Foo", plural: "foos")
        let error = await caught(StatusError.self) {
            _ = try await store.create(foos, ["metadata": ["name": "f", "namespace": "default"]])
        }
        #expect(error?.code == 404)
        #expect(await store.currentResourceVersion == 1)
    }

    @Test("a closed store refuses writes but still answers reads")
    func closed() async throws {
        let store = try await memoryStore()
        _ = try await store.create(Resources.pods, pod("web"))
        await store.close()
        let error = await caught(StoreError.self) { _ = try await store.create(Resources.pods, pod("other")) }
        #expect(error?.kind == .failed)
        #expect(await store.get(Resources.pods, namespace: "default", name: "web") != nil)
    }

    @Test("a thousand pods are listed in order")
    func thousandPods() async throws {
        let store = try await memoryStore()
        for i in 0..<1000 { _ = try await store.create(Resources.pods, pod("p\(1000 + i)")) }
        let list = await store.list(Resources.pods, namespace: "default")
        #expect(list.items.count == 1000)
        #expect(list.items.first?.at("metadata.name") == "p1000")
        #expect(list.items.last?.at("metadata.name") == "p1999")
        #expect(list.resourceVersion == 1001)
    }
}
