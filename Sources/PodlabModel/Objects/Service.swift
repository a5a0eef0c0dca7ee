/// core/v1 Service.
public struct Service: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.services }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceSpec?
    public var status: ServiceStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ServiceSpec? = nil, status: ServiceStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 ServiceSpec.
public struct ServiceSpec: Codable, Sendable, Hashable {
    public var ports: [ServicePort]?
    public var selector: [String: String]?
    public var clusterIP: String?
    public var clusterIPs: [String]?
    public var type: String?
    public var externalIPs: [String]?
    public var sessionAffinity: String?
    public var loadBalancerIP: String?
    public var loadBalancerSourceRanges: [String]?
    public var externalName: String?
    public var externalTrafficPolicy: String?
    public var healthCheckNodePort: Int32?
    public var publishNotReadyAddresses: Bool?
    public var sessionAffinityConfig: SessionAffinityConfig?
    public var ipFamilies: [String]?
    public var ipFamilyPolicy: String?
    public var allocateLoadBalancerNodePorts: Bool?
    public var loadBalancerClass: String?
    public var internalTrafficPolicy: String?
    public var trafficDistribution: String?
    public init(ports: [ServicePort]? = nil, selector: [String: String]? = nil, type: String? = nil) {
        self.ports = ports
        self.selector = selector
        self.type = type
    }
}

/// core/v1 ServicePort.
public struct ServicePort: Codable, Sendable, Hashable {
    public var name: String?
    public var `protocol`: String?
    public var appProtocol: String?
    public var port: Int32?
    public var targetPort: IntOrString?
    public var nodePort: Int32?
    public init(name: String? = nil, protocol: String? = nil, port: Int32? = nil, targetPort: IntOrString? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort
    }
}

/// core/v1 SessionAffinityConfig.
public struct SessionAffinityConfig: Codable, Sendable, Hashable {
    public var clientIP: ClientIPConfig?
    public init(clientIP: ClientIPConfig? = nil) { self.clientIP = clientIP }
}

/// core/v1 ClientIPConfig: how long ClientIP affinity sticks (1...86400 s, default 10800).
public struct ClientIPConfig: Codable, Sendable, Hashable {
    public var timeoutSeconds: Int32?
    public init(timeoutSeconds: Int32? = nil) { self.timeoutSeconds = timeoutSeconds }
}

/// core/v1 ServiceStatus.
public struct ServiceStatus: Codable, Sendable, Hashable {
    public var loadBalancer: LoadBalancerStatus?
    public var conditions: [Condition]?
    public init(loadBalancer: LoadBalancerStatus? = nil) { self.loadBalancer = loadBalancer }
}

/// core/v1 LoadBalancerStatus.
public struct LoadBalancerStatus: Codable, Sendable, Hashable {
    public var ingress: [LoadBalancerIngress]?
    public init(ingress: [LoadBalancerIngress]? = nil) { self.ingress = ingress }
}

/// core/v1 LoadBalancerIngress: one address the load balancer answers on.
public struct LoadBalancerIngress: Codable, Sendable, Hashable {
    public var ip: String?
    public var hostname: String?
    public var ipMode: String?
    public var ports: [PortStatus]?
    public init(ip: String? = nil, hostname: String? = nil) {
        self.ip = ip
        self.hostname = hostname
    }
}

/// core/v1 PortStatus.
public struct PortStatus: Codable, Sendable, Hashable {
    public var port: Int32?
    public var `protocol`: String?
    public var error: String?
    public init(port: Int32? = nil, protocol: String? = nil) {
        self.port = port
        self.protocol = `protocol`
    }
}
