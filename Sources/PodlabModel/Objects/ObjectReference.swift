/// core/v1 ObjectReference: points at any object (events' involvedObject, endpoints' targetRef).
public struct ObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var apiVersion: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(
        kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil,
        apiVersion: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil
    ) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.apiVersion = apiVersion
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}

/// core/v1 LocalObjectReference: a name in the same namespace (imagePullSecrets).
public struct LocalObjectReference: Codable, Sendable, Hashable {
    public var name: String?
    public init(name: String? = nil) { self.name = name }
}

/// core/v1 TypedLocalObjectReference: apiGroup + kind + name in the same namespace (Ingress resource backends).
public struct TypedLocalObjectReference: Codable, Sendable, Hashable {
    public var apiGroup: String?
    public var kind: String?
    public var name: String?
    public init(apiGroup: String? = nil, kind: String? = nil, name: String? = nil) {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
    }
}

/// metav1.Condition: the standard condition shape (Service status conditions).
public struct Condition: Codable, Sendable, Hashable {
    public var type: String?
    public var status: String?
    public var observedGeneration: Int64?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
    public init(type: String? = nil, status: String? = nil, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }
}
