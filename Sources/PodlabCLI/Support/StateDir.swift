import Foundation

/// The files podlab keeps for one cluster, all under one directory (default /var/lib/podlab).
public struct StateDir: Sendable {
    public var path: String
    public init(_ path: String) { self.path = path }

    public static let defaultPath = "/var/lib/podlab"

    public var storeDir: String { path + "/store" }
    public var pkiDir: String { path + "/pki" }
    public var kubeconfig: String { path + "/kubeconfig" }
    public var pidFile: String { path + "/podlabd.pid" }
    /// The port the daemon bound (it may have been asked for port 0).
    public var portFile: String { path + "/api-port" }
    public var logFile: String { path + "/podlabd.log" }
    /// Which kubeconfig files `up` merged a context into, so `down` removes it from the same files.
    public var kubeconfigList: String { path + "/kubeconfigs" }

    /// One directory per pod (by UID): resolv.conf, hosts, and a run directory per container.
    public var podsDir: String { path + "/pods" }
    /// The kernel objects PodlabNet created or is about to create, for `down` after a crash.
    public var netStateFile: String { path + "/net-state.json" }
    /// The prefix of this cluster's network namespace names (`podlab` unless tests chose another).
    public var netPrefixFile: String { path + "/net-prefix" }
    public var netPrefix: String { read(netPrefixFile) ?? "podlab" }

    public func exists() -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Creates the directory with mode 0700 (it holds the cluster CA key).
    public func create() throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }

    public func read(_ file: String) -> String? {
        (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a small file atomically with mode 0600.
    public func write(_ file: String, _ text: String) throws {
        let tmp = file + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CLIError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        guard rename(tmp, file) == 0 else { throw CLIError("cannot rename \(tmp) to \(file): \(String(cString: strerror(errno)))") }
    }

    /// The daemon's PID if the PID file names a live podlab daemon for this state dir.
    public func runningDaemon() -> Int32? {
        guard let text = read(pidFile), let pid = Int32(text), pid > 0 else { return nil }
        return ProcessCheck.isPodlabDaemon(pid: pid, stateDir: path) ? pid : nil
    }
}

/// An error the CLI prints as `error: <message>` before exiting 1.
public struct CLIError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
