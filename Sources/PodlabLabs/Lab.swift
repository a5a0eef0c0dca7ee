/// A lab: one tutorial as steps that a runner executes (`podlab lab run`) or a learner types
/// (`podlab lab start` / `check` / `next`), with checks on what really happened in the cluster and on the wire.
public struct Lab: Sendable, Hashable {
    /// The folder name under labs/ (`routing-models`).
    public var name: String
    public var title: String
    /// One line for `podlab lab list`.
    public var description: String
    /// Where the tutorial comes from.
    public var source: String
    public var objectives: [String]
    /// Namespaces the lab makes; `--keep` leaves them, otherwise they are deleted at the end.
    public var namespaces: [String]
    /// Commands that remove what the lab made outside its own namespaces (run at the end and by `reset`).
    public var cleanup: [String]
    public var steps: [LabStep]

    public init(
        name: String, title: String, description: String, source: String = "", objectives: [String] = [],
        namespaces: [String] = [], cleanup: [String] = [], steps: [LabStep]
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.source = source
        self.objectives = objectives
        self.namespaces = namespaces
        self.cleanup = cleanup
        self.steps = steps
    }
}

/// One step of a lab: what to do, the tutorial's commands, and the checks that say whether it worked.
public struct LabStep: Sendable, Hashable {
    public var title: String
    public var text: String
    /// A remark about this step (a manifest restored from the tutorial's words, a slip in the tutorial).
    public var note: String?
    public var commands: [LabCommand]
    public var checks: [LabCheck]
    /// What `podlab lab hint` prints beyond the commands.
    public var hint: String?

    public init(
        title: String, text: String, note: String? = nil, commands: [LabCommand], checks: [LabCheck], hint: String? = nil
    ) {
        self.title = title
        self.text = text
        self.note = note
        self.commands = commands
        self.checks = checks
        self.hint = hint
    }
}

/// Where a command or a probe runs.
public enum LabPlace: Sendable, Hashable, CustomStringConvertible {
    /// The machine's shell, with the cluster's kubeconfig.
    case vm
    /// Inside a pod, through `kubectl exec` (TARGET is a pod name or `deploy/NAME`).
    case pod(target: String, namespace: String)
    /// Inside a node's network namespace (podlab only).
    case node(String)
    /// In `outside`, the namespace that plays the laptop on the node network (podlab only).
    case outside

    public var description: String {
        switch self {
        case .vm: return "vm"
        case .pod(let target, let namespace): return "pod \(namespace)/\(target)"
        case .node(let name): return "node \(name)"
        case .outside: return "outside"
        }
    }

    /// Whether the place exists only on a podlab cluster.
    public var needsNodeInternals: Bool {
        switch self {
        case .node: return true
        case .vm, .pod, .outside: return false
        }
    }
}

/// A command of the tutorial.
public struct LabCommand: Sendable, Hashable {
    /// What podlab runs.
    public var run: String
    /// The tutorial's own text, when podlab runs something else (a removed kubectl flag, `minikube service`).
    public var shown: String?
    /// One line on why `run` differs from `shown`.
    public var note: String?
    public var place: LabPlace
    /// Whether the command is expected to fail (the tutorial shows an error on purpose).
    public var expectFailure: Bool
    /// Bound on the command's run time, in seconds.
    public var timeout: Int

    public init(
        run: String, shown: String? = nil, note: String? = nil, place: LabPlace = .vm, expectFailure: Bool = false,
        timeout: Int = 60
    ) {
        self.run = run
        self.shown = shown
        self.note = note
        self.place = place
        self.expectFailure = expectFailure
        self.timeout = timeout
    }
}
