import ArgumentParser
import CPodlabShim
import Foundation
import PodlabNet

/// `podlab shell NODE|outside [-- CMD...]`: a shell or command inside a node's network namespace (or the
/// `outside` namespace that plays the user's laptop), for `curl <node-ip>:<nodePort>` style steps.
struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a shell or a command in a node's network namespace or in `outside`")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A node name (podlab-control-plane, podlab-worker, ...) or `outside`") var target: String
    @Argument(parsing: .captureForPassthrough, help: "The command to run (default: bash, else sh)") var command: [String] = []

    func run() throws {
        do {
            try shell()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    func shell() throws {
        try Privilege.require(for: "shell")
        let state = global.state
        guard state.runningDaemon() != nil || state.exists() else {
            throw CLIError("no podlab cluster is running (no state in \(state.path)); start one with `sudo podlab up`")
        }
        let names: NetNames
        do { names = try NetNames(prefix: state.netPrefix) } catch { throw CLIError("\(error)") }
        let netns = target == "outside" ? names.outside.rawValue : names.node(target).rawValue
        let path = "/run/netns/" + netns
        guard FileManager.default.fileExists(atPath: path) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
                .filter { names.owns($0) && !names.isPod($0) }.sorted()
            throw CLIError("no node or namespace named \"\(target)\" in this cluster (have: "
                + (known.isEmpty ? "none" : known.joined(separator: ", ")) + "; use a node name or `outside`)")
        }
        var argv = command.first == "--" ? Array(command.dropFirst()) : command
        if argv.isEmpty {
            argv = [FileManager.default.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/bin/sh"]
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError("cannot open \(path): \(String(cString: strerror(errno)))") }
        // setns and unshare act on this thread, and execvp right after replaces the process from this
        // thread, so the command starts inside the namespace with its own hostname.
        guard podlab_setns(fd, PODLAB_CLONE_NEWNET) == 0 else {
            throw CLIError("cannot enter \(netns): \(String(cString: strerror(errno)))")
        }
        close(fd)
        if podlab_unshare(PODLAB_CLONE_NEWUTS) == 0 {
            _ = target.withCString { podlab_sethostname($0, strlen($0)) }
        }
        setenv("PODLAB_SHELL", target, 1)
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cargs)
        throw CLIError("cannot run \(argv[0]): \(String(cString: strerror(errno)))")
    }
}
