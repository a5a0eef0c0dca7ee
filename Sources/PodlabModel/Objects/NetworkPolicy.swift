/// networking.k8s.io/v1 NetworkPolicy.
public struct NetworkPolicy: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.networkPolicies }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NetworkPolicySpec?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: NetworkPolicySpec? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// networking/v1 NetworkPolicySpec.
public struct NetworkPolicySpec: Codable, Sendable, Hashable {
    public var podSelector: LabelSelector?
    public var ingress: [NetworkPolicyIngressRule]?
    public var egress: [NetworkPolicyEgressRule]?
    public var policyTypes: [String]?
    public init(podSelector: LabelSelector? = nil) { self.podSelector = podSelector }
}

/// networking/v1 NetworkPolicyIngressRule: traffic from these peers to these ports is allowed.
public struct NetworkPolicyIngressRule: Codable, Sendable, Hashable {
    public var ports: [NetworkPolicyPort]?
    public var from: [NetworkPolicyPeer]?
    public init(from: [NetworkPolicyPeer]? = nil, ports: [NetworkPolicyPort]? = nil) {
        self.from = from
        self.ports = ports
    }
}

/// networking/v1 NetworkPolicyEgressRule: traffic to these peers on these ports is allowed.
public struct NetworkPolicyEgressRule: Codable, Sendable, Hashable {
    public var ports: [NetworkPolicyPort]?
    public var to: [NetworkPolicyPeer]?
    public init(to: [NetworkPolicyPeer]? = nil, ports: [NetworkPolicyPort]? = nil) {
        self.to = to
        self.ports = ports
    }
}

/// networking/v1 NetworkPolicyPort: protocol, a port (number or named) and an optional range end.
public struct NetworkPolicyPort: Codable, Sendable, Hashable {
    public var `protocol`: String?
    public var port: IntOrString?
    public var endPort: Int32?
    public init(protocol: String? = nil, port: IntOrString? = nil, endPort: Int32? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.endPort = endPort
    }
}

/// networking/v1 NetworkPolicyPeer: pods, namespaces, or an IP block.
public struct NetworkPolicyPeer: Codable, Sendable, Hashable {
    public var podSelector: LabelSelector?
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?
    public init(podSelector: LabelSelector? = nil, namespaceSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
        self.podSelector = podSelector
        self.namespaceSelector = namespaceSelector
        self.ipBlock = ipBlock
    }
}

/// networking/v1 IPBlock: a CIDR minus some sub-CIDRs.
public struct IPBlock: Codable, Sendable, Hashable {
    public var cidr: String?
    public var except: [String]?
    public init(cidr: String? = nil, except: [String]? = nil) {
        self.cidr = cidr
        self.except = except
    }
}
