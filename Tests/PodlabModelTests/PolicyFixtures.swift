@testable import PodlabModel

/// The upstream e2e netpol model: namespaces x, y, z (labelled `ns=<name>`), pods a, b, c in each (labelled
/// `pod=<name>`), each serving TCP 80 and 81 and UDP 80 on named ports `serve-<port>-<proto>`; x/* and y/a on
/// node n1, the rest on n2.
enum PolicyFixtures {
    static let namespaces = ["x", "y", "z"]
    static let podNames = ["a", "b", "c"]
    static let keys = namespaces.flatMap { ns in podNames.map { "\(ns)/\($0)" } }

    static func pods(labels: [String: [String: String]] = [:]) -> [PolicyPod] {
        namespaces.enumerated().flatMap { i, ns in
            podNames.enumerated().map { j, name in
                PolicyPod(
                    namespace: ns, name: name, ip: IPv4Address("10.244.\(i + 1).\(j + 2)"),
                    labels: labels["\(ns)/\(name)"] ?? ["pod": name],
                    node: (ns == "x" || (ns == "y" && name == "a")) ? "n1" : "n2",
                    ports: [
                        .init(name: "serve-80-tcp", port: 80), .init(name: "serve-81-tcp", port: 81),
                        .init(name: "serve-80-udp", port: 80, protocol: "UDP"),
                    ])
            }
        }
    }

    static func model(_ yaml: String, labels: [String: [String: String]] = [:],
                      nsLabels: [String: [String: String]] = [:]) throws -> PolicyModel {
        let policies = try Self.policies(yaml).map { try CompiledPolicy($0) }
        return PolicyModel(
            pods: pods(labels: labels),
            namespaces: namespaces.map { PolicyNamespace(name: $0, labels: nsLabels[$0] ?? ["ns": $0]) },
            policies: policies)
    }

    /// The NetworkPolicies of a YAML stream whose documents may leave out `apiVersion`.
    static func policies(_ yaml: String) throws -> [NetworkPolicy] {
        if yaml.isEmpty { return [] }
        let text = yaml.components(separatedBy: "\n---\n").map { doc in
            doc.contains("apiVersion:") ? doc : "apiVersion: networking.k8s.io/v1\n" + doc
        }.joined(separator: "\n---\n")
        return try ManifestLoader.load(text, source: "test.yaml").map { try $0.object.decode(as: NetworkPolicy.self) }
    }

    /// A table from rows of 9 marks each, in `keys` order (x/a first).
    static func table(_ rows: [String]) -> PolicyTruthTable {
        let text = "-\t" + keys.joined(separator: "\t") + "\n"
            + zip(keys, rows).map { k, r in k + "\t" + r.map(String.init).joined(separator: "\t") }.joined(separator: "\n")
        return PolicyTruthTable(parsing: text)!
    }
}
