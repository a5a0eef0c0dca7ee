import Foundation
import Testing
import Yams

@testable import PodlabCLI

private let entry = KubeconfigEntry(
    server: "https://127.0.0.1:6443",
    caPEM: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
    certPEM: "-----BEGIN CERTIFICATE-----\nADMIN\n-----END CERTIFICATE-----\n",
    keyPEM: "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n")

/// A kind-written kubeconfig with another cluster, a user with an exec plugin, extensions and preferences.
private let kindConfig = """
    apiVersion: v1
    clusters:
    - cluster:
        certificate-authority-data: S0lORA==
        server: https://127.0.0.1:41234
      name: kind-kind
    contexts:
    - context:
        cluster: kind-kind
        user: kind-kind
        namespace: "123"
      name: kind-kind
    current-context: kind-kind
    kind: Config
    preferences:
      colors: true
    users:
    - name: kind-kind
      user:
        exec:
          apiVersion: client.authentication.k8s.io/v1
          command: aws
          args: [eks, get-token]
    extensions:
    - name: client.example.com
      extension: {hello: world}

    """

private func loadYAML(_ text: String) throws -> [String: Any] {
    try #require(try Yams.load(yaml: text) as? [String: Any])
}

private func named(_ list: Any?, _ name: String) -> [String: Any]? {
    (list as? [[String: Any]])?.first { $0["name"] as? String == name }
}

