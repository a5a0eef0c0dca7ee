import Foundation
import Logging
import PodlabAPI
import PodlabModel
import PodlabNet
import PodlabStore

/// podlabd: the store, the HTTPS API and the controllers in one process.
public struct Daemon: Sendable {
    public var state: StateDir
    public var apiHost: String
    public var apiPort: Int
    public var nodes: Int
    /// `podlab up --dns-upstream`: resolvers cluster DNS forwards outside names to (nil: leave the Corefile).
    public var dnsUpstreams: [String]?
    public var logger: Logger

    public init(state: StateDir, apiHost: String = "127.0.0.1", apiPort: Int, nodes: Int, logger: Logger) {
        self.state = state
        self.apiHost = apiHost
        self.apiPort = apiPort
        self.nodes = nodes
        self.logger = logger
    }

    /// Builds (or, after a restart, adopts) the wire, outside and node namespaces. Blocking netlink work.
    func buildNetwork() throws -> NetAdapter {
        try Capabilities.check()
        let plan = try TopologyPlan(prefix: state.netPrefix, nodeNames: Daemon.nodeNames(nodes))
        let manager = try NetworkManager(prefix: state.netPrefix, stateFile: state.netStateFile, logger: logger)
        try manager.buildTopology(plan)
        logger.info("network: \(plan.allNetns.map(\.rawValue).joined(separator: ", "))")
        return NetAdapter(manager: manager, plan: plan)
    }

    /// The API's port on the control-plane node's wire address (kube-apiserver's).
    static let nodeAPIPort = 6443

    /// The node names of an N-node cluster, as kind names them.
    public static func nodeNames(_ n: Int) -> [String] {
        (0..<n).map { i in i == 0 ? "podlab-control-plane" : (i == 1 ? "podlab-worker" : "podlab-worker\(i)") }
    }

