import Foundation
import PodlabModel

/// What pods/log, pods/exec and pods/attach need to reach the containers the node agents run. Passed to
/// `KubeAPI`; without it those subresources answer 503, as before any node agent existed.
public struct PodStreamsConfig: Sendable {
    /// The directory holding `<podUID>/<containerName>/` run dirs (launch.json, container.log, shim.pid, ...).
    public var podsDir: String
    /// The podlab binary that exec re-executes as `internal nsexec`.
    public var podlabExecutable: String
    /// Starts that helper with pipes or a pseudo-terminal. PodlabCLI's `NSExecSpawner` is the real one.
    public var spawner: any StreamProcessSpawner

    public init(podsDir: String, podlabExecutable: String, spawner: any StreamProcessSpawner) {
        self.podsDir = podsDir
        self.podlabExecutable = podlabExecutable
        self.spawner = spawner
    }

    /// The run dir of one container.
    public func runDir(podUID: String, container: String) -> String {
        "\(podsDir)/\(podUID)/\(container)"
    }
}

/// Starts a process for an exec session. Kept behind a protocol so PodlabAPI itself spawns nothing but what
/// the daemon plugged in (and needs no pty wrappers).
public protocol StreamProcessSpawner: Sendable {
    /// Starts `argv` (argv[0] an absolute path) in a new session. With `tty`, fds 0-2 of the child are the slave
    /// of a new pseudo-terminal; otherwise three pipes. Throws when the process cannot be started.
    func spawn(_ argv: [String], tty: Bool) throws -> StreamProcess
}

/// A started process and the parent's ends of its stdio. The receiver owns the descriptors and closes them.
public struct StreamProcess: Sendable {
    public var pid: Int32
    /// Written to reach the process's stdin (the pty master with a tty).
    public var stdin: Int32
    /// Read for its stdout (the pty master again with a tty: the terminal merges stdout and stderr).
    public var stdout: Int32
    /// Read for its stderr; nil with a tty.
    public var stderr: Int32?
    /// Sets the terminal size (columns, rows); does nothing without a tty.
    public var resize: @Sendable (_ width: UInt16, _ height: UInt16) -> Void

    public init(
        pid: Int32, stdin: Int32, stdout: Int32, stderr: Int32?,
        resize: @escaping @Sendable (_ width: UInt16, _ height: UInt16) -> Void
    ) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.resize = resize
    }
}

/// Picks the container a pods/log, exec or attach request means, with kube-apiserver's error messages.
public enum ContainerResolution {
    /// The annotation kubectl and podlab honour for the default container of a multi-container pod.
    public static let defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

    /// The container `requested` names, or the default: the annotated one, else the only one.
    /// Throws 400 `container X is not valid for pod Y` or `a container name must be specified ...`.
    public static func resolve(pod: JSONValue, requested: String?) throws(StatusError) -> String {
        let podName = pod.at("metadata.name").string ?? ""
        let names = (pod.at("spec.containers").array ?? []).compactMap { $0["name"].string }
        let initNames = (pod.at("spec.initContainers").array ?? []).compactMap { $0["name"].string }
        if let requested, !requested.isEmpty {
            guard names.contains(requested) || initNames.contains(requested) else {
                throw StatusError.badRequest("container \(requested) is not valid for pod \(podName)")
            }
            return requested
        }
        if let annotated = pod.at("metadata.annotations")[defaultContainerAnnotation].string,
            names.contains(annotated)
        {
            return annotated
        }
        if names.count == 1 { return names[0] }
        var message = "a container name must be specified for pod \(podName), choose one of: [\(names.joined(separator: " "))]"
        if !initNames.isEmpty { message += " or one of the init containers: [\(initNames.joined(separator: " "))]" }
        throw StatusError.badRequest(message)
    }

    /// The error for a container with no live process: its waiting reason from the pod's status (kubelet's
    /// `container "c" in pod "p" is waiting to start: ContainerCreating`), or that it is not running.
    public static func notRunning(pod: JSONValue, container: String) -> StatusError {
        let podName = pod.at("metadata.name").string ?? ""
        let statuses = (pod.at("status.containerStatuses").array ?? []) + (pod.at("status.initContainerStatuses").array ?? [])
        let status = statuses.first { $0["name"].string == container }
        if let status, let terminated = status.at("state.terminated").object {
            let reason = terminated["reason"]?.string ?? "Completed"
            let code = terminated["exitCode"]?.int ?? 0
            return StatusError.badRequest(
                "container \"\(container)\" in pod \"\(podName)\" is not running: terminated (\(reason), exit code \(code))")
        }
        let reason = status?.at("state.waiting.reason").string ?? "ContainerCreating"
        return StatusError.badRequest("container \"\(container)\" in pod \"\(podName)\" is waiting to start: \(reason)")
    }
}

/// What is known about one container's shim from its run dir.
struct ShimState: Sendable {
    var runDir: String
    /// The shim's PID while it runs; nil when it never started or has exited.
    var livePID: Int32?

    init(runDir: String) {
        self.runDir = runDir
        livePID = ShimState.livePID(runDir: runDir)
    }

    var isAlive: Bool { livePID != nil }

    /// The PID in shim.pid if that process is still this container's shim. exit.json means the main process
    /// ended even if the shim has not quit yet; /proc/<pid>/cmdline must name the run dir, so a reused PID is
    /// not mistaken for the shim.
    static func livePID(runDir: String) -> Int32? {
        if FileManager.default.fileExists(atPath: "\(runDir)/\(ContainerExit.fileName)") { return nil }
        guard let text = try? String(contentsOfFile: "\(runDir)/shim.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return nil }
        let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        func trimmed(_ path: String) -> Substring {
            var p = Substring(path)
            while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
            return p
        }
        return args.contains("container") && args.contains(where: { trimmed($0) == trimmed(runDir) }) ? pid : nil
    }
}
