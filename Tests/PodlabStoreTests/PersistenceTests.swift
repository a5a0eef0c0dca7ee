import Foundation
import PodlabModel
import Testing

@testable import PodlabStore

@Suite("ClusterStore persistence")
struct PersistenceTests {
    /// Writes a small history into `dir` (creates, an update, a delete) and returns the state it left.
    func populate(_ store: ClusterStore) async throws -> [ResourceInfo: [JSONValue]] {
        _ = try await store.create(Resources.namespaces, namespace("default"))
        _ = try await store.create(Resources.namespaces, namespace("demo"))
        for i in 0..<5 { _ = try await store.create(Resources.pods, pod("p\(i)", in: i % 2 == 0 ? "default" : "demo")) }
        _ = try await store.create(Resources.deployments, deployment("web", in: "demo"))
        _ = try await store.modify(Resources.deployments, namespace: "demo", name: "web") { d in
            var d = d
            d.set("spec.replicas", 3)
            return d
        }
        _ = try await store.delete(Resources.pods, namespace: "default", name: "p2")
        return await store.all()
    }

    @Test("objects and the resourceVersion survive a close and reopen")
    func roundTrip() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        let before = try await populate(store)
        let rv = await store.currentResourceVersion
        await store.close()

        let reopened = try await reopenStore(dir.state)
        #expect(await reopened.all() == before)
        #expect(await reopened.currentResourceVersion == rv)
        #expect(await reopened.get(Resources.pods, namespace: "default", name: "p2") == nil)
        #expect(
            await reopened.get(Resources.deployments, namespace: "demo", name: "web")?.at("metadata.generation") == 2)
        // New writes continue the same resourceVersion sequence.
        let next = try await reopened.create(Resources.pods, pod("new"))
        #expect(next.at("metadata.resourceVersion").string == String(rv + 1))
    }

    @Test("without fsync (the benchmark peer) the same state still round-trips")
    func noSyncRoundTrip() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state, durability: .none)
        let before = try await populate(store)
        try await store.compact()
        _ = try await store.create(Resources.pods, pod("after"))
        await store.close()
        let reopened = try await reopenStore(dir.state, durability: .none)
        #expect(await reopened.all()[Resources.pods]?.count == (before[Resources.pods]?.count ?? 0) + 1)
    }

    @Test("the state directory is 0700 and its files 0600")
    func modes() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        _ = try await store.create(Resources.namespaces, namespace("default"))
        try await store.compact()
        func mode(_ path: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(dir.state) == 0o700)
        #expect(try mode(dir.state + "/wal.log") == 0o600)
        #expect(try mode(dir.state + "/snapshot.dat") == 0o600)
        #expect(try mode(dir.state + "/lock") == 0o600)
        #expect(await store.recoveryNotes.contains { $0.contains("new state directory") })
    }

    @Test("a crash after acknowledged writes loses none of them")
    func crashImage() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        let before = try await populate(store)
        let rv = await store.currentResourceVersion
        // The process "dies": copy the files as they are on disk right now, with the store still open and never
        // closed, and start a new store on the copy.
        let image = dir.path + "/crash"
        try FileManager.default.createDirectory(atPath: image, withIntermediateDirectories: false)
        for file in ["wal.log"] {
            try FileManager.default.copyItem(atPath: dir.state + "/" + file, toPath: image + "/" + file)
        }
        let recovered = try ClusterStore(directory: image)
        #expect(await recovered.all() == before)
        #expect(await recovered.currentResourceVersion == rv)
        _ = store
    }

    @Test("a store dropped without close() can be reopened with everything in it")
    func reopenWithoutClose() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var before: [ResourceInfo: [JSONValue]] = [:]
        do {
            let store = try ClusterStore(directory: dir.state)
            before = try await populate(store)
        }
        let reopened = try await reopenStore(dir.state)
        #expect(await reopened.all() == before)
    }

    @Test("a second store on the same directory is refused while the first is open")
    func locked() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        let error = await caught(StoreError.self) { _ = try ClusterStore(directory: dir.state) }
        #expect(error?.kind == .inUse)
        #expect(error?.description.contains(dir.state) == true)
        await store.close()
        _ = try await reopenStore(dir.state)
    }

    @Test("compaction writes a snapshot, empties the log, and a reopen finds the same state")
    func compaction() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var options = ClusterStore.Options()
        options.compactAfterBytes = 2_000
        let store = try ClusterStore(directory: dir.state, options: options)
        let before = try await populate(store)
        let rv = await store.currentResourceVersion
        #expect(FileManager.default.fileExists(atPath: dir.state + "/snapshot.dat"))
        let walSize = try bytes(dir.state + "/wal.log").count
        #expect(walSize < 2_000 + 1_000)  // compacted at least once: otherwise it would hold every record
        #expect(await store.compactionError == nil)
        await store.close()

        let reopened = try await reopenStore(dir.state, options: options)
        #expect(await reopened.all() == before)
        #expect(await reopened.currentResourceVersion == rv)
    }

    @Test("an explicit compaction followed by more writes replays the snapshot and then the log")
    func snapshotPlusLog() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        _ = try await populate(store)
        try await store.compact()
        #expect(try bytes(dir.state + "/wal.log").count == 8)  // just the header
        _ = try await store.create(Resources.pods, pod("after"))
        _ = try await store.delete(Resources.pods, namespace: "default", name: "p0")
        let before = await store.all()
        let rv = await store.currentResourceVersion
        await store.close()
        let reopened = try await reopenStore(dir.state)
        #expect(await reopened.all() == before)
        #expect(await reopened.currentResourceVersion == rv)
    }

    @Test("a crash between writing the snapshot and emptying the log replays nothing twice")
    func crashDuringCompaction() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        let before = try await populate(store)
        let oldLog = try bytes(dir.state + "/wal.log")
        try await store.compact()
        await store.close()
        // Put the full log back next to the new snapshot: what a crash before the truncation leaves.
        try write(oldLog, to: dir.state + "/wal.log")
        let reopened = try await reopenStore(dir.state)
        #expect(await reopened.all() == before)
    }

    // MARK: - Damage

    /// A directory holding `populate`'s history, closed.
    func damagedFixture() async throws -> (TempDir, [Int]) {
        let dir = try TempDir()
        let store = try ClusterStore(directory: dir.state)
        _ = try await populate(store)
        await store.close()
        return (dir, try recordOffsets(dir.state + "/wal.log"))
    }

    @Test("a flipped byte in a log record is an error naming the file and the record's offset")
    func flippedByte() async throws {
        let (dir, offsets) = try await damagedFixture()
        defer { dir.cleanup() }
        let path = dir.state + "/wal.log"
        var data = try bytes(path)
        data[offsets[3] + 40] ^= 0x20
        try write(data, to: path)
        let error = await caught(StoreError.self) { _ = try await reopenStore(dir.state) }
        #expect(error?.kind == .corruptRecord)
        #expect(error?.offset == offsets[3])
        #expect(error?.description.hasPrefix("\(path): record at offset \(offsets[3]): checksum mismatch") == true)
    }

    @Test("a damaged length field is an error, not a torn tail")
    func badLength() async throws {
        let (dir, offsets) = try await damagedFixture()
        defer { dir.cleanup() }
        let path = dir.state + "/wal.log"
        var data = try bytes(path)
        data[offsets[1] + 1] ^= 0x7F  // the length now points past the end of the file
        try write(data, to: path)
        let error = await caught(StoreError.self) { _ = try await reopenStore(dir.state) }
        #expect(error?.offset == offsets[1])
        #expect(error?.problem.hasPrefix("bad length") == true)
    }

    @Test("records with bad JSON, an unknown resource or an out-of-order resourceVersion are errors")
    func badPayloads() async throws {
        let cases: [(payload: [UInt8], problem: String)] = [
            (Array("{\"op\":\"put\",".utf8), "bad JSON"),
            (
                LogRecord.put(
                    ResourceInfo(group: "example.com", kind: "Foo", plural: "foos"),
                    ["metadata": ["name": "f", "namespace": "default"]], rv: 99
                ).payload(), "unknown resource \"example.com/v1/foos\""
            ),
            (LogRecord.put(Resources.pods, pod("late"), rv: 2).payload(), "resourceVersion 2 does not follow"),
        ]
        for c in cases {
            let (dir, _) = try await damagedFixture()
            defer { dir.cleanup() }
            let path = dir.state + "/wal.log"
            let goodLength = try bytes(path).count
            var data = try bytes(path)
            data += RecordFormat.frame(c.payload)
            try write(data, to: path)
            let error = await caught(StoreError.self) { _ = try await reopenStore(dir.state) }
            #expect(error?.kind == .corruptRecord)
            #expect(error?.offset == goodLength)
            #expect(error?.description.contains("\(path): record at offset \(goodLength): \(c.problem)") == true)
        }
    }

    @Test("a torn final record is dropped on open and reported; nothing acknowledged is lost")
    func tornTail() async throws {
        for cut in [5, 20] {  // inside the payload; inside the 12-byte header
            let (dir, offsets) = try await damagedFixture()
            defer { dir.cleanup() }
            let path = dir.state + "/wal.log"
            let data = try bytes(path)
            let last = try #require(offsets.last)
            // A torn append: the last record is only partly on disk.
            let keep = cut == 5 ? data.count - cut : last + 6
            try write(Array(data[0..<keep]), to: path)
            let store = try await reopenStore(dir.state)
            let notes = await store.recoveryNotes
            #expect(notes.contains { $0.contains("torn final record at offset \(last)") })
            // The torn record was the delete of p2: it never happened.
            #expect(await store.get(Resources.pods, namespace: "default", name: "p2") != nil)
            #expect(try bytes(path).count == last)
            // The log goes on cleanly from the cut.
            _ = try await store.create(Resources.pods, pod("later"))
            await store.close()
            let reopened = try await reopenStore(dir.state)
            #expect(await reopened.recoveryNotes.isEmpty)
            #expect(await reopened.get(Resources.pods, namespace: "default", name: "later") != nil)
        }
    }

    @Test("a tail of zero bytes is a torn record too")
    func zeroTail() async throws {
        let (dir, _) = try await damagedFixture()
        defer { dir.cleanup() }
        let path = dir.state + "/wal.log"
        let data = try bytes(path)
        try write(data + [UInt8](repeating: 0, count: 300), to: path)
        let store = try ClusterStore(directory: dir.state)
        #expect(await store.recoveryNotes.contains { $0.contains("zero bytes") })
        #expect(try bytes(path).count == data.count)
    }

    @Test("a truncated snapshot is an error, never an empty cluster")
    func truncatedSnapshot() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        _ = try await populate(store)
        try await store.compact()
        await store.close()
        let path = dir.state + "/snapshot.dat"
        let data = try bytes(path)
        try write(Array(data[0..<(data.count - 10)]), to: path)
        let error = await caught(StoreError.self) { _ = try await reopenStore(dir.state) }
        #expect(error?.kind == .corruptRecord)
        #expect(error?.description.hasPrefix("\(path): record at offset") == true)
        #expect(error?.problem.contains("truncated") == true)
    }

    @Test("a missing log next to a snapshot is an error")
    func missingLog() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ClusterStore(directory: dir.state)
        _ = try await populate(store)
        try await store.compact()
        await store.close()
        try FileManager.default.removeItem(atPath: dir.state + "/wal.log")
        let error = await caught(StoreError.self) { _ = try await reopenStore(dir.state) }
        #expect(error?.kind == .badFile)
        #expect(error?.path == dir.state + "/wal.log")
    }

    @Test("a file that is not a log is refused")
    func badMagic() async throws {
        let (dir, _) = try await damagedFixture()
        defer { dir.cleanup() }
        try write(Array("{\"hello\":1}\n".utf8), to: dir.state + "/wal.log")
        let error = await caught(StoreError.self) { _ = try await reopenStore(dir.state) }
        #expect(error?.kind == .badFile)
        #expect(error?.problem.contains("not a podlab write-ahead log") == true)
    }

    @Test("repair cuts the log at the damaged record, keeps a copy, and the store opens with what came before")
    func repair() async throws {
        let (dir, offsets) = try await damagedFixture()
        defer { dir.cleanup() }
        let path = dir.state + "/wal.log"
        var data = try bytes(path)
        data[offsets[4] + 30] ^= 0x01
        try write(data, to: path)

        let report = try await whileInUse { try ClusterStore.repair(directory: dir.state) }
        #expect(report.cutAt == offsets[4])
        #expect(report.droppedBytes == data.count - offsets[4])
        let backup = try #require(report.backup)
        #expect(try bytes(backup) == data)
        #expect(report.description.contains("checksum mismatch"))

        let store = try await reopenStore(dir.state)
        #expect(await store.currentResourceVersion == 4)  // the records at rv 1...4 survive
        #expect(await store.list(Resources.pods, namespace: nil).items.count == 2)
        await store.close()
        #expect(try await whileInUse { try ClusterStore.repair(directory: dir.state) }.cutAt == nil)
    }
}