    /// Runs until SIGTERM or SIGINT, then stops the API and controllers. A failure to start throws.
    public func run() async throws {
        try state.create()
        let store = try ClusterStore(directory: state.storeDir)
        for note in await store.recoveryNotes { logger.notice("store: \(note)") }
        let network = try buildNetwork()
        defer { network.manager.shutdown() }
        let nodeNets = network.nodes
        let addresses = Dictionary(uniqueKeysWithValues: nodeNets.map { ($0.name, $0.wireIP) })
        let pki = try ClusterPKI.loadOrCreate(
            directory: state.pkiDir, serverIPs: [network.plan.nodes[0].wireAddress.description])
        // The CA goes into every namespace's kube-root-ca.crt ConfigMap, as on a real cluster.
        // The API also answers on the control-plane node's wire address, port 6443: the `kubernetes` Service's
        // endpoint, so 10.96.0.1:443 reaches the API from pods as on a kubeadm cluster.
        let controlPlane = network.plan.nodes[0]
        let nodeSocket = try NodeListener.open(
            network.manager, netns: controlPlane.netns, address: controlPlane.wireAddress, port: Daemon.nodeAPIPort)
        var config = ClusterConfig(
            nodes: Daemon.nodeNames(nodes), apiServerIP: controlPlane.wireAddress.description,
            apiServerPort: Daemon.nodeAPIPort, rootCACertificate: pki.caPEM, nodeAddresses: addresses)
        config.dnsUpstreams = dnsUpstreams ?? []
        try await Daemon.bootstrap(store, config: config, logger: logger)
        if let dnsUpstreams { try await Daemon.setCorefile(store, upstreams: dnsUpstreams, logger: logger) }
        let executable = try Spawn.selfExecutable()
        let streams = PodStreamsConfig(podsDir: state.podsDir, podlabExecutable: executable, spawner: NSExecSpawner())
        let api = KubeAPI(store: store, network: ServiceNetworkConfig(), streams: streams)
        let server = APIServer(
            host: apiHost, port: apiPort, tls: try pki.serverTLSConfiguration(), handler: api, logger: logger)
        let nodeServer = APIServer(
            boundSocket: nodeSocket, address: "\(controlPlane.wireAddress):\(Daemon.nodeAPIPort)",
            tls: try pki.serverTLSConfiguration(), handler: api, logger: logger)
        let controllers = ControllerLoop(store: store, config: config, logger: logger)
        let names = network.plan.names
        let agent = NodeAgent(
            store: store, net: network, nodes: nodeNets, podsDir: state.podsDir, executable: executable,
            netNames: { ns, name in names.pod(namespace: ns, name: name).rawValue },
            vethName: { uid in names.hostVeth(podUID: uid).rawValue },
            dns: PodFiles.DNS(nodeResolvConf: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""),
            logger: logger)
        let proxy = ProxySyncer(
            store: store, manager: network.manager,
            nodes: network.plan.nodes.map {
                ProxySyncer.Node(
                    name: $0.nodeName, netns: $0.netns,
                    config: KubeProxyConfig(nodeName: $0.nodeName, nodeIPs: [$0.wireAddress]))
            },
            logger: logger)
        let policy = PolicySyncer(
            store: store, manager: network.manager,
            nodes: network.plan.nodes.map { PolicySyncer.Node(name: $0.nodeName, netns: $0.netns) }, logger: logger)
        let state = self.state
        let logger = self.logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run { port in
                    try? state.write(state.portFile, String(port))
                    logger.info("API listening on https://127.0.0.1:\(port)")
                }
            }
            group.addTask {
                try await nodeServer.run { _ in
                    logger.info("API listening on https://\(controlPlane.wireAddress):\(Daemon.nodeAPIPort) in \(controlPlane.netns)")
                }
            }
            group.addTask { await controllers.run() }
            group.addTask { await agent.run() }
            group.addTask { await proxy.run() }
            group.addTask { await policy.run() }
            group.addTask {
                let signal = await SignalWaiter.waitForTermination()
                logger.info("received \(signal), shutting down")
            }
            // The first child to finish (a signal, or the server failing) ends the daemon.
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Rewrites the `coredns` ConfigMap's Corefile for `upstreams` when it differs (an `up --dns-upstream` on an
    /// existing cluster); the DNS pods follow the ConfigMap and pick it up within a moment.
    static func setCorefile(_ store: ClusterStore, upstreams: [String], logger: Logger) async throws {
        let text = CoreDNSAddon.corefile(upstreams: upstreams)
        guard var cm = await store.get(Resources.configMaps, namespace: CoreDNSAddon.namespace, name: CoreDNSAddon.name),
              cm["data"]["Corefile"].string != text else { return }
        cm["data"]["Corefile"] = .string(text)
        _ = try await store.update(Resources.configMaps, cm)
        logger.info("coredns: Corefile now forwards to \(upstreams.isEmpty ? "nothing" : upstreams.joined(separator: " "))")
    }

    /// Creates the objects every cluster has (namespaces, the kubernetes and kube-dns Services, nodes, the
    /// add-ons) where they do not exist yet; a restarted daemon finds them in the store and leaves them. Services
    /// without a fixed cluster IP (ingress-nginx's LoadBalancer) get theirs and their node ports as the API
    /// would allocate them.
    static func bootstrap(_ store: ClusterStore, config: ClusterConfig, logger: Logger) async throws {
        var rng = SystemRandomNumberGenerator()
        for (r, obj) in Bootstrap.objects(config: config) {
            let name = obj.at("metadata.name").string ?? ""
            let ns = obj.at("metadata.namespace").string
            if await store.get(r, namespace: ns, name: name) != nil { continue }
            var o = obj
            Defaulting.apply(&o, resource: r)
            if r == Resources.services {
                let existing = await store.list(Resources.services, namespace: nil).items
                let errors = ServiceAllocation.allocate(
                    &o, old: nil, existing: existing, config: ServiceNetworkConfig(), using: &rng)
                if let first = errors.first { throw CLIError("bootstrap Service \(ns ?? "")/\(name): \(first)") }
            }
            _ = try await store.create(r, o)
        }
    }
}

/// Waits for SIGTERM or SIGINT without installing a process-wide handler that would kill the process.
enum SignalWaiter {
    static func waitForTermination() async -> String {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { sig, name in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { continuation.yield(name) }
            s.resume()
            return s
        }
        defer { sources.forEach { $0.cancel() } }
        for await name in stream { return name }
        return "cancellation"
    }
}