private func names(_ list: Any?) -> [String] {
    (list as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
}

private func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

@Suite("Kubeconfig")
struct KubeconfigTests {
    @Test("merging into no file makes a kubeconfig with podlab's cluster, user and current context")
    func mergeIntoNothing() throws {
        let text = try Kubeconfig.merged(entry, into: nil, path: "/x/config")
        let config = try loadYAML(text)
        #expect(config["apiVersion"] as? String == "v1")
        #expect(config["kind"] as? String == "Config")
        #expect(config["current-context"] as? String == "podlab")
        let cluster = try #require(named(config["clusters"], "podlab")?["cluster"] as? [String: Any])
        #expect(cluster["server"] as? String == "https://127.0.0.1:6443")
        #expect(cluster["certificate-authority-data"] as? String == b64(entry.caPEM))
        let user = try #require(named(config["users"], "podlab-admin")?["user"] as? [String: Any])
        #expect(user["client-certificate-data"] as? String == b64(entry.certPEM))
        #expect(user["client-key-data"] as? String == b64(entry.keyPEM))
        let context = try #require(named(config["contexts"], "podlab")?["context"] as? [String: Any])
        #expect(context["cluster"] as? String == "podlab")
        #expect(context["user"] as? String == "podlab-admin")
        // Base64 blobs stay on one line, as kubectl writes them.
        #expect(text.contains("certificate-authority-data: \(b64(entry.caPEM))\n"))
    }

    @Test("merging into a kind kubeconfig keeps its cluster, user, context and unknown keys")
    func mergeKeepsOthers() throws {
        let text = try Kubeconfig.merged(entry, into: kindConfig, path: "/x/config")
        let config = try loadYAML(text)
        #expect(names(config["clusters"]) == ["kind-kind", "podlab"])
        #expect(names(config["users"]) == ["kind-kind", "podlab-admin"])
        #expect(names(config["contexts"]) == ["kind-kind", "podlab"])
        #expect(config["current-context"] as? String == "podlab")
        #expect((config["preferences"] as? [String: Any])?["colors"] as? Bool == true)
        #expect(names(config["extensions"]) == ["client.example.com"])
        let kindUser = try #require(named(config["users"], "kind-kind")?["user"] as? [String: Any])
        #expect((kindUser["exec"] as? [String: Any])?["args"] as? [String] == ["eks", "get-token"])
        // A quoted number stays a string.
        let kindContext = try #require(named(config["contexts"], "kind-kind")?["context"] as? [String: Any])
        #expect(kindContext["namespace"] as? String == "123")
        // Key order of the original file is kept: `extensions` stays last.
        let usersAt = try #require(text.range(of: "\nusers:")).lowerBound
        let extensionsAt = try #require(text.range(of: "\nextensions:")).lowerBound
        #expect(usersAt < extensionsAt)
    }

    @Test("merging the same entry twice gives the same file")
    func mergeIsIdempotent() throws {
        let once = try Kubeconfig.merged(entry, into: kindConfig, path: "/x/config")
        let twice = try Kubeconfig.merged(entry, into: once, path: "/x/config")
        #expect(twice == once)
        let config = try loadYAML(twice)
        #expect(names(config["clusters"]) == ["kind-kind", "podlab"])
    }

    @Test("re-merging replaces podlab's credentials but keeps a namespace set on its context")
    func remergeReplacesCredentials() throws {
        var withNamespace = try Kubeconfig.merged(entry, into: nil, path: "/x/config")
        // What `kubectl config set-context --current --namespace bluegreen` leaves behind.
        withNamespace = withNamespace.replacingOccurrences(
            of: "    user: podlab-admin\n", with: "    user: podlab-admin\n    namespace: bluegreen\n")
        var newer = entry
        newer.caPEM = "-----BEGIN CERTIFICATE-----\nNEWCA\n-----END CERTIFICATE-----\n"
        newer.server = "https://127.0.0.1:7443"
        let config = try loadYAML(try Kubeconfig.merged(newer, into: withNamespace, path: "/x/config"))
        let cluster = try #require(named(config["clusters"], "podlab")?["cluster"] as? [String: Any])
        #expect(cluster["certificate-authority-data"] as? String == b64(newer.caPEM))
        #expect(cluster["server"] as? String == "https://127.0.0.1:7443")
        let context = try #require(named(config["contexts"], "podlab")?["context"] as? [String: Any])
        #expect(context["namespace"] as? String == "bluegreen")
        #expect(names(config["clusters"]) == ["podlab"])
    }

    @Test("removing podlab's entries keeps the others and clears current-context when it was podlab")
    func removeEntries() throws {
        let merged = try Kubeconfig.merged(entry, into: kindConfig, path: "/x/config")
        let text = try #require(try Kubeconfig.removed(name: "podlab", from: merged, path: "/x/config"))
        let config = try loadYAML(text)
        #expect(names(config["clusters"]) == ["kind-kind"])
        #expect(names(config["users"]) == ["kind-kind"])
        #expect(names(config["contexts"]) == ["kind-kind"])
        #expect(config["current-context"] as? String == "")
        #expect(text.contains("current-context: \"\"\n"))
    }

    @Test("removing leaves current-context alone when another context is current")
    func removeKeepsOtherCurrentContext() throws {
        var merged = try Kubeconfig.merged(entry, into: kindConfig, path: "/x/config")
        merged = merged.replacingOccurrences(of: "current-context: podlab", with: "current-context: kind-kind")
        let text = try #require(try Kubeconfig.removed(name: "podlab", from: merged, path: "/x/config"))
        #expect(try loadYAML(text)["current-context"] as? String == "kind-kind")
    }

    @Test("removing from a file without podlab's entries changes nothing")
    func removeNothing() throws {
        #expect(try Kubeconfig.removed(name: "podlab", from: kindConfig, path: "/x/config") == nil)
    }

    @Test("broken YAML is reported with the file and line")
    func malformedYAML() throws {
        let bad = "apiVersion: v1\nclusters:\n- cluster:\n    server: [unclosed\n  name: x\n"
        let error = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.merged(entry, into: bad, path: "/home/a/.kube/config")
        }
        #expect(error?.path == "/home/a/.kube/config")
        let line = try #require(error?.line)
        #expect((4...6).contains(line), "line \(line)")
        #expect(error?.description.hasPrefix("/home/a/.kube/config:\(line):") == true)
    }

    @Test("a clusters value that is not a list is reported at its line")
    func wrongShape() throws {
        let bad = "apiVersion: v1\nkind: Config\nclusters:\n  name: oops\n"
        let error = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.merged(entry, into: bad, path: "/x/config")
        }
        #expect(error?.line == 4)
        #expect(error?.problem == "clusters: must be a list")
        let top = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.merged(entry, into: "- a\n- b\n", path: "/x/config")
        }
        #expect(top?.problem.contains("top level must be a mapping") == true)
        let item = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.merged(entry, into: "users:\n- name: a\n- just-a-string\n", path: "/x/config")
        }
        #expect(item?.problem == "users[1]: must be a mapping")
        #expect(item?.line == 3)
    }

    @Test("values that YAML would read as another type are quoted")
    func scalarQuoting() throws {
        var odd = entry
        odd.name = "true"
        let config = try loadYAML(try Kubeconfig.merged(odd, into: nil, path: "/x/config"))
        #expect(config["current-context"] as? String == "true")
        #expect(names(config["clusters"]) == ["true"])
    }

    @Test("the standalone kubeconfig holds only podlab's entries and parses like a merged one")
    func standalone() throws {
        let text = Kubeconfig.standalone(entry)
        #expect(text.hasPrefix("apiVersion: v1\nclusters:\n"))
        #expect(text.contains("\npreferences: {}\n"))
        let config = try loadYAML(text)
        #expect(names(config["clusters"]) == ["podlab"])
        #expect(names(config["users"]) == ["podlab-admin"])
        #expect(config["current-context"] as? String == "podlab")
    }
}

