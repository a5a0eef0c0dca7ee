import ArgumentParser
import Foundation
import PodlabLabs
import PodlabNet

/// `podlab lab ...`: the seed tutorials as labs, run by podlab or typed by a learner.
struct LabCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Run the tutorials as labs whose checks pass or fail on real packets",
        subcommands: [LabList.self, LabRun.self, LabStart.self, LabCheck.self, LabNext.self, LabHint.self, LabStatus.self, LabReset.self])
}

/// What every lab subcommand needs: the catalog, the cluster, and error printing.
struct LabOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(help: "Run against this kubeconfig context instead of podlab's cluster (kind, minikube, a cloud cluster)")
    var context: String?
    @Option(help: "The kubeconfig that holds --context (default: $KUBECONFIG or ~/.kube/config)")
    var kubeconfig: String?

    func catalog() throws -> LabCatalog {
        guard let c = LabCatalog.locate(executable: try Spawn.selfExecutable()) else {
            throw CLIError("no labs found: set PODLAB_LABS to the labs/ folder of podlab's repository, or reinstall with scripts/install.sh")
        }
        return c
    }

    /// The cluster, started with `podlab up` if it is podlab's and not running. The lab's commands use a copy of
    /// its kubeconfig written into `workDir`.
    func cluster(workDir: String, startIfNeeded: Bool = true, quiet: Bool = false) throws -> LabCluster {
        guard let kubectl = KubectlFinder.find() else {
            throw CLIError("no kubectl found on PATH or in /opt/podlab/venv/bin; run `sudo scripts/install.sh`")
        }
        let kubeconfigCopy = workDir + "/.kubeconfig"
        if let context {
            var env = ProcessInfo.processInfo.environment
            if let kubeconfig { env["KUBECONFIG"] = kubeconfig }
            let r = LabShell.run(
                [kubectl, "config", "view", "--raw", "--minify", "--flatten", "--context", context], env: env, timeout: 20)
            guard r.status == 0 else { throw CLIError("cannot read kubeconfig context \"\(context)\": \(r.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
            try r.stdout.write(toFile: kubeconfigCopy, atomically: true, encoding: .utf8)
            chmod(kubeconfigCopy, 0o600)
            let cluster = LabCluster(kubectl: kubectl, kubeconfig: kubeconfigCopy, podlab: nil, workDir: workDir)
            try cluster.prepare()
            return cluster
        }
        try Privilege.require(for: "lab")
        let state = global.state
        let exe = try Spawn.selfExecutable()
        if state.runningDaemon() == nil {
            guard startIfNeeded else { throw CLIError("no podlab cluster is running (state dir \(state.path)); start one with `sudo podlab up`") }
            if !quiet { print("No cluster is running: starting one (podlab up)") }
            let r = LabShell.run([exe, "up", "--state-dir", state.path], env: ProcessInfo.processInfo.environment, timeout: 120)
            guard r.status == 0 else { throw CLIError("podlab up failed: \(r.output)") }
        }
        let text = try String(contentsOfFile: state.kubeconfig, encoding: .utf8)
        try text.write(toFile: kubeconfigCopy, atomically: true, encoding: .utf8)
        chmod(kubeconfigCopy, 0o600)
        let names = try NetNames(prefix: state.netPrefix)
        let cluster = LabCluster(
            kubectl: kubectl, kubeconfig: kubeconfigCopy, podlab: .init(binary: exe, stateDir: state.path), workDir: workDir,
            readChains: { node, chains in try Explain.liveChains(chains, netns: names.node(node).rawValue) })
        try cluster.prepare()
        return cluster
    }

    var progressFile: String { global.state.path + "/lab-progress.json" }
}

/// Prints `error: ...` and exits 1 for the errors a user can act on.
func labFailing(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as CLIError {
        FileHandle.standardError.write(Data("error: \(e)\n".utf8))
        throw ExitCode.failure
    } catch let e as LabError {
        FileHandle.standardError.write(Data("error: \(e)\n".utf8))
        throw ExitCode.failure
    } catch let e as LabFileError {
        FileHandle.standardError.write(Data("error: \(e)\n".utf8))
        throw ExitCode.failure
    }
}

struct LabList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the labs")
    @OptionGroup var options: LabOptions

    func run() throws {
        try labFailing {
            let catalog = try options.catalog()
            let labs = try catalog.names().map { try catalog.load($0) }
            let width = labs.map(\.name.count).max() ?? 0
            for lab in labs {
                print(lab.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + lab.description)
            }
        }
    }
}

