import ArgumentParser
import Foundation
import PodlabAPI
import PodlabModel
import PodlabNet

/// `podlab up`: start podlabd, wait until the API answers, write the kubeconfig.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the cluster and wait until its API answers")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Number of nodes, the control plane included (1-16)") var nodes: Int = 2
    @Option(help: "The API server's port on 127.0.0.1 (0 picks a free one)") var apiPort: Int = 6443
    @Option(help: "Seconds to wait for the API to answer") var timeout: Int = 60
    @Option(help: "Prefix of the network namespace names (to run several clusters side by side)")
    var netPrefix: String?
    @Option(help: ArgumentHelp(
        "A resolver cluster DNS forwards names outside the cluster to: an IPv4 address with an optional :port, "
            + "or /etc/resolv.conf for the nameservers the VM uses; repeatable. Without it they are refused and no "
            + "query leaves the VM. 'none' removes upstreams from an existing cluster.", valueName: "address"))
    var dnsUpstream: [String] = []

    func validate() throws {
        guard (1...16).contains(nodes) else { throw ValidationError("--nodes must be 1-16, got \(nodes)") }
        guard (0...65535).contains(apiPort) else { throw ValidationError("--api-port must be 0-65535, got \(apiPort)") }
        if let netPrefix {
            do { _ = try NetNames(prefix: netPrefix) } catch { throw ValidationError("--net-prefix: \(error)") }
        }
        for value in dnsUpstream where value != "none" && value != "/etc/resolv.conf" {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, IPv4Address(parts[0]) != nil, parts.count == 1 || UInt16(parts[1]).map({ $0 > 0 }) == true
            else {
                throw ValidationError(
                    "--dns-upstream: '\(value)' is neither an IPv4 address (with an optional :port) nor /etc/resolv.conf")
            }
        }
    }

    func run() async throws {
        do {
            try await up()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    func up() async throws {
        try Privilege.require(for: "up")
        let state = global.state
        if let pid = state.runningDaemon() {
            let port = state.read(state.portFile) ?? "?"
            print("podlab is already running (podlabd pid \(pid), API https://127.0.0.1:\(port)); `podlab down` stops it")
            return
        }
        print("Creating cluster \"podlab\" ...")
        try state.create()
        try? FileManager.default.removeItem(atPath: state.portFile)
        // A restart keeps the prefix the cluster was made with, unless one is given again.
        try state.write(state.netPrefixFile, netPrefix ?? state.netPrefix)
        let exe = try Spawn.selfExecutable()
        var argv = [exe, "daemon", "--state-dir", state.path, "--api-port", String(apiPort), "--nodes", String(nodes)]
        if global.verbose { argv.append("--verbose") }
        if dnsUpstream == ["none"] {
            argv.append("--dns-no-upstream")
        } else {
            for value in dnsUpstream where value != "none" { argv += ["--dns-upstream", value] }
        }
        let pid = try Spawn.detached(argv, logFile: state.logFile)
        try state.write(state.pidFile, String(pid))
        print(" ✓ Starting podlabd (pid \(pid), log \(state.logFile))")
        let port = try await waitForAPI(state: state, pid: pid)
        print(" ✓ API answering on https://127.0.0.1:\(port) (client certificates required)")
        let written = try KubeconfigSetup.write(state: state, port: port)
        print(" ✓ Nodes: \(Daemon.nodeNames(nodes).joined(separator: ", ")) (network namespaces on a 172.18.0.0/16 wire; "
            + "`podlab shell outside` plays your laptop)")
        print("Set kubectl context to \"podlab\" in \(written.joined(separator: " and "))")
        print("You can now use your cluster with:\n\nkubectl cluster-info --context podlab")
    }

    /// Waits until podlabd has bound its port and /readyz answers over TLS with the admin certificate.
    /// Bounded by --timeout; if the daemon dies first, its log's last lines say why.
    func waitForAPI(state: StateDir, pid: Int32) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var lastError = "no answer yet"
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let tail = (state.read(state.logFile) ?? "").split(separator: "\n").suffix(5).joined(separator: "\n")
                throw CLIError("podlabd exited during start-up; the end of \(state.logFile):\n\(tail)")
            }
            // Only the daemon issues certificates; the port file appears after they exist.
            if let text = state.read(state.portFile), let port = Int(text),
                let pki = try? ClusterPKI.load(directory: state.pkiDir)
            {
                do {
                    let client = APIClient(port: port, tls: try pki.clientTLSConfiguration())
                    let (code, _) = try await client.get("/readyz")
                    if code == 200 { return port }
                    lastError = "HTTP \(code)"
                } catch {
                    lastError = "\(error)"
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLIError("the API did not answer within \(timeout)s (\(lastError)); see \(state.logFile)")
    }
}