// MARK: - Files

@Suite("Kubeconfig files", .serialized)
struct KubeconfigFileTests {
    @Test("merge creates the parent directory 0700 and the file 0600")
    func mergeCreatesFiles() throws {
        let home = try PKITestFiles.tempDir("kc-home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/.kube/config"
        try Kubeconfig.merge(entry, into: path, owner: nil)
        #expect(try PKITestFiles.mode(home + "/.kube") == 0o700)
        #expect(try PKITestFiles.mode(path) == 0o600)
        let config = try loadYAML(try String(contentsOfFile: path, encoding: .utf8))
        #expect(config["current-context"] as? String == "podlab")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/.kube") == ["config"])
    }

    @Test("merge keeps an existing directory's mode and tightens a loose file to 0600")
    func mergeKeepsDirectoryMode() throws {
        let home = try PKITestFiles.tempDir("kc-mode")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(
            atPath: home + "/.kube", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o750])
        let path = home + "/.kube/config"
        try kindConfig.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        try Kubeconfig.merge(entry, into: path, owner: nil)
        #expect(try PKITestFiles.mode(home + "/.kube") == 0o750)
        #expect(try PKITestFiles.mode(path) == 0o600)
        let config = try loadYAML(try String(contentsOfFile: path, encoding: .utf8))
        #expect(names(config["contexts"]) == ["kind-kind", "podlab"])
    }