struct LabRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a lab's steps and checks, and clean up after it")
    @OptionGroup var options: LabOptions
    @Argument(help: "The labs to run (see `podlab lab list`)") var names: [String] = []
    @Flag(help: "Run every lab") var all = false
    @Option(help: "Stop after this step (1-based)") var step: Int?
    @Flag(help: "Leave the lab's objects and namespaces in the cluster") var keep = false
    @Option(help: "human, tap or junit") var format: String = "human"

    func validate() throws {
        guard LabFormat(rawValue: format) != nil else { throw ValidationError("--format must be human, tap or junit, got \(format)") }
        if all == !names.isEmpty { throw ValidationError("name the labs to run, or give --all") }
        if let step, step < 1 { throw ValidationError("--step must be 1 or more, got \(step)") }
    }

    func run() throws {
        var failed = false
        try labFailing {
            let catalog = try options.catalog()
            let labs = try (all ? catalog.names() : names).map { try catalog.load($0) }
            let reporter = LabReporter(format: LabFormat(rawValue: format) ?? .human)
            let start = Date()
            for lab in labs {
                if let step, step > lab.steps.count {
                    throw CLIError("\(lab.name) has \(lab.steps.count) steps; --step \(step) is past its end")
                }
                let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("podlab-lab-\(lab.name)-\(getpid())").path
                try catalog.stage(lab.name, into: workDir)
                defer { try? FileManager.default.removeItem(atPath: workDir) }
                let cluster = try options.cluster(workDir: workDir, quiet: format != "human")
                let runner = LabRunner(cluster: cluster)
                // Start clean: what an earlier run left (with --keep) would change the checks' answers.
                runner.cleanUp(lab, reporter: LabReporter(format: reporter.format, write: { _ in }))
                runner.run(lab, through: step, reporter: reporter)
                if !keep { runner.cleanUp(lab, reporter: reporter) }
            }
            reporter.finish(totalSeconds: Date().timeIntervalSince(start))
            failed = reporter.failed
        }
        if failed { throw ExitCode.failure }
    }
}

/// Prints a step as the learner sees it in exercise mode.
func printStep(_ lab: Lab, _ index: Int) {
    let step = lab.steps[index]
    print("Step \(index + 1)/\(lab.steps.count): \(step.title)\n")
    print(step.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
        .map { "  " + $0 }.joined(separator: "\n"))
    if let note = step.note { print("\n  note: \(note)") }
    if !step.commands.isEmpty { print("\nCommands to try:") }
    for c in step.commands {
        let where_: String
        switch c.place {
        case .vm: where_ = ""
        case .pod(let target, let namespace): where_ = "in the pod (kubectl exec -it -n \(namespace) \(target) -- sh): "
        case .node(let name): where_ = "in a node (podlab shell \(name.isEmpty ? "podlab-worker" : name)): "
        case .outside: where_ = "from outside (podlab shell outside): "
        }
        print("  \(where_)\(c.shown ?? c.run)")
        if c.shown != nil { print("    (\(c.note ?? "today:") \(c.run))") }
    }
    print("\nWhen you are done: podlab lab check")
}

struct LabStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a lab in exercise mode: you type the commands, podlab checks")
    @OptionGroup var options: LabOptions
    @Argument(help: "The lab (see `podlab lab list`)") var name: String

    func run() throws {
        try labFailing {
            let catalog = try options.catalog()
            let lab = try catalog.load(name)
            let workDir = options.global.state.path + "/lab/" + lab.name
            try catalog.stage(lab.name, into: workDir)
            let cluster = try options.cluster(workDir: workDir)
            LabRunner(cluster: cluster).cleanUp(lab, reporter: LabReporter(format: .human, write: { _ in }))
            try LabProgress(lab: lab.name, workDir: workDir).save(options.progressFile)
            print("Lab \(lab.name): \(lab.title)")
            if !lab.objectives.isEmpty { print(lab.objectives.map { "  • " + $0 }.joined(separator: "\n")) }
            print("\nThe lab's files are in \(workDir) (cd there); kubectl uses the context podlab.\n")
            printStep(lab, 0)
        }
    }
}

/// Loads exercise mode's progress and its lab.
func currentLab(_ options: LabOptions) throws -> (LabProgress, Lab, LabCatalog) {
    guard let progress = LabProgress.load(options.progressFile) else {
        throw CLIError("no lab in progress: start one with `podlab lab start NAME` (see `podlab lab list`)")
    }
    let catalog = try options.catalog()
    return (progress, try catalog.load(progress.lab), catalog)
}

/// Runs the checks of one step against the cluster; returns whether they all passed.
func checkStep(_ options: LabOptions, lab: Lab, index: Int, workDir: String) throws -> Bool {
    try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
    let cluster = try options.cluster(workDir: workDir, startIfNeeded: false)
    let reporter = LabReporter(format: .human)
    let step = lab.steps[index]
    print("Checking step \(index + 1)/\(lab.steps.count): \(step.title)")
    if step.checks.isEmpty { print("  (this step has nothing to check)") }
    // The learner just typed the commands: give pods a few seconds to become ready, not the lab run's minutes.
    LabRunner(cluster: cluster).check(step, index: index, lab: lab, reporter: reporter, maxWait: 5)
    return !reporter.failed
}

