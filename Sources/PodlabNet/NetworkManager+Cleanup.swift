import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What `NetworkManager.removeAll` removed, and what it could not.
public struct CleanupReport: Sendable, Equatable, CustomStringConvertible {
    /// Namespace pins unmounted and removed.
    public var removedNetns: [String] = []
    /// Processes killed because they lived in one of those namespaces.
    public var killedPIDs: [Int32] = []
    /// Whether the state file existed and was removed.
    public var removedStateFile = false
    /// One line per failure; cleanup goes on past each.
    public var errors: [String] = []

    public var description: String {
        var lines = ["removed \(removedNetns.count) network namespaces, killed \(killedPIDs.count) processes"]
        lines += errors.map { "error: \($0)" }
        return lines.joined(separator: "\n")
    }
}

extension NetworkManager {
    /// Removes every network namespace of `prefix` (each /run/netns entry it owns, and each name in the
    /// state file): SIGKILLs the processes with a thread inside it (matched by the namespace's st_dev and
    /// st_ino, never by name; this process is skipped), then unmounts and unlinks the pin, then removes the
    /// state file. The links, addresses and routes die with their namespaces.
    ///
    /// For `podlab down`; works with no state file and after `kill -9` of the daemon. Idempotent. Never
    /// throws: failures are listed in the report. Call `shutdown()` first on a live manager of this process.
    public static func removeAll(prefix: String, stateFile: String, logger: Logger) -> CleanupReport {
        var report = CleanupReport()
        var targets: [NetnsName] = []
        let names = try? NetNames(prefix: prefix)
        for entry in NetnsPin.list() where names?.owns(entry) == true {
            if let n = try? NetnsName(entry) { targets.append(n) }
        }
        let state = NetworkState.load(stateFile)
        for entry in state.netns {
            if let n = try? NetnsName(entry), !targets.contains(n),
                FileManager.default.fileExists(atPath: n.path)
            {
                targets.append(n)
            }
        }

        // The identity of each pinned namespace: nsfs (st_dev, st_ino) of the bind mount.
        var identities: [NamespaceIdentity: NetnsName] = [:]
        for name in targets where NetnsPin.isPinned(name) {
            if let id = NamespaceIdentity(path: name.path) { identities[id] = name }
        }
        if !identities.isEmpty {
            let victims = processes(inAnyOf: Set(identities.keys))
            for pid in victims {
                if kill(pid, SIGKILL) == 0 {
                    report.killedPIDs.append(pid)
                    logger.info("killed pid \(pid): it was inside a podlab network namespace")
                } else if Glibc.errno != ESRCH {
                    report.errors.append("\(KernelError.fromErrno("kill(SIGKILL)", "pid \(pid)"))")
                }
            }
            waitUntilGone(report.killedPIDs, from: Set(identities.keys))
        }

        for name in targets {
            do {
                try NetnsPin.delete(name)
                report.removedNetns.append(name.rawValue)
            } catch {
                report.errors.append("\(error)")
            }
        }
        if FileManager.default.fileExists(atPath: stateFile) {
            if unlink(stateFile) == 0 {
                report.removedStateFile = true
            } else {
                report.errors.append("\(KernelError.fromErrno("unlink", stateFile))")
            }
        }
        logger.info("cleanup for prefix \(prefix): \(report)")
        return report
    }

    /// PIDs (not this process) with at least one thread whose netns is one of `namespaces`.
    static func processes(inAnyOf namespaces: Set<NamespaceIdentity>) -> [Int32] {
        let me = getpid()
        var result: [Int32] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), pid != me else { continue }
            // Every thread counts: a thread can setns on its own, as podlab's NetnsThreads do.
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            let inside = tasks.contains { tid in
                NamespaceIdentity(path: "/proc/\(pid)/task/\(tid)/ns/net").map(namespaces.contains) ?? false
            }
            if inside { result.append(pid) }
        }
        return result
    }

    /// Waits (bounded: 50 × 20 ms) until the killed processes have left the namespaces. SIGKILL is
    /// asynchronous; a dying process still holds its namespaces for a moment.
    private static func waitUntilGone(_ pids: [Int32], from namespaces: Set<NamespaceIdentity>) {
        guard !pids.isEmpty else { return }
        for _ in 0..<50 {
            let remaining = pids.filter { pid in
                NamespaceIdentity(path: "/proc/\(pid)/ns/net").map(namespaces.contains) ?? false
            }
            if remaining.isEmpty { return }
            usleep(20_000)
        }
    }
}

/// A namespace's identity: the nsfs device and inode that `stat` reports for /proc/PID/ns/net or a pin.
struct NamespaceIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
