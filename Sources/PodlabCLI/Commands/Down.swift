import ArgumentParser
import Foundation
import Logging
import PodlabNet

/// `podlab down`: stop podlabd and remove everything podlab made. Works after a crash: it needs only the
/// state directory, and a PID is signalled only when /proc proves it is this cluster's daemon.
struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the cluster and remove everything podlab made")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        do {
            try await down()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Cleanup reports what it removed in the lines printed below; only its warnings go to the log.
    static var quietLogger: Logger {
        var l = Logger(label: "podlab-down")
        l.logLevel = .warning
        return l
    }

    func down() async throws {
        try Privilege.require(for: "down")
        let state = global.state
        guard state.exists() else {
            // No state at all (deleted by hand, or a half-finished down): still remove what the kernel holds
            // under the default prefix, found by name.
            let report = NetworkManager.removeAll(
                prefix: state.netPrefix, stateFile: state.netStateFile, logger: Down.quietLogger)
            if report.removedNetns.isEmpty && report.killedPIDs.isEmpty {
                print("No podlab cluster is running (no state in \(state.path)); nothing to do")
            } else {
                print(" ✓ Removed \(report.removedNetns.count) network namespaces left without state")
            }
            return
        }
        if let pid = state.runningDaemon() {
            kill(pid, SIGTERM)
            // Bounded wait for a clean stop, then SIGKILL: down must finish even if the daemon hangs.
            let deadline = ContinuousClock.now + .seconds(10)
            while ProcessCheck.isPodlabDaemon(pid: pid, stateDir: state.path), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            if ProcessCheck.isPodlabDaemon(pid: pid, stateDir: state.path) {
                kill(pid, SIGKILL)
                print(" ✓ podlabd (pid \(pid)) did not stop within 10s; killed it")
            } else {
                print(" ✓ Stopped podlabd (pid \(pid))")
            }
        } else {
            print(" ✓ podlabd is not running")
        }
        let report = NetworkManager.removeAll(
            prefix: state.netPrefix, stateFile: state.netStateFile, logger: Down.quietLogger)
        print(" ✓ Removed \(report.removedNetns.count) network namespaces"
            + (report.killedPIDs.isEmpty ? "" : " and stopped \(report.killedPIDs.count) pod processes"))
        for e in report.errors { print(" ✗ \(e)") }
        let removed = KubeconfigSetup.remove(state: state)
        if !removed.isEmpty { print(" ✓ Removed the podlab context from \(removed.joined(separator: " and "))") }
        do {
            try FileManager.default.removeItem(atPath: state.path)
        } catch {
            throw CLIError("cannot remove \(state.path): \(error.localizedDescription)")
        }
        print(" ✓ Removed \(state.path)")
        print("Deleted cluster \"podlab\"")
    }
}
