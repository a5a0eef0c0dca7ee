import Foundation
import Logging
import PodlabCLI
import PodlabModel
import PodlabStore
import Testing

@testable import PodlabAPI

/// The container shim and the exec helper for real (root, `ip`, and a built podlab binary), without the node
/// agent: the test makes a throwaway netns and run dir itself, and removes both even on failure.
@Suite(.enabled(if: StreamsEnv.canRun), .serialized)
struct StreamsPrivilegedTests {
    @Test("the shim enters the pod sandbox and nsexec runs commands in it with their exit codes")
    func shimAndNSExec() throws {
        try StreamsEnv.withShim(tag: "shim") { runDir, launch in
            #expect(try StreamsEnv.run(StreamsEnv.podlab, ["internal", "nsexec", runDir, "--", "hostname"]).output
                == launch.hostname + "\n")
            #expect(try StreamsEnv.run(StreamsEnv.podlab, ["internal", "nsexec", runDir, "--", "cat", "/etc/resolv.conf"])
                .output == StreamsEnv.resolvConf)
            #expect(try StreamsEnv.run(StreamsEnv.podlab, ["internal", "nsexec", runDir, "--", "sh", "-c", "exit 3"]).status == 3)
            let missing = try StreamsEnv.run(StreamsEnv.podlab, ["internal", "nsexec", runDir, "--", "no-such-tool"])
            #expect(missing.status == 127)
            #expect(missing.output.contains("exec: \"no-such-tool\": executable file not found in $PATH"))
            let log = try String(contentsOfFile: "\(runDir)/container.log", encoding: .utf8)
            #expect(log.contains(" stdout F started"))
        }
    }

    @Test("kubectl exec and logs go through the WebSocket and log paths to the shim")
    func kubectlExec() async throws {
        let kubectl = try #require(StreamsEnv.kubectl)
        let store = try ClusterStore(directory: nil)
        _ = try await store.create(Resources.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]])
        let pod = try await store.create(
            Resources.pods,
            [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "shell", "namespace": "default"],
                "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ])
        let uid = try #require(pod.at("metadata.uid").string)
        let podsDir = try StreamsEnv.tempDir("pods")
        defer { try? FileManager.default.removeItem(atPath: podsDir) }
        let runDir = "\(podsDir)/\(uid)/c"
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        try await StreamsEnv.withShimAsync(tag: "kube", runDir: runDir) { _ in
            let pkiDir = try StreamsEnv.tempDir("pki")
            defer { try? FileManager.default.removeItem(atPath: pkiDir) }
            let pki = try ClusterPKI.loadOrCreate(directory: pkiDir, serverIPs: ["127.0.0.1"])
            let api = KubeAPI(
                store: store, network: ServiceNetworkConfig(),
                streams: PodStreamsConfig(podsDir: podsDir, podlabExecutable: StreamsEnv.podlab, spawner: NSExecSpawner()))
            let server = APIServer(
                host: "127.0.0.1", port: 0, tls: try pki.serverTLSConfiguration(), handler: api,
                logger: Logger(label: "test"))
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run(onBound: { portSink.yield($0) }) }
                var it = ports.makeAsyncIterator()
                let port = try #require(await it.next())
                let kubeconfig = """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: t, cluster: {server: "https://127.0.0.1:\(port)", certificate-authority: "\(pkiDir)/ca.crt"}}]
                    users: [{name: t, user: {client-certificate: "\(pkiDir)/admin.crt", client-key: "\(pkiDir)/admin.key"}}]
                    contexts: [{name: t, context: {cluster: t, user: t}}]
                    current-context: t
                    """
                try kubeconfig.write(toFile: "\(pkiDir)/kubeconfig", atomically: true, encoding: .utf8)
                let base = ["--kubeconfig", "\(pkiDir)/kubeconfig", "--cache-dir", "\(pkiDir)/cache"]
                let home = ["HOME": pkiDir]
                let hostname = try await StreamsEnv.runOffPool(kubectl, base + ["exec", "shell", "--", "hostname"], env: home)
                #expect(hostname.output == "shell\n")
                let failing = try await StreamsEnv.runOffPool(
                    kubectl, base + ["exec", "shell", "--", "sh", "-c", "echo out; exit 3"], env: home)
                #expect(failing.status == 3)
                #expect(failing.output.contains("out\n"))
                let piped = try await StreamsEnv.runOffPool(
                    kubectl, base + ["exec", "-i", "shell", "--", "cat"], env: home, input: "through stdin\n")
                #expect(piped.output == "through stdin\n" && piped.status == 0)
                let logs = try await StreamsEnv.runOffPool(kubectl, base + ["logs", "shell"], env: home)
                #expect(logs.output == "started\n")
                let wrong = try await StreamsEnv.runOffPool(kubectl, base + ["exec", "shell", "-c", "nope", "--", "true"], env: home)
                #expect(wrong.status != 0 && wrong.output.contains("container nope is not valid for pod shell"))
                var spdyEnv = home
                spdyEnv["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "false"
                let spdy = try await StreamsEnv.runOffPool(kubectl, base + ["exec", "shell", "--", "true"], env: spdyEnv)
                #expect(spdy.status != 0 && spdy.output.contains("over WebSocket (v5.channel.k8s.io) only"))
                group.cancelAll()
            }
        }
    }
}

