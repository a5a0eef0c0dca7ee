import ArgumentParser
import Foundation
import PodlabAPI
import PodlabModel

/// `podlab service NAME --url [-n NS]`: the URL to reach a NodePort or LoadBalancer Service from outside the
/// cluster, one line per port, as `minikube service NAME --url` prints it (`http://<node-ip>:<nodePort>`).
struct ServiceURL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Print the URL of a NodePort or LoadBalancer Service (as `minikube service --url`)")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The Service's name") var name: String
    @Option(name: [.short, .customLong("namespace")], help: "The Service's namespace") var namespace = "default"
    @Flag(help: "Print the URLs only (the only output podlab has)") var url = false

    func run() async throws {
        do {
            for line in try await urls() { print(line) }
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    func urls() async throws -> [String] {
        try Privilege.require(for: "service")
        let state = global.state
        guard state.runningDaemon() != nil, let port = state.read(state.portFile).flatMap(Int.init) else {
            throw CLIError("no podlab cluster is running (state dir \(state.path)); start one with `sudo podlab up`")
        }
        let client = APIClient(port: port, tls: try ClusterPKI.load(directory: state.pkiDir).clientTLSConfiguration())
        let service: JSONValue
        do {
            service = try await client.getJSON("/api/v1/namespaces/\(namespace)/services/\(name)")
        } catch let e as StatusError where e.code == 404 {
            throw CLIError("services \"\(name)\" not found in namespace \"\(namespace)\"")
        }
        let nodes = try await client.getJSON("/api/v1/nodes")
        return try Self.urls(service: service, nodes: nodes["items"].array ?? [])
    }

    /// The URLs for a Service, from the first node's InternalIP and each port's nodePort.
    static func urls(service: JSONValue, nodes: [JSONValue]) throws -> [String] {
        let name = service.at("metadata.name").string ?? "?"
        let type = service.at("spec.type").string ?? "ClusterIP"
        guard type == "NodePort" || type == "LoadBalancer" else {
            throw CLIError("service \(name) has type \(type), which no URL reaches from outside the cluster: "
                + "`kubectl expose ... --type NodePort` (or LoadBalancer) makes one")
        }
        guard let ip = nodes.lazy.compactMap({ node in
            (node.at("status.addresses").array ?? []).first { $0["type"] == "InternalIP" }?["address"].string
        }).first else { throw CLIError("no node has an InternalIP yet") }
        let ports = (service.at("spec.ports").array ?? []).compactMap { $0["nodePort"].int }
        guard !ports.isEmpty else { throw CLIError("service \(name) has no nodePort yet") }
        return ports.map { "http://\(ip):\($0)" }
    }
}
