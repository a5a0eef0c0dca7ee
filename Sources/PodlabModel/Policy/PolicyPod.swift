/// A pod as NetworkPolicy sees it: where it lives, its address, its labels and its named container ports.
public struct PolicyPod: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// nil until the pod has an address; such a pod is neither selected on the wire nor a peer.
    public var ip: IPv4Address?
    public var labels: [String: String]
    public var node: String?
    /// containerPorts of every container, for named ports (`spec.containers[*].ports[*]`).
    public var ports: [NamedPort]
    /// Pods on the host network are not isolated by NetworkPolicy and never match a pod selector.
    public var hostNetwork: Bool

    /// One named containerPort: `name` -> `port` over `protocol` (TCP, UDP or SCTP).
    public struct NamedPort: Sendable, Hashable {
        public var name: String
        public var port: Int
        public var `protocol`: String
        public init(name: String, port: Int, protocol: String = "TCP") {
            self.name = name
            self.port = port
            self.protocol = `protocol`
        }
    }

    public init(
        namespace: String, name: String, ip: IPv4Address?, labels: [String: String] = [:], node: String? = nil,
        ports: [NamedPort] = [], hostNetwork: Bool = false
    ) {
        self.namespace = namespace
        self.name = name
        self.ip = ip
        self.labels = labels
        self.node = node
        self.ports = ports
        self.hostNetwork = hostNetwork
    }

    /// `namespace/name`.
    public var key: String { "\(namespace)/\(name)" }

    /// From a Pod object: its podIP, labels, nodeName and the named ports of its containers.
    public init(_ pod: Pod) {
        let containers = pod.spec?.containers ?? []
        self.init(
            namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name ?? "",
            ip: pod.status?.podIP.flatMap { IPv4Address($0) }, labels: pod.metadata.labels ?? [:],
            node: pod.spec?.nodeName,
            ports: containers.flatMap { c in
                (c.ports ?? []).compactMap { p in
                    guard let name = p.name, !name.isEmpty, let port = p.containerPort else { return nil }
                    return NamedPort(name: name, port: Int(port), protocol: p.protocol ?? "TCP")
                }
            },
            hostNetwork: pod.spec?.hostNetwork ?? false)
    }

    /// From a Pod as the store holds it, read field by field (a Codable decode of every pod at every sync costs
    /// more than the rest of the model). Nil for a pod that is done (Succeeded, Failed) or being deleted: its
    /// address is gone or about to be.
    public init?(json pod: JSONValue) {
        let meta = pod["metadata"]
        let phase = pod["status"]["phase"].string
        guard phase != "Succeeded", phase != "Failed", meta["deletionTimestamp"].string == nil else { return nil }
        var ports: [NamedPort] = []
        for container in pod["spec"]["containers"].array ?? [] {
            for p in container["ports"].array ?? [] {
                guard let name = p["name"].string, !name.isEmpty, let port = p["containerPort"].int else { continue }
                ports.append(NamedPort(name: name, port: port, protocol: p["protocol"].string ?? "TCP"))
            }
        }
        self.init(
            namespace: meta["namespace"].string ?? "default", name: meta["name"].string ?? "",
            ip: pod["status"]["podIP"].string.flatMap { IPv4Address($0) }, labels: meta["labels"].stringMap ?? [:],
            node: pod["spec"]["nodeName"].string, ports: ports, hostNetwork: pod["spec"]["hostNetwork"].bool ?? false)
    }

    /// The port number `name` stands for on this pod over `proto`, or nil when no container port has that name.
    public func port(named name: String, protocol proto: String) -> Int? {
        ports.first { $0.name == name && $0.protocol == proto }?.port
    }
}

/// A namespace as NetworkPolicy sees it: its name and labels, `kubernetes.io/metadata.name` always among them
/// (the API server sets it on every namespace; it is added here too so that older objects match).
public struct PolicyNamespace: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]

    /// The label every namespace carries with its own name.
    public static let nameLabel = "kubernetes.io/metadata.name"

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        var labels = labels
        labels[Self.nameLabel] = name
        self.labels = labels
    }

    public init(_ ns: Namespace) {
        self.init(name: ns.metadata.name ?? "", labels: ns.metadata.labels ?? [:])
    }
}