enum StreamsEnv {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let podlab = "\(root)/.build/debug/podlab"
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let resolvConf = "nameserver 10.96.0.10\nsearch default.svc.cluster.local\n"

    static var canRun: Bool { getuid() == 0 && ip != nil && FileManager.default.isExecutableFile(atPath: podlab) }

    static func tempDir(_ tag: String) throws -> String {
        let dir = NSTemporaryDirectory() + "podlab-streams-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `run` on a thread of its own: an async test that blocks a cooperative thread while waiting for kubectl can
    /// starve the in-process API server kubectl is talking to (two such threads on a two-core machine).
    static func runOffPool(_ tool: String, _ arguments: [String], env: [String: String] = [:], input: String? = nil)
        async throws -> (status: Int32, output: String)
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(tool, arguments, env: env, input: input) })
            }
        }
    }

    static func run(_ tool: String, _ arguments: [String], env: [String: String] = [:], input: String? = nil) throws
        -> (status: Int32, output: String)
    {
        let process = Process()
        // Bounded: a hung client fails the test instead of hanging it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["60", tool] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Makes netns `pltest-<pid>-<tag>`, a launch.json for a busybox-like shell container running
    /// `echo started; sleep 1000`, starts the shim and waits for shim.pid; kills the shim and deletes the
    /// netns afterwards.
    static func prepare(tag: String, runDir: String) throws -> (launch: ContainerLaunch, cleanup: () -> Void) {
        let netns = "pltest-\(getpid())-\(tag)"
        _ = try run(try #require(ip), ["netns", "add", netns])
        let files = try tempDir("files-\(tag)")
        try resolvConf.write(toFile: "\(files)/resolv.conf", atomically: true, encoding: .utf8)
        try "127.0.0.1 localhost\n".write(toFile: "\(files)/hosts", atomically: true, encoding: .utf8)
        let launch = ContainerLaunch(
            podNamespace: "default", podName: "shell", podUID: "u", containerName: "c", image: "busybox",
            builtin: .shell, netnsPath: "/run/netns/\(netns)", hostname: "shell",
            resolvConfPath: "\(files)/resolv.conf", hostsPath: "\(files)/hosts",
            command: ["sh", "-c", "echo started; exec sleep 1000"], env: [.init(name: "PATH", value: "/usr/bin:/bin")],
            podIP: "10.244.0.9", runDir: runDir)
        try JSONEncoder().encode(launch).write(to: URL(fileURLWithPath: "\(runDir)/launch.json"))
        // posix_spawn rather than Foundation's Process: the test reaps the shim itself after killing it, and
        // Process.waitUntilExit can hang on a child killed from outside.
        var pid: pid_t = 0
        let words: [String] = [podlab, "internal", "container", runDir]
        let cargs: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        let rc = posix_spawn(&pid, podlab, nil, nil, cargs, environ)
        guard rc == 0 else { throw CLIError("cannot start the shim: \(String(cString: strerror(rc)))") }
        let cleanup = {
            // SIGTERM: the shim forwards it to the command's process group and writes exit.json.
            kill(pid, SIGTERM)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            _ = try? run(ip ?? "/usr/sbin/ip", ["netns", "delete", netns])
            try? FileManager.default.removeItem(atPath: files)
        }
        // Bounded wait for the shim to start and its command to log its first line.
        for _ in 0..<100 {
            if let log = try? String(contentsOfFile: "\(runDir)/container.log", encoding: .utf8), log.contains("started"),
                FileManager.default.fileExists(atPath: "\(runDir)/shim.pid")
            {
                return (launch, cleanup)
            }
            usleep(50_000)
        }
        cleanup()
        throw CLIError("the shim did not start in \(runDir)")
    }

    static func withShim(tag: String, _ body: (String, ContainerLaunch) throws -> Void) throws {
        let runDir = try tempDir(tag)
        defer { try? FileManager.default.removeItem(atPath: runDir) }
        let (launch, cleanup) = try prepare(tag: tag, runDir: runDir)
        defer { cleanup() }
        try body(runDir, launch)
    }

    static func withShimAsync(tag: String, runDir: String, _ body: (ContainerLaunch) async throws -> Void) async throws {
        let (launch, cleanup) = try prepare(tag: tag, runDir: runDir)
        defer { cleanup() }
        try await body(launch)
    }
}
