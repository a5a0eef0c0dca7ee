import Foundation
import PodlabAPI
import Yams

/// What podlab puts into a kubeconfig: one cluster, one user and one context, all named after `name`.
public struct KubeconfigEntry: Sendable, Equatable {
    /// The API server URL, e.g. `https://127.0.0.1:6443`.
    public var server: String
    /// The cluster CA certificate (PEM), written as `certificate-authority-data`.
    public var caPEM: String
    /// The admin client certificate (PEM), written as `client-certificate-data`.
    public var certPEM: String
    /// The admin client key (PEM), written as `client-key-data`.
    public var keyPEM: String
    /// The cluster and context name; the user is `<name>-admin`.
    public var name: String

    /// Makes an entry; `name` defaults to `podlab`.
    public init(server: String, caPEM: String, certPEM: String, keyPEM: String, name: String = "podlab") {
        self.server = server
        self.caPEM = caPEM
        self.certPEM = certPEM
        self.keyPEM = keyPEM
        self.name = name
    }

    /// The `clusters[].name` and `contexts[].name` podlab owns.
    public var clusterName: String { name }
    /// The `contexts[].name` podlab owns (made current on merge).
    public var contextName: String { name }
    /// The `users[].name` podlab owns.
    public var userName: String { Kubeconfig.userName(for: name) }
}

/// A kubeconfig that could not be read, parsed or written; `line`/`column` point into the file when known.
public struct KubeconfigError: Error, CustomStringConvertible, Equatable {
    /// The kubeconfig file.
    public var path: String
    /// 1-based line of the problem, if known.
    public var line: Int?
    /// 1-based column of the problem, if known.
    public var column: Int?
    /// What is wrong.
    public var problem: String

    /// Printed as `/root/.kube/config:7:3: clusters[1]: must be a mapping`.
    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let line, line > 0, let column { location += ":\(column)" }
        return "\(location): \(problem)"
    }

    /// Makes an error about `path`.
    public init(path: String, line: Int? = nil, column: Int? = nil, problem: String) {
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
    }
}

/// Reads, merges and writes kubeconfig files the way kind does: podlab's cluster, user and context are added or
/// replaced, everything else in the file (other clusters, unknown keys, key order) is kept.
public enum Kubeconfig {
    /// The user entry name for a cluster entry name.
    public static func userName(for name: String) -> String { "\(name)-admin" }

