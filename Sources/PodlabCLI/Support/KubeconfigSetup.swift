import Foundation
import PodlabAPI

/// Writes podlab's kubeconfig where users look for it, and takes it away again on `down`.
enum KubeconfigSetup {
    /// Writes `<state>/kubeconfig` and merges a `podlab` context into root's ~/.kube/config and, under sudo,
    /// SUDO_USER's, making it current (as kind does). Returns the files written.
    static func write(state: StateDir, port: Int) throws -> [String] {
        let pki = try ClusterPKI.load(directory: state.pkiDir)
        let entry = KubeconfigEntry(
            server: "https://127.0.0.1:\(port)", caPEM: pki.caPEM, certPEM: pki.adminCertPEM, keyPEM: pki.adminKeyPEM)
        try state.write(state.kubeconfig, Kubeconfig.standalone(entry))
        var written: [String] = []
        // Where kubectl looks: $KUBECONFIG's first file if set, else $HOME/.kube/config (as kind does); under
        // sudo also the invoking user's own ~/.kube/config, owned by them.
        var targets: [(String, (uid_t, gid_t)?)] = []
        let env = ProcessInfo.processInfo.environment
        if let kc = env["KUBECONFIG"]?.split(separator: ":").first, !kc.isEmpty {
            targets.append((String(kc), nil))
        } else if let home = env["HOME"], !home.isEmpty {
            targets.append((home + "/.kube/config", nil))
        } else if let pw = getpwuid(geteuid()) {
            targets.append((String(cString: pw.pointee.pw_dir) + "/.kube/config", nil))
        }
        if let user = try? InvokingUser.fromSudo(environment: env) {
            targets.append((user.kubeconfigPath, user.owner))
        }
        for (path, owner) in targets {
            if written.contains(path) { continue }
            try Kubeconfig.merge(entry, into: path, owner: owner)
            written.append(path)
        }
        try state.write(state.kubeconfigList, written.joined(separator: "\n"))
        return written
    }

    /// Removes the podlab context from every file `up` wrote it into. Failures are reported, not fatal:
    /// `down` must finish.
    static func remove(state: StateDir) -> [String] {
        let files = (state.read(state.kubeconfigList) ?? "").split(separator: "\n").map(String.init)
        var removed: [String] = []
        for file in files where FileManager.default.fileExists(atPath: file) {
            do {
                try Kubeconfig.remove(name: "podlab", from: file)
                removed.append(file)
            } catch {
                FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
            }
        }
        return removed
    }
}
