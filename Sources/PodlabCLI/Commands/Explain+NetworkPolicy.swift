import Foundation
import PodlabAPI
import PodlabModel
import PodlabNet

/// `podlab explain netpol/NAME` and `podlab explain traffic SRC DST:PORT[/PROTO]`: the NetworkPolicy model the
/// nodes enforce (the same tracer the tests use), and the live counters of the rules in `table inet podlab-netpol`.
extension Explain {
    /// The cluster's policies, pods and namespaces as the nodes' PolicySyncer sees them.
    func policyModel() async throws -> (PolicyModel, APIClient) {
        let state = global.state
        guard state.runningDaemon() != nil, let port = state.read(state.portFile).flatMap(Int.init) else {
            throw CLIError("no podlab cluster is running (state dir \(state.path)); start one with `sudo podlab up`")
        }
        let pki = try ClusterPKI.load(directory: state.pkiDir)
        let client = APIClient(port: port, tls: try pki.clientTLSConfiguration())
        let policies = try await client.getJSON("/apis/networking.k8s.io/v1/networkpolicies")
        let pods = try await client.getJSON("/api/v1/pods")
        let namespaces = try await client.getJSON("/api/v1/namespaces")
        let model = PolicyModel(
            policies: policies["items"].array ?? [], pods: pods["items"].array ?? [],
            namespaces: namespaces["items"].array ?? [])
        return (model, client)
    }

    func explainPolicy(_ name: String) async throws {
        guard !name.isEmpty else { throw CLIError("netpol/NAME needs a name") }
        let (model, _) = try await policyModel()
        if let error = model.errors.first(where: { $0.policy == "\(namespace)/\(name)" }) {
            throw CLIError("not enforced: \(error)")
        }
        guard let policy = model.policies.first(where: { $0.namespace == namespace && $0.name == name }) else {
            throw CLIError("networkpolicies.networking.k8s.io \"\(name)\" not found in namespace \"\(namespace)\"")
        }
        for line in model.describe(policy) { print(line) }
        // The rules this policy put in each node that holds a selected pod, with their counters.
        let names = try NetNames(prefix: global.state.netPrefix)
        let selected = model.pods.filter { model.selects(policy, $0) && $0.ip != nil }
        for node in Set(selected.compactMap(\.node)).sorted() {
            var chains: [String] = []
            for pod in selected where pod.node == node {
                if policy.ingress != nil { chains.append(PolicyRules.chainName(pod, egress: false)) }
                if policy.egress != nil { chains.append(PolicyRules.chainName(pod, egress: true)) }
            }
            let live = try Self.liveChains(chains, netns: names.node(node).rawValue, table: PolicyRuleset.tableRef)
            print("\nnode \(node), table \(PolicyRuleset.tableRef):")
            for chain in chains {
                print("  chain \(chain)")
                let lines = Self.ruleLines(live[chain]).filter { $0.contains("comment \"\(policy.key)\"") || $0.contains(" drop ") }
                for line in lines { print("    \(line)") }
                if live[chain] == nil { print("    (not in the kernel yet)") }
            }
        }
    }

    func explainTraffic(from source: String, to destination: String) async throws {
        let src = try Self.podKey(source, what: "source")
        var dest = destination
        var proto = "TCP"
        if let slash = dest.lastIndex(of: "/"), dest.lastIndex(of: ":").map({ $0 < slash }) == true {
            proto = dest[dest.index(after: slash)...].uppercased()
            dest = String(dest[..<slash])
        }
        guard ["TCP", "UDP", "SCTP"].contains(proto) else { throw CLIError("protocol must be tcp, udp or sctp, got \"\(proto)\"") }
        guard let colon = dest.lastIndex(of: ":"), let port = Int(dest[dest.index(after: colon)...]),
              (1...65535).contains(port)
        else { throw CLIError("destination \"\(destination)\" needs a port: NS/POD:PORT[/PROTO]") }
        let dst = try Self.podKey(String(dest[..<colon]), what: "destination")
        let (model, _) = try await policyModel()
        guard let from = model.pod(src), let fromIP = from.ip else { throw CLIError("pod \(src) not found or has no IP yet") }
        guard let to = model.pod(dst), let toIP = to.ip else { throw CLIError("pod \(dst) not found or has no IP yet") }
        let trace = model.trace(from: fromIP, to: toIP, port: port, protocol: proto)
        print(trace)
        let names = try NetNames(prefix: global.state.netPrefix)
        for (pod, egress, side) in [(from, true, trace.egress), (to, false, trace.ingress)] {
            guard let side, !side.isolatedBy.isEmpty, let node = pod.node else { continue }
            let chain = PolicyRules.chainName(pod, egress: egress)
            let live = try Self.liveChains([chain], netns: names.node(node).rawValue, table: PolicyRuleset.tableRef)
            print("\nnode \(node), chain \(chain) (counters count new connections):")
            for line in Self.ruleLines(live[chain]) { print("  \(line)") }
        }
    }

    /// `ns/pod` -> itself, checked.
    static func podKey(_ text: String, what: String) throws -> String {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw CLIError("\(what) \"\(text)\" must be NAMESPACE/POD")
        }
        return text
    }

    /// The rule lines of an `nft list chain` listing, without the table and chain braces.
    static func ruleLines(_ listing: String?) -> [String] {
        (listing ?? "").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("table ") && !$0.hasPrefix("chain ") && $0 != "}" }
    }
}