    /// Adds or replaces podlab's cluster, user and context in the kubeconfig at `path` and makes the context current.
    ///
    /// A missing (or empty) file is created. The parent directory is created (0700, owned by `owner`) if missing;
    /// an existing one keeps its mode. The file is replaced atomically with mode 0600, owned by `owner` if given,
    /// else by its previous owner. Idempotent: merging the same entry twice gives the same file.
    /// Throws `KubeconfigError` (file, line, column) for a malformed file, which is then left untouched,
    /// and `FileError` when writing fails.
    public static func merge(_ entry: KubeconfigEntry, into path: String, owner: (uid_t, gid_t)?) throws {
        let text = try readIfPresent(path)
        let output = try merged(entry, into: text, path: path)
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            try PrivateFile.ensureDirectory(parent, mode: 0o700, owner: owner.map { (uid: $0.0, gid: $0.1) })
        }
        try PrivateFile.write(output, to: path, owner: owner.map { (uid: $0.0, gid: $0.1) })
    }

    /// Removes the cluster, user and context called `name` (user `<name>-admin`) from the kubeconfig at `path`,
    /// and clears `current-context` if it was `name`, as `kind delete cluster` does.
    ///
    /// A missing file, or one without podlab's entries, is left alone (not rewritten). The file keeps its owner
    /// and is written atomically with mode 0600. Throws `KubeconfigError` for a malformed file (left untouched).
    public static func remove(name: String = "podlab", from path: String) throws {
        guard let text = try readIfPresent(path) else { return }
        guard let output = try removed(name: name, from: text, path: path) else { return }
        try PrivateFile.write(output, to: path)
    }

    /// The text of a kubeconfig holding only `entry`, its context current (podlab's own `<stateDir>/kubeconfig`).
    public static func standalone(_ entry: KubeconfigEntry) -> String {
        let root = Node.Mapping([
            (key("apiVersion"), scalar("v1")),
            (key("clusters"), Node([clusterNode(entry)])),
            (key("contexts"), Node([contextNode(entry)])),
            (key("current-context"), scalar(entry.contextName)),
            (key("kind"), scalar("Config")),
            (key("preferences"), Node.mapping(Node.Mapping([], .implicit, .flow))),
            (key("users"), Node([userNode(entry)])),
        ])
        // Serialising a tree built only from strings cannot fail; fall back to a hand-written form regardless,
        // because this function must not throw for callers that just print it.
        return (try? emit(.mapping(root))) ?? fallbackText(entry)
    }

    /// Writes `standalone(entry)` to `path` atomically, mode 0600, owned by `owner` if given.
    public static func writeStandalone(_ entry: KubeconfigEntry, to path: String, owner: (uid_t, gid_t)? = nil) throws {
        try PrivateFile.write(standalone(entry), to: path, owner: owner.map { (uid: $0.0, gid: $0.1) })
    }

    // MARK: - Pure forms (text in, text out), tested without touching files

    /// The text of kubeconfig `text` (nil: no file) with `entry` merged in. `path` is only used in errors.
    static func merged(_ entry: KubeconfigEntry, into text: String?, path: String) throws -> String {
        var root = try parse(text, path: path) ?? Node.Mapping([])
        if root["apiVersion"] == nil { root["apiVersion"] = scalar("v1") }
        if root["kind"] == nil { root["kind"] = scalar("Config") }
        try upsert(clusterNode(entry), named: entry.clusterName, in: "clusters", of: &root, path: path)
        try upsert(userNode(entry), named: entry.userName, in: "users", of: &root, path: path)
        // The context keeps keys the user added (`kubectl config set-context --current --namespace x`).
        try upsert(
            contextNode(entry), named: entry.contextName, in: "contexts", of: &root, path: path, keepExtraKeys: true)
        root["current-context"] = scalar(entry.contextName)
        return try emit(.mapping(root))
    }

    /// The text of kubeconfig `text` without podlab's entries, or nil when nothing had to change.
    static func removed(name: String, from text: String, path: String) throws -> String? {
        guard var root = try parse(text, path: path) else { return nil }
        var changed = false
        changed = try removeEntry(named: name, from: "clusters", of: &root, path: path) || changed
        changed = try removeEntry(named: userName(for: name), from: "users", of: &root, path: path) || changed
        changed = try removeEntry(named: name, from: "contexts", of: &root, path: path) || changed
        if root["current-context"]?.string == name {
            root["current-context"] = scalar("")
            changed = true
        }
        return changed ? try emit(.mapping(root)) : nil
    }

    // MARK: - Tree helpers

    /// Parses `text` into its top-level mapping; nil for no file, an empty file or a null document.
    static func parse(_ text: String?, path: String) throws -> Node.Mapping? {
        guard let text, !text.allSatisfy(\.isWhitespace) else { return nil }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw kubeconfigError(error, text: text, path: path)
        } catch {
            throw KubeconfigError(path: path, problem: "not valid YAML: \(error)")
        }
        guard let node else { return nil }
        switch node {
        case .mapping(let mapping):
            for field in ["clusters", "users", "contexts"] {
                _ = try entries(field, of: mapping, path: path)
            }
            if let current = mapping["current-context"], current.scalar == nil {
                throw located(current, path: path, "current-context: must be a string")
            }
            return mapping
        case .scalar where node.null != nil:
            return nil
        default:
            throw located(node, path: path, "not a kubeconfig: the top level must be a mapping")
        }
    }

    /// The entries of list `field` (each checked to be a mapping with a string `name`); [] when absent or null.
    private static func entries(_ field: String, of root: Node.Mapping, path: String) throws -> [Node] {
        guard let value = root[field] else { return [] }
        if value.null != nil { return [] }
        guard let sequence = value.sequence else {
            throw located(value, path: path, "\(field): must be a list")
        }
        for (index, item) in sequence.enumerated() {
            guard let mapping = item.mapping else {
                throw located(item, path: path, "\(field)[\(index)]: must be a mapping")
            }
            if let name = mapping["name"], name.scalar == nil {
                throw located(name, path: path, "\(field)[\(index)].name: must be a string")
            }
        }
        return Array(sequence)
    }

    private static func upsert(
        _ entry: Node, named name: String, in field: String, of root: inout Node.Mapping, path: String,
        keepExtraKeys: Bool = false
    ) throws {
        var items = try entries(field, of: root, path: path)
        if let index = items.firstIndex(where: { $0.mapping?["name"]?.string == name }) {
            items[index] = keepExtraKeys ? overlay(entry, onto: items[index]) : entry
            // Later duplicates would shadow nothing in kubectl (first wins) but confuse readers: drop them.
            items = items.enumerated().filter { $0.offset <= index || $0.element.mapping?["name"]?.string != name }
                .map(\.element)
        } else {
            items.append(entry)
        }
        setList(items, field, in: &root)
    }

    private static func removeEntry(
        named name: String, from field: String, of root: inout Node.Mapping, path: String
    ) throws -> Bool {
        let items = try entries(field, of: root, path: path)
        let kept = items.filter { $0.mapping?["name"]?.string != name }
        guard kept.count != items.count else { return false }
        setList(kept, field, in: &root)
        return true
    }

    /// Writes `items` back to `field` as a block list (an empty one as `[]`, which kubectl reads as empty).
    private static func setList(_ items: [Node], _ field: String, in root: inout Node.Mapping) {
        let style: Node.Sequence.Style = items.isEmpty ? .flow : .block
        root[field] = .sequence(Node.Sequence(items, .implicit, style))
    }

    /// `new`'s keys, recursively laid over `old`: nested mappings merge, other values are replaced, and
    /// keys only in `old` stay where they were.
    private static func overlay(_ new: Node, onto old: Node) -> Node {
        guard var result = old.mapping, let incoming = new.mapping else { return new }
        for (key, value) in incoming {
            if let existing = result[key] {
                result[key] = overlay(value, onto: existing)
            } else {
                result[key] = value
            }
        }
        return .mapping(result)
    }

    private static func clusterNode(_ entry: KubeconfigEntry) -> Node {
        .mapping(
            Node.Mapping([
                (
                    key("cluster"),
                    .mapping(
                        Node.Mapping([
                            (key("certificate-authority-data"), scalar(base64(entry.caPEM))),
                            (key("server"), scalar(entry.server)),
                        ]))
                ),
                (key("name"), scalar(entry.clusterName)),
            ]))
    }

    private static func contextNode(_ entry: KubeconfigEntry) -> Node {
        .mapping(
            Node.Mapping([
                (
                    key("context"),
                    .mapping(
                        Node.Mapping([
                            (key("cluster"), scalar(entry.clusterName)),
                            (key("user"), scalar(entry.userName)),
                        ]))
                ),
                (key("name"), scalar(entry.contextName)),
            ]))
    }

    private static func userNode(_ entry: KubeconfigEntry) -> Node {
        .mapping(
            Node.Mapping([
                (key("name"), scalar(entry.userName)),
                (
                    key("user"),
                    .mapping(
                        Node.Mapping([
                            (key("client-certificate-data"), scalar(base64(entry.certPEM))),
                            (key("client-key-data"), scalar(base64(entry.keyPEM))),
                        ]))
                ),
            ]))
    }

    private static func key(_ string: String) -> Node { Node(string) }

    /// A string scalar that reads back as a string: values YAML would resolve to another type ("", "true",
    /// "123", "null") are double-quoted, as kubectl quotes them.
    static func scalar(_ string: String) -> Node {
        let plain = Node(string)
        if Resolver.default.resolveTag(of: plain) == .str { return plain }
        return Node(string, Tag(.str), .doubleQuoted)
    }

    private static func base64(_ pem: String) -> String { Data(pem.utf8).base64EncodedString() }

    private static func emit(_ node: Node) throws -> String {
        // Unlimited width: base64 blobs stay on one line, as kubectl writes them.
        try Yams.serialize(node: node, width: -1, allowUnicode: true)
    }

    private static func fallbackText(_ entry: KubeconfigEntry) -> String {
        """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: \(base64(entry.caPEM))
            server: \(entry.server)
          name: \(entry.clusterName)
        contexts:
        - context:
            cluster: \(entry.clusterName)
            user: \(entry.userName)
          name: \(entry.contextName)
        current-context: \(entry.contextName)
        kind: Config
        preferences: {}
        users:
        - name: \(entry.userName)
          user:
            client-certificate-data: \(base64(entry.certPEM))
            client-key-data: \(base64(entry.keyPEM))

        """
    }

    // MARK: - Files and errors

    /// The file's text, or nil if it does not exist.
    private static func readIfPresent(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeconfigError(path: path, problem: "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KubeconfigError(path: path, problem: "not UTF-8 text")
        }
        return text
    }

    private static func located(_ node: Node, path: String, _ problem: String) -> KubeconfigError {
        KubeconfigError(path: path, line: node.mark?.line, column: node.mark?.column, problem: problem)
    }

    private static func kubeconfigError(_ error: YamlError, text: String, path: String) -> KubeconfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return KubeconfigError(
                path: path, line: mark.line, column: mark.column, problem: "invalid YAML: \(problem)")
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in text.prefix(offset).filter { $0 == "\n" }.count + 1 }
            return KubeconfigError(path: path, line: line, problem: "unreadable YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return KubeconfigError(
                path: path, line: context.mark.line, column: context.mark.column,
                problem: "duplicate key \(duplicates.joined(separator: ", ")) in a mapping")
        default:
            return KubeconfigError(path: path, problem: "invalid YAML: \(error)")
        }
    }
}