struct LabCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check the current step against the cluster and the packets")
    @OptionGroup var options: LabOptions
    @Option(help: "Check this lab instead of the one in progress") var lab: String?
    @Option(help: "Check this step (1-based) instead of the current one") var step: Int?

    func run() throws {
        var ok = true
        try labFailing {
            let (l, index, workDir): (Lab, Int, String)
            var progress: LabProgress?
            if let lab {
                let catalog = try options.catalog()
                l = try catalog.load(lab)
                workDir = FileManager.default.temporaryDirectory.appendingPathComponent("podlab-check-\(getpid())").path
                index = (step ?? 1) - 1
            } else {
                let (p, loaded, _) = try currentLab(options)
                progress = p
                l = loaded
                workDir = p.workDir
                index = step.map { $0 - 1 } ?? p.step
            }
            guard l.steps.indices.contains(index) else {
                throw CLIError("\(l.name) has steps 1-\(l.steps.count); there is no step \(index + 1)")
            }
            ok = try checkStep(options, lab: l, index: index, workDir: workDir)
            if lab != nil { try? FileManager.default.removeItem(atPath: workDir) }
            if ok, var p = progress, index == p.step {
                if !p.passed.contains(index) { p.passed.append(index) }
                try p.save(options.progressFile)
                print(index + 1 < l.steps.count ? "\nStep \(index + 1) done. Next: podlab lab next" : "\nLast step done: the lab is complete.")
            } else if !ok {
                print("\nNot yet: fix what the ✗ lines say, then run podlab lab check again (podlab lab hint shows the commands).")
            }
        }
        if !ok { throw ExitCode.failure }
    }
}

struct LabNext: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "next", abstract: "Go to the next step once the current one passes")
    @OptionGroup var options: LabOptions
    @Flag(help: "Move on even if the current step's checks fail") var force = false

    func run() throws {
        var refused = false
        try labFailing {
            var (progress, lab, _) = try currentLab(options)
            if !progress.passed.contains(progress.step) && !force {
                if try checkStep(options, lab: lab, index: progress.step, workDir: progress.workDir) {
                    progress.passed.append(progress.step)
                } else {
                    print("\nStep \(progress.step + 1) is not done yet (podlab lab hint shows the commands; --force skips it).")
                    refused = true
                    return
                }
            }
            guard progress.step + 1 < lab.steps.count else {
                try progress.save(options.progressFile)
                print("That was the last step: lab \(lab.name) is complete. `podlab lab reset` removes what it made.")
                return
            }
            progress.step += 1
            try progress.save(options.progressFile)
            print("")
            printStep(lab, progress.step)
        }
        if refused { throw ExitCode.failure }
    }
}

struct LabHint: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hint", abstract: "Show the commands that complete the current step")
    @OptionGroup var options: LabOptions

    func run() throws {
        try labFailing {
            let (progress, lab, _) = try currentLab(options)
            let step = lab.steps[progress.step]
            print("Step \(progress.step + 1)/\(lab.steps.count): \(step.title), as podlab would run it (in \(progress.workDir)):")
            for c in step.commands {
                switch c.place {
                case .vm: print("  \(c.run)")
                case .pod(let target, let namespace): print("  kubectl exec -n \(namespace) \(target) -- sh -c \(ProbeScript.shellQuote(c.run))")
                case .node(let name): print("  podlab shell \(name.isEmpty ? "podlab-worker" : name) -- sh -c \(ProbeScript.shellQuote(c.run))")
                case .outside: print("  podlab shell outside -- sh -c \(ProbeScript.shellQuote(c.run))")
                }
            }
            if let hint = step.hint { print("\n\(hint)") }
            print("\nThe checks:")
            for c in step.checks { print("  • \(c.title)") }
        }
    }
}

struct LabStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the lab in progress and its steps")
    @OptionGroup var options: LabOptions

    func run() throws {
        try labFailing {
            let (progress, lab, _) = try currentLab(options)
            print("Lab \(lab.name): \(lab.title) (files in \(progress.workDir))")
            for (i, step) in lab.steps.enumerated() {
                let mark = progress.passed.contains(i) ? "✓" : (i == progress.step ? "→" : " ")
                print(" \(mark) \(i + 1). \(step.title)")
            }
        }
    }
}

struct LabReset: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Remove what the lab in progress made, and its progress")
    @OptionGroup var options: LabOptions

    func run() throws {
        try labFailing {
            let (progress, lab, _) = try currentLab(options)
            let cluster = try options.cluster(workDir: progress.workDir, startIfNeeded: false)
            LabRunner(cluster: cluster).cleanUp(lab, reporter: LabReporter(format: .human))
            try? FileManager.default.removeItem(atPath: options.progressFile)
            print("lab \(lab.name) reset; `podlab lab start \(lab.name)` begins it again")
        }
    }
}
