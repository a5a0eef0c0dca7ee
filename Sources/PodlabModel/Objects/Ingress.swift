/// networking.k8s.io/v1 Ingress.
public struct Ingress: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.ingresses }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: IngressSpec?
    public var status: IngressStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: IngressSpec? = nil, status: IngressStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// networking/v1 IngressSpec.
public struct IngressSpec: Codable, Sendable, Hashable {
    public var ingressClassName: String?
    public var defaultBackend: IngressBackend?
    public var tls: [IngressTLS]?
    public var rules: [IngressRule]?
    public init(ingressClassName: String? = nil, rules: [IngressRule]? = nil) {
        self.ingressClassName = ingressClassName
        self.rules = rules
    }
}

/// networking/v1 IngressTLS.
public struct IngressTLS: Codable, Sendable, Hashable {
    public var hosts: [String]?
    public var secretName: String?
    public init(hosts: [String]? = nil, secretName: String? = nil) {
        self.hosts = hosts
        self.secretName = secretName
    }
}

/// networking/v1 IngressRule: a host (or any host) and its HTTP paths.
public struct IngressRule: Codable, Sendable, Hashable {
    public var host: String?
    public var http: HTTPIngressRuleValue?
    public init(host: String? = nil, http: HTTPIngressRuleValue? = nil) {
        self.host = host
        self.http = http
    }
}

/// networking/v1 HTTPIngressRuleValue.
public struct HTTPIngressRuleValue: Codable, Sendable, Hashable {
    public var paths: [HTTPIngressPath]?
    public init(paths: [HTTPIngressPath]? = nil) { self.paths = paths }
}

/// networking/v1 HTTPIngressPath: path, how it matches (Exact, Prefix, ImplementationSpecific) and the backend.
public struct HTTPIngressPath: Codable, Sendable, Hashable {
    public var path: String?
    public var pathType: String?
    public var backend: IngressBackend?
    public init(path: String? = nil, pathType: String? = nil, backend: IngressBackend? = nil) {
        self.path = path
        self.pathType = pathType
        self.backend = backend
    }
}

/// networking/v1 IngressBackend: a Service port or another resource.
public struct IngressBackend: Codable, Sendable, Hashable {
    public var service: IngressServiceBackend?
    public var resource: TypedLocalObjectReference?
    public init(service: IngressServiceBackend? = nil) { self.service = service }
}

/// networking/v1 IngressServiceBackend.
public struct IngressServiceBackend: Codable, Sendable, Hashable {
    public var name: String?
    public var port: ServiceBackendPort?
    public init(name: String? = nil, port: ServiceBackendPort? = nil) {
        self.name = name
        self.port = port
    }
}

/// networking/v1 ServiceBackendPort: by name or by number, not both.
public struct ServiceBackendPort: Codable, Sendable, Hashable {
    public var name: String?
    public var number: Int32?
    public init(name: String? = nil, number: Int32? = nil) {
        self.name = name
        self.number = number
    }
}

/// networking/v1 IngressStatus.
public struct IngressStatus: Codable, Sendable, Hashable {
    public var loadBalancer: IngressLoadBalancerStatus?
    public init(loadBalancer: IngressLoadBalancerStatus? = nil) { self.loadBalancer = loadBalancer }
}

/// networking/v1 IngressLoadBalancerStatus.
public struct IngressLoadBalancerStatus: Codable, Sendable, Hashable {
    public var ingress: [IngressLoadBalancerIngress]?
    public init(ingress: [IngressLoadBalancerIngress]? = nil) { self.ingress = ingress }
}

/// networking/v1 IngressLoadBalancerIngress.
public struct IngressLoadBalancerIngress: Codable, Sendable, Hashable {
    public var ip: String?
    public var hostname: String?
    public var ports: [PortStatus]?
    public init(ip: String? = nil, hostname: String? = nil) {
        self.ip = ip
        self.hostname = hostname
    }
}

/// networking.k8s.io/v1 IngressClass.
public struct IngressClass: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.ingressClasses }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: IngressClassSpec?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: IngressClassSpec? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// networking/v1 IngressClassSpec.
public struct IngressClassSpec: Codable, Sendable, Hashable {
    public var controller: String?
    public var parameters: IngressClassParametersReference?
    public init(controller: String? = nil) { self.controller = controller }
}

/// networking/v1 IngressClassParametersReference.
public struct IngressClassParametersReference: Codable, Sendable, Hashable {
    public var apiGroup: String?
    public var kind: String?
    public var name: String?
    public var scope: String?
    public var namespace: String?
    public init() {}
}
