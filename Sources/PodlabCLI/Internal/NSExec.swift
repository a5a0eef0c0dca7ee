import CPodlabShim
import Foundation
import PodlabModel

/// `podlab internal nsexec <runDir> [--tty] [--stdin] -- argv...`: joins the net, uts and mount namespaces of a
/// running container's shim and execs argv there with the container's environment, as `runc exec` would.
enum NSExec {
    static func run(_ args: [String]) -> Never {
        guard let dash = args.firstIndex(of: "--"), dash >= 1, dash + 1 < args.count else {
            PodlabInternal.fail("usage: podlab internal nsexec <runDir> [--tty] [--stdin] -- argv...", code: 125)
        }
        let runDir = args[0]
        let tty = args[1..<dash].contains("--tty")
        let argv = Array(args[(dash + 1)...])
        let launch = PodlabInternal.loadLaunch(runDir)
        guard let pidText = try? String(contentsOfFile: "\(runDir)/shim.pid", encoding: .utf8),
            let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            PodlabInternal.fail("container \(launch.containerName) is not running (no shim.pid in \(runDir))", code: 125)
        }
        // Open all three first: after entering the mount namespace, /proc may be another instance.
        let kinds: [(String, Int32)] = [
            ("net", PODLAB_CLONE_NEWNET), ("uts", PODLAB_CLONE_NEWUTS), ("mnt", PODLAB_CLONE_NEWNS),
        ]
        let fds = kinds.map { kind, _ -> Int32 in
            let fd = open("/proc/\(pid)/ns/\(kind)", O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                PodlabInternal.fail(
                    "open /proc/\(pid)/ns/\(kind) (shim of container \(launch.containerName)): "
                        + String(cString: strerror(errno)), code: 125)
            }
            return fd
        }
        for ((kind, flag), fd) in zip(kinds, fds) {
            if podlab_setns(fd, flag) != 0 {
                PodlabInternal.fail(
                    "setns(\(kind)) into the shim \(pid) of container \(launch.containerName): "
                        + String(cString: strerror(errno)), code: 125)
            }
            close(fd)
        }
        let dir = launch.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        if chdir(dir) != 0 {
            PodlabInternal.fail("chdir to \(dir): \(String(cString: strerror(errno)))", code: 125)
        }
        var env = launch.env.map { "\($0.name)=\($0.value)" }
        if tty {
            // The caller made us a session leader with the pty slave on 0-2; claim it explicitly in case the
            // caller did not (setsid then fails with EPERM, which is fine: we already lead the session).
            _ = setsid()
            _ = podlab_set_controlling_tty(0)
            if !launch.env.contains(where: { $0.name == "TERM" }) { env.append("TERM=xterm") }
        }
        let searchPath = launch.env.last(where: { $0.name == "PATH" })?.value
        guard let path = ProcessLaunch.lookup(argv[0], path: searchPath) else {
            // runc's wording, which is what kubectl users see for a missing binary on a containerd node.
            FileHandle.standardError.write(
                Data("exec: \"\(argv[0])\": executable file not found in $PATH\n".utf8))
            exit(127)
        }
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup($0) } + [nil]
        execve(path, cargs, cenv)
        let code = errno
        FileHandle.standardError.write(Data("exec: \"\(argv[0])\": \(String(cString: strerror(code)))\n".utf8))
        exit(code == ENOENT ? 127 : 126)
    }
}
