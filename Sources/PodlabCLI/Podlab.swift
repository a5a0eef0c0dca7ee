import ArgumentParser

/// The `podlab` command: what kubectl cannot do (create and remove the cluster, show its state, run kubectl
/// with podlab's kubeconfig).
public struct Podlab: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "podlab",
        abstract: "Kubernetes networking for real, on Linux namespaces, driven by real kubectl",
        subcommands: [Up.self, Down.self, Status.self, Kubectl.self, Shell.self, Explain.self, ServiceURL.self, LabCommandGroup.self, DaemonCommand.self]
    )
    public init() {}
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Where podlab keeps the cluster's state, certificates and logs")
    var stateDir: String = StateDir.defaultPath

    @Flag(name: .shortAndLong, help: "Log more")
    var verbose = false

    var state: StateDir { StateDir(stateDir) }
}

extension Podlab {
    /// Parses the command line and runs the command, awaiting async commands. main.swift calls this:
    /// from a top-level `await Podlab.main()` Swift picks ParsableCommand's synchronous `main`.
    public static func runMain() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
