import ArgumentParser
import CPodlabShim
import Foundation
import PodlabAPI
import PodlabModel
import PodlabNet

/// `podlab explain svc/NAME [-n NS]`: where a Service's packets go. For every node: the map elements that send
/// the Service's addresses and ports to its chains, the chains themselves (as kube-proxy's nftables mode names
/// them), and the live packet and byte counters of each endpoint chain, read from that node's kernel.
/// `podlab explain ingress/NAME`: the ingress controller's routes for that Ingress (host, path, type,
/// service:port, ready endpoints).
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the nftables chains and live counters of a Service or a NetworkPolicy, or the routes of an Ingress",
        discussion: """
            podlab explain svc/NAME [-n NS]            a Service's map elements, chains and endpoint counters
            podlab explain ingress/NAME [-n NS]        the ingress controller's routes for an Ingress
            podlab explain netpol/NAME [-n NS]         the pods a NetworkPolicy isolates and the peers it allows
            podlab explain traffic NS/POD NS/POD:PORT[/PROTO]
                                                       whether a new connection is allowed, by which policies,
                                                       and the counters of the rules that decide it
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "svc/NAME (or NAME), ingress/NAME (ing/NAME), netpol/NAME, or `traffic`") var target: String
    @Argument(help: "For traffic: the source pod NS/POD and the destination NS/POD:PORT[/PROTO]") var rest: [String] = []
    @Option(name: [.short, .customLong("namespace")], help: "The object's namespace") var namespace = "default"

    func run() async throws {
        do {
            try await explain()
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The Service name from `svc/NAME`, `service/NAME`, `services/NAME` or `NAME`.
    static func serviceName(_ target: String) throws -> String {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where !parts[0].isEmpty: return parts[0]
        case 2 where ["svc", "service", "services"].contains(parts[0].lowercased()) && !parts[1].isEmpty: return parts[1]
        default: throw CLIError("\"\(target)\" is not a Service: use svc/NAME, ingress/NAME, netpol/NAME or traffic")
        }
    }

    func explain() async throws {
        try Privilege.require(for: "explain")
        let lower = target.lowercased()
        if lower == "traffic" {
            guard rest.count == 2 else {
                throw CLIError("explain traffic needs a source and a destination: NS/POD NS/POD:PORT[/PROTO]")
            }
            return try await explainTraffic(from: rest[0], to: rest[1])
        }
        if let slash = lower.firstIndex(of: "/"),
           ["netpol", "networkpolicy", "networkpolicies"].contains(String(lower[..<slash]))
        {
            return try await explainPolicy(String(target[target.index(after: slash)...]))
        }
        guard rest.isEmpty else { throw CLIError("unexpected arguments: \(rest.joined(separator: " "))") }
        let ingress = Self.ingressName(target)
        let name = try ingress ?? Self.serviceName(target)
        let state = global.state
        guard state.runningDaemon() != nil, let port = state.read(state.portFile).flatMap(Int.init) else {
            throw CLIError("no podlab cluster is running (state dir \(state.path)); start one with `sudo podlab up`")
        }
        let pki = try ClusterPKI.load(directory: state.pkiDir)
        let client = APIClient(port: port, tls: try pki.clientTLSConfiguration())
        if let ingress { return try await explainIngress(ingress, client: client) }
        let service: JSONValue
        do {
            service = try await client.getJSON("/api/v1/namespaces/\(namespace)/services/\(name)")
        } catch let e as StatusError where e.code == 404 {
            throw CLIError("services \"\(name)\" not found in namespace \"\(namespace)\"")
        }
        let slices = try await client.getJSON(
            "/apis/discovery.k8s.io/v1/namespaces/\(namespace)/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D\(name)")
        let nodes = try await client.getJSON("/api/v1/nodes")
        let names = try NetNames(prefix: state.netPrefix)
        print("Service \(namespace)/\(name): type \(service.at("spec.type").string ?? "ClusterIP"), "
            + "clusterIP \(service.at("spec.clusterIP").string ?? "-")")
        for node in nodes["items"].array ?? [] {
            let nodeName = node.at("metadata.name").string ?? ""
            let ips = (node.at("status.addresses").array ?? []).filter { $0["type"] == "InternalIP" }
                .compactMap { $0["address"].string.flatMap(IPv4Address.init) }
            let rules = KubeProxyRules.desired(
                services: [service], endpointSlices: slices["items"].array ?? [],
                node: KubeProxyConfig(nodeName: nodeName, nodeIPs: ips))
            print("\nnode \(nodeName) (\(ips.map(\.description).joined(separator: ", "))), table ip kube-proxy:")
            let label = "\(namespace)/\(name)"
            for set in rules.sets {
                for element in set.elements where element.comment?.hasPrefix(label + ":") == true
                    || element.comment == label || (element.value ?? "").contains("-\(label)/")
                {
                    print("  \(set.name): \(element.key)\(element.value.map { " : \($0)" } ?? "")")
                }
            }
            let mine = rules.chains.filter { $0.name.contains("-\(label)/") }
            let live = try Self.liveChains(mine.map(\.name), netns: names.node(nodeName).rawValue)
            for chain in mine {
                print("  chain \(chain.name)")
                for rule in chain.rules { print("    \(rule)") }
                if chain.name.hasPrefix("endpoint-") {
                    let counter = live[chain.name].flatMap(Self.counter) ?? "no counter read"
                    print("    => \(counter)")
                }
            }
            if mine.isEmpty { print("  no chains (headless, ExternalName, or no ports)") }
        }
    }

    /// `packets N bytes M` from a listed chain's counter, if it has one.
    static func counter(_ listing: String) -> String? {
        guard let r = listing.range(of: #"counter packets \d+ bytes \d+"#, options: .regularExpression) else { return nil }
        return String(listing[r].dropFirst("counter ".count))
    }

    /// `nft list chain` for each chain, read on a thread that has entered the node's network namespace.
    static func liveChains(_ chains: [String], netns: String, table: String = "ip kube-proxy") throws -> [String: String] {
        let path = "/run/netns/" + netns
        let result = Mutex<Result<[String: String], CLIError>>(.success([:]))
        let done = DispatchSemaphore(value: 0)
        // A thread of its own, which ends after the read: setns acts on the calling thread only.
        let thread = Thread {
            defer { done.signal() }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0, podlab_setns(fd, PODLAB_CLONE_NEWNET) == 0 else {
                result.withLock { $0 = .failure(CLIError("cannot enter \(netns): \(String(cString: strerror(errno)))")) }
                return
            }
            close(fd)
            var out: [String: String] = [:]
            if let nft = try? NftContext(subject: "netns \(netns)") {
                for chain in chains { out[chain] = try? nft.run("list chain \(table) \(chain)") }
            }
            result.withLock { $0 = .success(out) }
        }
        thread.start()
        done.wait()
        return try result.withLock { try $0.get() }
    }
}

import Synchronization
