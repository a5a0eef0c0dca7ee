import Foundation
import PodlabModel

/// The hidden `podlab internal ...` commands, re-executions of podlab that enter namespaces. main.swift calls
/// `runIfInternal` first thing: setns into a mount namespace and unshare(CLONE_NEWNS) fail with EINVAL in a
/// process with several threads (they share CLONE_FS), and ArgumentParser or any async work starts threads.
///
///     podlab internal container <runDir>                           the container shim (launch.json)
///     podlab internal nsexec <runDir> [--tty] [--stdin] -- argv...  exec into a running container
public enum PodlabInternal {
    /// Runs an internal command and exits when `arguments` (CommandLine.arguments) name one; returns otherwise.
    public static func runIfInternal(_ arguments: [String]) {
        guard arguments.count >= 2, arguments[1] == "internal" else { return }
        let rest = Array(arguments.dropFirst(2))
        guard threadCount() == 1 else {
            fail("podlab internal must run before any thread starts (Threads: \(threadCount()))", code: 125)
        }
        switch rest.first {
        case "container":
            guard rest.count == 2 else { fail("usage: podlab internal container <runDir>", code: 125) }
            ContainerShim.run(runDir: rest[1])
        case "nsexec":
            NSExec.run(Array(rest.dropFirst()))
        default:
            fail("usage: podlab internal container <runDir> | nsexec <runDir> [--tty] [--stdin] -- argv...", code: 125)
        }
    }

    /// The `Threads:` line of /proc/self/status.
    static func threadCount() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? -1
        }
        return -1
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("podlab: \(message)\n".utf8))
        exit(code)
    }

    static func loadLaunch(_ runDir: String) -> ContainerLaunch {
        let path = "\(runDir)/\(ContainerLaunch.fileName)"
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(ContainerLaunch.self, from: data)
        } catch {
            fail("cannot read \(path): \(error)", code: 125)
        }
    }
}
