// Store durability benchmark: what fdatasync on every write costs, as a ratio against the same store without it.
//
// Usage: PodlabBench [creates-per-store] [block-size] [parent-dir]
// Both stores are open at once, in fresh directories under parent-dir (default /var/tmp, a real disk: /tmp may
// be tmpfs, where a sync costs nothing). Creates alternate between them in blocks, and which store goes first
// flips every pair of blocks (ABBA), so page-cache warmth, disk write-back and other helpers' load fall on both
// alike. Only the `create` calls are timed.
//
// `PodlabBench responder <image> [--port N] [--log FILE]` instead serves a built-in responder on 127.0.0.1 until
// killed, for scripts/bench/responder.sh (see ResponderBench.swift).

import Foundation
import PodlabModel
import PodlabStore

/// One store under test, with the per-create latencies measured so far.
struct Subject {
    let label: String
    let store: ClusterStore
    let directory: String
    var latencies: [Duration] = []
    var created = 0
}

/// The ConfigMap a kubectl user would create with `kubectl create configmap cm-N --from-literal=...`.
func configMap(_ index: Int) -> JSONValue {
    [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": .string("cm-\(index)"), "namespace": "bench", "labels": ["app": "bench"]],
        "data": ["greeting": "hello from podlab", "index": .string(String(index))],
    ]
}

/// Creates `count` ConfigMaps in `subject`'s store, timing each call.
func runBlock(_ subject: inout Subject, count: Int) async throws {
    let clock = ContinuousClock()
    for _ in 0..<count {
        let object = configMap(subject.created)
        let start = clock.now
        _ = try await subject.store.create(Resources.configMaps, object)
        subject.latencies.append(clock.now - start)
        subject.created += 1
    }
}

/// The q-quantile (0...1) of sorted durations, in microseconds, by nearest rank.
func quantileMicros(_ sorted: [Duration], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
    return micros(sorted[rank])
}

/// A duration in microseconds.
func micros(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

/// Opens a store in a new directory under `parent` and creates the `bench` Namespace (not timed).
func openSubject(_ label: String, _ durability: ClusterStore.Durability, parent: String) async throws -> Subject {
    let directory = parent + "/podlab-bench-store-\(label)-\(getpid())"
    try? FileManager.default.removeItem(atPath: directory)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let store = try ClusterStore(directory: directory, durability: durability)
    _ = try await store.create(
        Resources.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "bench"]])
    return Subject(label: label, store: store, directory: directory)
}

/// Parses a positive integer argument, or exits with a message naming it.
func positiveArgument(_ index: Int, name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    guard args.count > index else { return value }
    guard let n = Int(args[index]), n > 0 else {
        FileHandle.standardError.write(Data("error: \(name) must be a positive integer, got \"\(args[index])\"\n".utf8))
        exit(2)
    }
    return n
}

if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "dns" {
    DNSBench.main(Array(CommandLine.arguments.dropFirst(2)))
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "rules" {
    RulesBench.main(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "netpol" {
    NetpolBench.main(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "responder" {
    await ResponderBench.main(Array(CommandLine.arguments.dropFirst(2)))
}

let total = positiveArgument(1, name: "creates-per-store", default: 2_000)
let block = min(positiveArgument(2, name: "block-size", default: 100), total)
let parent = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : "/var/tmp"

do {
    var fsync = try await openSubject("fsync", .fsync, parent: parent)
    var none = try await openSubject("none", .none, parent: parent)
    var pair = 0
    while fsync.created < total {
        let n = min(block, total - fsync.created)
        if pair % 2 == 0 {
            try await runBlock(&fsync, count: n)
            try await runBlock(&none, count: n)
        } else {
            try await runBlock(&none, count: n)
            try await runBlock(&fsync, count: n)
        }
        pair += 1
    }
    await fsync.store.close()
    await none.store.close()

    print("store bench: \(total) ConfigMap creates per store, blocks of \(block) alternating (ABBA), dir \(parent)")
    print("store      creates/s     p50 us     p90 us     p99 us")
    var rates: [String: Double] = [:]
    var p50s: [String: Double] = [:]
    for s in [fsync, none] {
        let sorted = s.latencies.sorted()
        let seconds = micros(s.latencies.reduce(Duration.zero, +)) / 1e6
        let rate = Double(s.created) / seconds
        rates[s.label] = rate
        p50s[s.label] = quantileMicros(sorted, 0.5)
        print(
            s.label.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: "%11.0f %10.1f %10.1f %10.1f", rate, quantileMicros(sorted, 0.5),
                    quantileMicros(sorted, 0.9), quantileMicros(sorted, 0.99)))
        try? FileManager.default.removeItem(atPath: s.directory)
    }
    if let f = rates["fsync"], let n = rates["none"], let fp = p50s["fsync"], let np = p50s["none"] {
        print(String(format: "ratio fsync/none: throughput %.3f, p50 latency %.1fx", f / n, fp / np))
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
