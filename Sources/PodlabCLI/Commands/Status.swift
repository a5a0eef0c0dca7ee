import ArgumentParser
import Foundation
import PodlabAPI
import PodlabModel

/// `podlab status`: the daemon, the API address, the nodes and how many objects of each kind exist.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon, the API, the nodes and object counts")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let state = global.state
        guard let pid = state.runningDaemon() else {
            print("podlab is not running (state dir \(state.path))")
            throw ExitCode(3)
        }
        let port = state.read(state.portFile) ?? "?"
        print("podlabd:  running, pid \(pid)")
        print("API:      https://127.0.0.1:\(port) (kubeconfig \(state.kubeconfig))")
        guard let p = Int(port), let pki = try? ClusterPKI.load(directory: state.pkiDir) else {
            print("(cannot read the cluster certificates in \(state.pkiDir): run as root)")
            return
        }
        let client = APIClient(port: p, tls: try pki.clientTLSConfiguration())
        let nodes = try await client.getJSON("/api/v1/nodes")
        print("Nodes:")
        for node in nodes["items"].array ?? [] {
            let ready = (node.at("status.conditions").array ?? []).first { $0["type"] == "Ready" }
            let status = ready?["status"].string == "True" ? "Ready" : "NotReady"
            let ip = (node.at("status.addresses").array ?? []).first { $0["type"] == "InternalIP" }?["address"].string
            print("  \(node.at("metadata.name").string ?? "?")  \(status)  \(ip ?? "")")
        }
        print("Objects:")
        for r in Resources.all {
            let list = try await client.getJSON("\(r.groupVersionPath)/\(r.plural)")
            let n = list["items"].array?.count ?? 0
            if n > 0 { print("  \(r.groupResource): \(n)") }
        }
    }
}
