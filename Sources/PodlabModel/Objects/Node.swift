/// core/v1 Node.
public struct Node: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.nodes }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NodeSpec?
    public var status: NodeStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 NodeSpec. `configSource` is kept as given.
public struct NodeSpec: Codable, Sendable, Hashable {
    public var podCIDR: String?
    public var podCIDRs: [String]?
    public var providerID: String?
    public var unschedulable: Bool?
    public var taints: [Taint]?
    public var configSource: JSONValue?
    public var externalID: String?
    public init(podCIDR: String? = nil) {
        self.podCIDR = podCIDR
        self.podCIDRs = podCIDR.map { [$0] }
    }
}

/// core/v1 Taint.
public struct Taint: Codable, Sendable, Hashable {
    public var key: String?
    public var value: String?
    public var effect: String?
    public var timeAdded: String?
    public init(key: String? = nil, value: String? = nil, effect: String? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
    }
}

/// core/v1 NodeStatus. `images`, `volumesAttached`, `config`, `runtimeHandlers`, `features` are kept as given.
public struct NodeStatus: Codable, Sendable, Hashable {
    public var capacity: [String: Quantity]?
    public var allocatable: [String: Quantity]?
    public var phase: String?
    public var conditions: [NodeCondition]?
    public var addresses: [NodeAddress]?
    public var daemonEndpoints: NodeDaemonEndpoints?
    public var nodeInfo: NodeSystemInfo?
    public var images: [JSONValue]?
    public var volumesInUse: [String]?
    public var volumesAttached: [JSONValue]?
    public var config: JSONValue?
    public var runtimeHandlers: [JSONValue]?
    public var features: JSONValue?
    public init() {}
}

/// core/v1 NodeCondition (Ready, MemoryPressure, ...).
public struct NodeCondition: Codable, Sendable, Hashable {
    public var type: String?
    public var status: String?
    public var lastHeartbeatTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
    public init(type: String? = nil, status: String? = nil) {
        self.type = type
        self.status = status
    }
}

/// core/v1 NodeAddress (InternalIP, Hostname).
public struct NodeAddress: Codable, Sendable, Hashable {
    public var type: String?
    public var address: String?
    public init(type: String? = nil, address: String? = nil) {
        self.type = type
        self.address = address
    }
}

/// core/v1 NodeDaemonEndpoints.
public struct NodeDaemonEndpoints: Codable, Sendable, Hashable {
    public var kubeletEndpoint: DaemonEndpoint?
    public init(kubeletEndpoint: DaemonEndpoint? = nil) { self.kubeletEndpoint = kubeletEndpoint }
}

/// core/v1 DaemonEndpoint. The JSON member is `Port`, capitalised as upstream writes it.
public struct DaemonEndpoint: Codable, Sendable, Hashable {
    public var port: Int32?
    enum CodingKeys: String, CodingKey { case port = "Port" }
    public init(port: Int32? = nil) { self.port = port }
}

/// core/v1 NodeSystemInfo.
public struct NodeSystemInfo: Codable, Sendable, Hashable {
    public var machineID: String?
    public var systemUUID: String?
    public var bootID: String?
    public var kernelVersion: String?
    public var osImage: String?
    public var containerRuntimeVersion: String?
    public var kubeletVersion: String?
    public var kubeProxyVersion: String?
    public var operatingSystem: String?
    public var architecture: String?
    public var swap: JSONValue?
    public init() {}
}
