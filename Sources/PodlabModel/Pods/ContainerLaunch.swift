/// Everything the container shim needs to start one container of a pod, written by the node agent as
/// `<runDir>/launch.json` before it spawns `podlab internal container <runDir>`. The shim (a re-exec'd
/// podlab, single-threaded when it enters the namespaces) joins `netnsPath`, makes its own UTS and mount
/// namespaces, sets the hostname, binds `resolvConfPath` over /etc/resolv.conf and `hostsPath` over
/// /etc/hosts, then runs the built-in responder or the command.
///
/// Files in `runDir`, all written by the shim: `container.log` (CRI log format, one line per write:
/// `<RFC3339Nano> stdout|stderr F <text>`), `shim.pid`, `attach.sock` (stdin/stdout relay when `stdin` or
/// `tty` is set), `exit.json` (`ContainerExit`, written when the main process ends).
public struct ContainerLaunch: Codable, Sendable, Hashable {
    public var podNamespace: String
    public var podName: String
    public var podUID: String
    public var containerName: String
    public var image: String
    public var builtin: BuiltinImage
    /// The pinned network namespace, `/run/netns/<name>`.
    public var netnsPath: String
    public var hostname: String
    public var resolvConfPath: String
    public var hostsPath: String
    /// The container's `command` (replaces the image's entrypoint) and `args`, as in the manifest.
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    /// The container's environment in order: PATH and HOSTNAME first, then service variables, then the
    /// manifest's env with valueFrom resolved (later names win, as kubelet does).
    public var env: [EnvPair]
    public var ports: [Port]
    public var podIP: String
    public var stdin: Bool
    public var stdinOnce: Bool
    public var tty: Bool
    public var runDir: String

    public struct EnvPair: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var containerPort: Int
        public var `protocol`: String
        public init(name: String? = nil, containerPort: Int, protocol: String = "TCP") {
            self.name = name
            self.containerPort = containerPort
            self.protocol = `protocol`
        }
    }

    public init(
        podNamespace: String, podName: String, podUID: String, containerName: String, image: String,
        builtin: BuiltinImage, netnsPath: String, hostname: String, resolvConfPath: String, hostsPath: String,
        command: [String]? = nil, args: [String]? = nil, workingDir: String? = nil, env: [EnvPair] = [],
        ports: [Port] = [], podIP: String, stdin: Bool = false, stdinOnce: Bool = false, tty: Bool = false,
        runDir: String
    ) {
        self.podNamespace = podNamespace
        self.podName = podName
        self.podUID = podUID
        self.containerName = containerName
        self.image = image
        self.builtin = builtin
        self.netnsPath = netnsPath
        self.hostname = hostname
        self.resolvConfPath = resolvConfPath
        self.hostsPath = hostsPath
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.ports = ports
        self.podIP = podIP
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
        self.runDir = runDir
    }

    /// The port the responder serves: the first TCP containerPort, else the image's default.
    public var servingPort: Int? {
        ports.first(where: { $0.protocol.uppercased() == "TCP" })?.containerPort ?? builtin.defaultPort
    }

    /// The argv a shell image runs: command + args, or the image's default (`sh`) when neither is given.
    public var shellArgv: [String] {
        let argv = (command ?? []) + (args ?? [])
        return argv.isEmpty ? ["sh"] : argv
    }

    public static let fileName = "launch.json"
}

/// How a container's main process ended, written by the shim as `<runDir>/exit.json`.
public struct ContainerExit: Codable, Sendable, Hashable {
    /// The exit status, or 128 + signal number when a signal ended it (as the CRI reports it).
    public var exitCode: Int
    public var signal: Int?
    /// "Completed" for exit 0, "Error" otherwise (kubelet's reasons).
    public var reason: String
    public var startedAt: String
    public var finishedAt: String
    public var message: String?
    public init(exitCode: Int, signal: Int? = nil, reason: String, startedAt: String, finishedAt: String,
                message: String? = nil) {
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.message = message
    }
    public static let fileName = "exit.json"
}
