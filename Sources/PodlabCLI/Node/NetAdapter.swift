import PodlabModel
import PodlabNet

/// The node agent's network calls, made with PodlabNet's NetworkManager and the cluster's topology plan.
struct NetAdapter: PodNetworking {
    let manager: NetworkManager
    let plan: TopologyPlan

    func nodePlan(_ node: NodeNet) throws -> NodeNetworkPlan {
        guard let p = plan.node(named: node.name) else { throw CLIError("node \(node.name) is not in the topology") }
        return p
    }

    func setupPod(netns: String, node: NodeNet, hostVeth: String, ip: String) throws {
        let np = try nodePlan(node)
        guard let address = IPv4Address(ip) else { throw CLIError("bad pod address \(ip)") }
        try manager.setupPod(PodNetworkPlan(
            netns: try NetnsName(netns), nodeNetns: np.netns, hostVeth: try InterfaceName(hostVeth), address: address,
            prefixLength: np.podCIDR.prefixLength, gateway: np.gateway))
    }

    func teardownPod(netns: String, node: NodeNet, hostVeth: String) throws {
        let np = try nodePlan(node)
        try manager.teardownPod(netns: try NetnsName(netns), nodeNetns: np.netns, hostVeth: try InterfaceName(hostVeth))
    }

    func inNode<T: Sendable>(_ node: NodeNet, _ body: @escaping @Sendable () -> T) throws -> T {
        try manager.run(in: try nodePlan(node).netns) { body() }
    }

    func podNetnsNames() -> Set<String> { Set(manager.podNetnsNames()) }

    /// The agent's view of every node in the plan.
    var nodes: [NodeNet] {
        plan.nodes.map {
            NodeNet(name: $0.nodeName, netns: $0.netns.rawValue, wireIP: $0.wireAddress.description, podCIDR: $0.podCIDR)
        }
    }
}
