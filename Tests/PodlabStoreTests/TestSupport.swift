import Foundation
import PodlabModel
import Testing

@testable import PodlabStore

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "/podlab-store-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The state directory the store uses inside it (not yet existing, so the store creates it).
    var state: String { path + "/state" }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func namespace(_ name: String) -> JSONValue {
    ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
}

func pod(_ name: String, in ns: String = "default", image: String = "nginx") -> JSONValue {
    [
        "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(ns)],
        "spec": ["containers": [["name": "main", "image": .string(image)]]],
    ]
}

func deployment(_ name: String, in ns: String = "default", replicas: Int64 = 1) -> JSONValue {
    [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": .string(ns)],
        "spec": ["replicas": .int(replicas)],
    ]
}

/// An in-memory store with namespace `default`.
func memoryStore(options: ClusterStore.Options = ClusterStore.Options()) async throws -> ClusterStore {
    let store = try ClusterStore(directory: nil, options: options)
    _ = try await store.create(Resources.namespaces, namespace("default"))
    return store
}

/// The next `count` events of `stream`; fewer if it ends first. Events the store yielded before this call are
/// already buffered, so this does not wait on anything but the store's own synchronous yields.
func take(_ count: Int, from stream: AsyncStream<WatchEvent>) async -> [WatchEvent] {
    var out: [WatchEvent] = []
    var iterator = stream.makeAsyncIterator()
    while out.count < count, let event = await iterator.next() { out.append(event) }
    return out
}

/// All events until the stream ends.
func drain(_ stream: AsyncStream<WatchEvent>) async -> [WatchEvent] {
    var out: [WatchEvent] = []
    for await event in stream { out.append(event) }
    return out
}

/// The caught error as `T`, or a recorded failure.
func caught<T: Error>(_ type: T.Type, _ body: () async throws -> Void) async -> T? {
    do {
        try await body()
        Issue.record("expected a \(T.self), nothing was thrown")
    } catch let error as T {
        return error
    } catch {
        Issue.record("expected a \(T.self), got \(error)")
    }
    return nil
}

/// Reads a whole file.
func bytes(_ path: String) throws -> [UInt8] {
    Array(try #require(FileManager.default.contents(atPath: path)))
}

/// Writes a whole file.
func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The offsets of the records in a log or snapshot file, read from their length fields.
func recordOffsets(_ path: String) throws -> [Int] {
    let data = try bytes(path)
    var offsets: [Int] = []
    var at = 8
    while at + 12 <= data.count {
        let length = Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24
        offsets.append(at)
        at += 12 + length
    }
    return offsets
}

/// Opens a store on a directory another store has just closed. Tests run in parallel in one process, and a
/// sibling test spawning a process (kubectl, podlab) forks a child that holds a copy of every descriptor, the
/// lock's included, until its exec closes them (O_CLOEXEC): flock belongs to the open file description, so
/// for that moment the lock still looks held (on a loaded machine the child may wait seconds for its exec).
/// Retries on `.inUse` only, for at most ten seconds.
func reopenStore(
    _ directory: String, durability: ClusterStore.Durability = .fsync, options: ClusterStore.Options = .init()
) async throws -> ClusterStore {
    try await whileInUse { try ClusterStore(directory: directory, durability: durability, options: options) }
}

/// Runs `body` again while it fails with `.inUse` (see `reopenStore`), for at most ten seconds.
func whileInUse<T>(_ body: () throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + .seconds(10)
    while true {
        do {
            return try body()
        } catch let e as StoreError where e.kind == .inUse && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
