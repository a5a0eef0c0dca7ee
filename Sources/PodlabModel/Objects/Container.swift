/// core/v1 Container: one process of a pod, with its ports, environment, probes and mounts.
///
/// `lifecycle` and `securityContext` are kept as given (JSONValue): podlab runs built-in responders and does not
/// act on them, so they are stored and served back unchanged rather than checked field by field.
public struct Container: Codable, Sendable, Hashable {
    public var name: String?
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var envFrom: [EnvFromSource]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var resizePolicy: [ContainerResizePolicy]?
    public var restartPolicy: String?
    public var volumeMounts: [VolumeMount]?
    public var volumeDevices: [VolumeDevice]?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var startupProbe: Probe?
    public var lifecycle: JSONValue?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    public var imagePullPolicy: String?
    public var securityContext: JSONValue?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?

    public init(name: String? = nil, image: String? = nil) {
        self.name = name
        self.image = image
    }
}

/// core/v1 ContainerPort.
public struct ContainerPort: Codable, Sendable, Hashable {
    public var name: String?
    public var hostPort: Int32?
    public var containerPort: Int32?
    public var `protocol`: String?
    public var hostIP: String?
    public init(name: String? = nil, containerPort: Int32? = nil, protocol: String? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}

/// core/v1 EnvFromSource: every key of a ConfigMap or Secret as environment variables.
public struct EnvFromSource: Codable, Sendable, Hashable {
    public var prefix: String?
    public var configMapRef: OptionalNameReference?
    public var secretRef: OptionalNameReference?
    public init() {}
}

/// core/v1 ConfigMapEnvSource / SecretEnvSource: a name and whether it may be missing.
public struct OptionalNameReference: Codable, Sendable, Hashable {
    public var name: String?
    public var optional: Bool?
    public init(name: String? = nil, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}

/// core/v1 EnvVar: a literal value or a reference.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String?
    public var value: String?
    public var valueFrom: EnvVarSource?
    public init(name: String? = nil, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// core/v1 EnvVarSource: where an environment variable's value comes from.
public struct EnvVarSource: Codable, Sendable, Hashable {
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: ResourceFieldSelector?
    public var configMapKeyRef: KeySelector?
    public var secretKeyRef: KeySelector?
    public init() {}
}

/// core/v1 ObjectFieldSelector: `metadata.name`, `status.podIP`, ...
public struct ObjectFieldSelector: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var fieldPath: String?
    public init(apiVersion: String? = nil, fieldPath: String? = nil) {
        self.apiVersion = apiVersion
        self.fieldPath = fieldPath
    }
}

/// core/v1 ResourceFieldSelector: a container's limit or request as a value.
public struct ResourceFieldSelector: Codable, Sendable, Hashable {
    public var containerName: String?
    public var resource: String?
    public var divisor: Quantity?
    public init() {}
}

/// core/v1 ConfigMapKeySelector / SecretKeySelector: one key of a named object.
public struct KeySelector: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String?
    public var optional: Bool?
    public init(name: String? = nil, key: String? = nil) {
        self.name = name
        self.key = key
    }
}

/// core/v1 ResourceRequirements: limits and requests by resource name.
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?
    public var claims: [JSONValue]?
    public init() {}
}

/// core/v1 ContainerResizePolicy.
public struct ContainerResizePolicy: Codable, Sendable, Hashable {
    public var resourceName: String?
    public var restartPolicy: String?
    public init() {}
}

/// core/v1 VolumeMount.
public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String?
    public var readOnly: Bool?
    public var recursiveReadOnly: String?
    public var mountPath: String?
    public var subPath: String?
    public var mountPropagation: String?
    public var subPathExpr: String?
    public init(name: String? = nil, mountPath: String? = nil) {
        self.name = name
        self.mountPath = mountPath
    }
}

/// core/v1 VolumeDevice.
public struct VolumeDevice: Codable, Sendable, Hashable {
    public var name: String?
    public var devicePath: String?
    public init() {}
}

/// core/v1 Probe: one handler (exec, httpGet, tcpSocket, grpc) and its timings.
public struct Probe: Codable, Sendable, Hashable {
    public var exec: ExecAction?
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var grpc: GRPCAction?
    public var initialDelaySeconds: Int32?
    public var timeoutSeconds: Int32?
    public var periodSeconds: Int32?
    public var successThreshold: Int32?
    public var failureThreshold: Int32?
    public var terminationGracePeriodSeconds: Int64?
    public init() {}
}

/// core/v1 ExecAction.
public struct ExecAction: Codable, Sendable, Hashable {
    public var command: [String]?
    public init(command: [String]? = nil) { self.command = command }
}

/// core/v1 HTTPGetAction.
public struct HTTPGetAction: Codable, Sendable, Hashable {
    public var path: String?
    public var port: IntOrString?
    public var host: String?
    public var scheme: String?
    public var httpHeaders: [HTTPHeader]?
    public init(path: String? = nil, port: IntOrString? = nil) {
        self.path = path
        self.port = port
    }
}

/// core/v1 HTTPHeader.
public struct HTTPHeader: Codable, Sendable, Hashable {
    public var name: String?
    public var value: String?
    public init(name: String? = nil, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// core/v1 TCPSocketAction.
public struct TCPSocketAction: Codable, Sendable, Hashable {
    public var port: IntOrString?
    public var host: String?
    public init(port: IntOrString? = nil) { self.port = port }
}

/// core/v1 GRPCAction.
public struct GRPCAction: Codable, Sendable, Hashable {
    public var port: Int32?
    public var service: String?
    public init(port: Int32? = nil) { self.port = port }
}
