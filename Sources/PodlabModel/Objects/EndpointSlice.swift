/// discovery.k8s.io/v1 EndpointSlice. Its nested types carry the Go names (`Endpoint`, `EndpointPort`, ...) under
/// `EndpointSlice.` because core/v1 already has an `EndpointPort`.
public struct EndpointSlice: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.endpointSlices }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var addressType: String?
    public var endpoints: [Endpoint]?
    public var ports: [Port]?

    public init(
        metadata: ObjectMeta = ObjectMeta(), addressType: String? = nil, endpoints: [Endpoint]? = nil,
        ports: [Port]? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// discovery/v1 Endpoint.
    public struct Endpoint: Codable, Sendable, Hashable {
        public var addresses: [String]?
        public var conditions: Conditions?
        public var hostname: String?
        public var targetRef: ObjectReference?
        public var deprecatedTopology: [String: String]?
        public var nodeName: String?
        public var zone: String?
        public var hints: Hints?
        public init(
            addresses: [String]? = nil, conditions: Conditions? = nil, nodeName: String? = nil,
            targetRef: ObjectReference? = nil
        ) {
            self.addresses = addresses
            self.conditions = conditions
            self.nodeName = nodeName
            self.targetRef = targetRef
        }
    }

    /// discovery/v1 EndpointConditions.
    public struct Conditions: Codable, Sendable, Hashable {
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?
        public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }

    /// discovery/v1 EndpointHints (topology-aware routing).
    public struct Hints: Codable, Sendable, Hashable {
        public var forZones: [ForZone]?
        public var forNodes: [ForZone]?
        public init() {}
    }

    /// discovery/v1 ForZone / ForNode: a name.
    public struct ForZone: Codable, Sendable, Hashable {
        public var name: String?
        public init(name: String? = nil) { self.name = name }
    }

    /// discovery/v1 EndpointPort.
    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int32?
        public var appProtocol: String?
        public init(name: String? = nil, protocol: String? = nil, port: Int32? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
        }
    }
}
