import Foundation

/// Runs blocking work (netlink, waitpid, socket probes) on a Dispatch thread instead of the cooperative
/// pool, whose few threads must never wait on the kernel.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
    }
}

/// The state of a process the agent watches: its own child (reaped with waitpid) or one adopted after a
/// daemon restart (reparented, so only its /proc entry tells whether it lives).
enum ProcessWatch {
    enum Outcome: Equatable {
        case running
        /// Exited; the wait status when this process was our child, nil for an adopted one.
        case exited(status: Int32?)
    }

    static func poll(_ pid: pid_t) -> Outcome {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { return .exited(status: status) }
        if r == 0 { return .running }
        // Not our child: alive while /proc/PID exists and is not a zombie.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return .exited(status: nil) }
        let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
        return rest.hasPrefix("Z") || rest.hasPrefix("X") ? .exited(status: nil) : .running
    }

    /// The exit code a wait status stands for, 128 + signal for a signal (as container runtimes report it).
    static func exitCode(_ status: Int32) -> (code: Int, signal: Int?) {
        let sig = status & 0x7f
        if sig == 0 { return (Int((status >> 8) & 0xff), nil) }
        return (128 + Int(sig), Int(sig))
    }
}