    @Test("a malformed kubeconfig is left byte for byte as it was")
    func malformedFileUntouched() throws {
        let home = try PKITestFiles.tempDir("kc-bad")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/config"
        let bad = "apiVersion: v1\nclusters: [\n"
        try bad.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        let error = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.merge(entry, into: path, owner: nil)
        }
        #expect(error?.path == path)
        #expect(error?.line != nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == bad)
        #expect(try PKITestFiles.mode(path) == 0o644)
        #expect(throws: KubeconfigError.self) { try Kubeconfig.remove(from: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == bad)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home) == ["config"])
    }

    @Test("remove deletes podlab's entries from the file and leaves a missing file missing")
    func removeFromFile() throws {
        let home = try PKITestFiles.tempDir("kc-rm")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/config"
        try kindConfig.write(toFile: path, atomically: false, encoding: .utf8)
        try Kubeconfig.merge(entry, into: path, owner: nil)
        try Kubeconfig.remove(name: "podlab", from: path)
        let config = try loadYAML(try String(contentsOfFile: path, encoding: .utf8))
        #expect(names(config["clusters"]) == ["kind-kind"])
        #expect(config["current-context"] as? String == "")
        #expect(try PKITestFiles.mode(path) == 0o600)

        let missing = home + "/nothing/config"
        try Kubeconfig.remove(from: missing)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test("a symlinked kubeconfig is updated through the link, which stays a link")
    func symlinkFollowed() throws {
        let home = try PKITestFiles.tempDir("kc-link")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try kindConfig.write(toFile: home + "/real-config", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: home + "/config", withDestinationPath: "real-config")
        try Kubeconfig.merge(entry, into: home + "/config", owner: nil)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: home + "/config") == "real-config")
        let config = try loadYAML(try String(contentsOfFile: home + "/real-config", encoding: .utf8))
        #expect(names(config["clusters"]) == ["kind-kind", "podlab"])
    }

    @Test("merge gives the file and a new directory to the owner passed in", .enabled(if: geteuid() == 0))
    func ownerApplied() throws {
        let home = try PKITestFiles.tempDir("kc-owner")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/.kube/config"
        try Kubeconfig.merge(entry, into: path, owner: (65534, 65534))
        for item in [home + "/.kube", path] {
            let attributes = try FileManager.default.attributesOfItem(atPath: item)
            #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 65534, "\(item)")
            #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue == 65534, "\(item)")
        }
        // A later merge without an owner keeps the file's owner.
        try Kubeconfig.merge(entry, into: path, owner: nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 65534)
    }

    @Test("writeStandalone writes podlab's own kubeconfig 0600")
    func writeStandalone() throws {
        let dir = try PKITestFiles.tempDir("kc-standalone")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Kubeconfig.writeStandalone(entry, to: dir + "/kubeconfig")
        #expect(try PKITestFiles.mode(dir + "/kubeconfig") == 0o600)
        #expect(try String(contentsOfFile: dir + "/kubeconfig", encoding: .utf8) == Kubeconfig.standalone(entry))
    }

    @Test("kubectl reads the merged file: contexts listed, podlab current", .enabled(if: PKITestFiles.kubectl != nil))
    func kubectlReadsIt() throws {
        let home = try PKITestFiles.tempDir("kc-kubectl")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/config"
        try kindConfig.write(toFile: path, atomically: false, encoding: .utf8)
        try Kubeconfig.merge(entry, into: path, owner: nil)
        let contexts = try PKITestFiles.run(
            PKITestFiles.kubectl, ["config", "get-contexts", "-o", "name", "--kubeconfig", path])
        #expect(contexts.status == 0, "\(contexts.output)")
        #expect(contexts.output.split(separator: "\n").sorted() == ["kind-kind", "podlab"])
        let current = try PKITestFiles.run(PKITestFiles.kubectl, ["config", "current-context", "--kubeconfig", path])
        #expect(current.output == "podlab\n")
        let server = try PKITestFiles.run(
            PKITestFiles.kubectl,
            [
                "config", "view", "--raw", "--kubeconfig", path, "-o",
                "jsonpath={.clusters[?(@.name==\"podlab\")].cluster.server}",
            ])
        #expect(server.output == "https://127.0.0.1:6443")
    }
}

@Suite("InvokingUser")
struct InvokingUserTests {
    @Test("root is found in the password database with uid 0")
    func lookupRoot() throws {
        let root = try InvokingUser.lookup(name: "root")
        #expect(root.uid == 0)
        #expect(root.gid == 0)
        #expect(root.home == "/root")
        #expect(root.kubeconfigPath == "/root/.kube/config")
    }

    @Test("no SUDO_USER, or SUDO_USER=root, means no separate invoking user")
    func noSudo() throws {
        #expect(try InvokingUser.fromSudo(environment: [:]) == nil)
        #expect(try InvokingUser.fromSudo(environment: ["SUDO_USER": "root"]) == nil)
    }

    @Test("an unknown SUDO_USER is an error naming the user")
    func unknownUser() throws {
        let error = #expect(throws: UserLookupError.self) {
            try InvokingUser.fromSudo(environment: ["SUDO_USER": "podlab-no-such-user"])
        }
        #expect(error?.description == "user \"podlab-no-such-user\": no such user in the password database")
    }
}
