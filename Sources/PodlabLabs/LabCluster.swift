import Foundation

/// The cluster a lab runs against, and how to run a command in each place of it.
public struct LabCluster: Sendable {
    /// podlab's own cluster: its binary and state dir (node shells and `outside` exist).
    public struct Podlab: Sendable {
        public var binary: String
        public var stateDir: String
        public init(binary: String, stateDir: String) {
            self.binary = binary
            self.stateDir = stateDir
        }
    }

    public var kubectl: String
    /// The kubeconfig the lab's commands use: a copy of the cluster's, so `kubectl config set-context` in a
    /// tutorial changes the lab's copy only.
    public var kubeconfig: String
    public var podlab: Podlab?
    /// The lab's files (manifests), the current directory of its commands.
    public var workDir: String
    /// Reads live nftables chains in a node: (node name, chain names) -> listing per chain. podlab only.
    public var readChains: (@Sendable (String, [String]) throws -> [String: String])?

    public init(
        kubectl: String, kubeconfig: String, podlab: Podlab?, workDir: String,
        readChains: (@Sendable (String, [String]) throws -> [String: String])? = nil
    ) {
        self.kubectl = kubectl
        self.kubeconfig = kubeconfig
        self.podlab = podlab
        self.workDir = workDir
        self.readChains = readChains
    }

    var binDir: String { workDir + "/.podlab-bin" }
    var envFile: String { workDir + "/.podlab-env" }

    /// Puts `kubectl` (and `podlab`, bound to this cluster's state dir) first on the commands' PATH.
    public func prepare() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: binDir, withIntermediateDirectories: true)
        try? fm.removeItem(atPath: binDir + "/kubectl")
        try fm.createSymbolicLink(atPath: binDir + "/kubectl", withDestinationPath: kubectl)
        if let podlab {
            let script = "#!/bin/sh\n# podlab bound to the lab's cluster\ncmd=\"$1\"; [ $# -gt 0 ] && shift\n"
                + "exec \(ProbeScript.shellQuote(podlab.binary)) ${cmd:+\"$cmd\"} --state-dir \(ProbeScript.shellQuote(podlab.stateDir)) \"$@\"\n"
            try script.write(toFile: binDir + "/podlab", atomically: true, encoding: .utf8)
            chmod(binDir + "/podlab", 0o755)
        }
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = binDir + ":" + (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        env["KUBECONFIG"] = kubeconfig
        return env
    }

    /// Runs `command` (shell text) in `place`. VM commands see the variables earlier VM commands exported.
    public func run(_ command: String, in place: LabPlace, timeout: Int) -> CommandResult {
        switch place {
        case .vm:
            let script = "set -a; [ -f .podlab-env ] && . ./.podlab-env; set +a\n" + command
                + "\npodlab_rc=$?; export -p | grep -v -E '^declare -x (PWD|OLDPWD|SHLVL|_)=' > .podlab-env; "
                + "env -0 > .podlab-env0; exit $podlab_rc"
            return LabShell.run(["/bin/bash", "-c", script], env: environment, cwd: workDir, timeout: timeout)
        case .pod(let target, let namespace):
            // The lab's exported variables (`export IP=$(kubectl ...)` on the VM) are set in the pod's shell too.
            return LabShell.run(
                [kubectl, "exec", "-n", namespace, target, "--", "sh", "-c", variablePrefix() + command], env: environment,
                cwd: workDir, timeout: timeout)
        case .node(let node):
            // Callers skip node places on other clusters; nothing runs if one gets here.
            guard let podlab else { return CommandResult(status: 0, stdout: "", stderr: "", timedOut: false) }
            // A node place without a name is the first worker.
            return shell(podlab, node.isEmpty ? defaultNode() : node, variablePrefix() + command, timeout: timeout)
        case .outside:
            guard let podlab else {
                // On another cluster this machine is the outside world.
                return LabShell.run(["/bin/bash", "-c", variablePrefix() + command], env: environment, cwd: workDir, timeout: timeout)
            }
            return shell(podlab, "outside", variablePrefix() + command, timeout: timeout)
        }
    }

    /// `podlab shell TARGET -- sh -c SCRIPT` on this cluster (a node's namespace or `outside`).
    private func shell(_ podlab: Podlab, _ target: String, _ script: String, timeout: Int) -> CommandResult {
        LabShell.run(
            [podlab.binary, "shell", "--state-dir", podlab.stateDir, target, "--", "sh", "-c", script],
            env: environment, cwd: workDir, timeout: timeout)
    }

    /// The variables the lab's VM commands exported (those that differ from podlab's own environment).
    public func labVariables() -> [(String, String)] {
        guard let data = FileManager.default.contents(atPath: envFile + "0") else { return [] }
        let base = environment
        var out: [(String, String)] = []
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "=") else { continue }
            let name = String(text[..<eq])
            let value = String(text[text.index(after: eq)...])
            guard !["PWD", "OLDPWD", "SHLVL", "_"].contains(name), base[name] != value,
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            else { continue }
            out.append((name, value))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    func variablePrefix() -> String {
        labVariables().map { "\($0.0)=\(ProbeScript.shellQuote($0.1)); export \($0.0); " }.joined()
    }

    /// kubectl with the lab's kubeconfig; its stdout when it succeeds.
    public func kubectl(_ args: [String], timeout: Int = 30) -> CommandResult {
        LabShell.run([kubectl] + args, env: environment, cwd: workDir, timeout: timeout)
    }

    /// Expands `$VAR` and `$(command)` in `text` with the VM shell (nothing to do when it has no `$`).
    public func expand(_ text: String) -> String {
        guard text.contains("$") else { return text }
        let r = run("cat <<PODLAB_EXPAND_EOF\n\(text)\nPODLAB_EXPAND_EOF", in: .vm, timeout: 30)
        var out = r.stdout
        if out.hasSuffix("\n") { out.removeLast() }
        return out
    }

    /// The first worker node's name (where `in: node` without a name runs), from the cluster.
    public func defaultNode() -> String {
        let r = kubectl(["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"])
        let names = r.stdout.split(separator: " ").map(String.init)
        return names.first { !$0.contains("control-plane") } ?? names.first ?? "podlab-worker"
    }
}
