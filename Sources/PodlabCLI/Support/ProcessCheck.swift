import Foundation

/// Facts about processes, read from /proc: podlab signals only processes it can prove it started.
public enum ProcessCheck {
    /// The NUL-separated argument vector of `pid`, or nil if the process is gone.
    public static func arguments(of pid: Int32) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
            return nil
        }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// True when `pid` runs `podlab daemon --state-dir <stateDir>`: a PID file alone is not proof, since
    /// PIDs are reused after a crash.
    public static func isPodlabDaemon(pid: Int32, stateDir: String) -> Bool {
        guard let args = arguments(of: pid), args.contains("daemon") else { return false }
        guard let i = args.firstIndex(of: "--state-dir"), i + 1 < args.count else { return false }
        guard args[i + 1] == stateDir else { return false }
        // A zombie still has a cmdline until it is reaped; treat it as gone.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
            if state == "Z" { return false }
        }
        return true
    }

    public static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }
}

/// The capabilities podlab needs, read from /proc/self/status (CapEff) so the check needs no library.
public enum Privilege {
    public static let capNetAdmin = 12
    public static let capSysAdmin = 21

    public static func effectiveCapabilities() -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces)
            return UInt64(hex, radix: 16) ?? 0
        }
        return 0
    }

    /// Throws one line naming the missing capabilities: "podlab up needs CAP_NET_ADMIN, CAP_SYS_ADMIN; run it with sudo".
    public static func require(for command: String) throws {
        let caps = effectiveCapabilities()
        var missing: [String] = []
        if caps & (1 << UInt64(capNetAdmin)) == 0 { missing.append("CAP_NET_ADMIN") }
        if caps & (1 << UInt64(capSysAdmin)) == 0 { missing.append("CAP_SYS_ADMIN") }
        if !missing.isEmpty {
            throw CLIError(
                "podlab \(command) needs \(missing.joined(separator: " and ")) (it creates network namespaces "
                    + "and writes root-only state); run it with sudo")
        }
    }
}
