/// core/v1 Endpoints: the addresses behind a Service, grouped in subsets.
public struct Endpoints: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.endpoints }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subsets: [EndpointSubset]?

    public init(metadata: ObjectMeta = ObjectMeta(), subsets: [EndpointSubset]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.subsets = subsets
    }
}

/// core/v1 EndpointSubset: addresses that all serve the same ports.
public struct EndpointSubset: Codable, Sendable, Hashable {
    public var addresses: [EndpointAddress]?
    public var notReadyAddresses: [EndpointAddress]?
    public var ports: [EndpointPort]?
    public init(
        addresses: [EndpointAddress]? = nil, notReadyAddresses: [EndpointAddress]? = nil, ports: [EndpointPort]? = nil
    ) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

/// core/v1 EndpointAddress.
public struct EndpointAddress: Codable, Sendable, Hashable {
    public var ip: String?
    public var hostname: String?
    public var nodeName: String?
    public var targetRef: ObjectReference?
    public init(ip: String? = nil, hostname: String? = nil, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }
}

/// core/v1 EndpointPort.
public struct EndpointPort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int32?
    public var `protocol`: String?
    public var appProtocol: String?
    public init(name: String? = nil, port: Int32? = nil, protocol: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}
