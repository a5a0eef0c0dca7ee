/// core/v1 Pod.
public struct Pod: KubeObject, Hashable {
    public static var resource: ResourceInfo { Resources.pods }
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 PodTemplateSpec: the pod a Deployment or ReplicaSet stamps out.
public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?
    public init(metadata: ObjectMeta? = nil, spec: PodSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// core/v1 PodSpec.
///
/// Kept as given (JSONValue, not checked): `affinity`, `securityContext`, `topologySpreadConstraints`,
/// `resourceClaims`, `ephemeralContainers` (podlab never schedules or runs on them).
public struct PodSpec: Codable, Sendable, Hashable {
    public var volumes: [Volume]?
    public var initContainers: [Container]?
    public var containers: [Container]?
    public var ephemeralContainers: [JSONValue]?
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    public var dnsPolicy: String?
    public var nodeSelector: [String: String]?
    public var serviceAccountName: String?
    public var serviceAccount: String?
    public var automountServiceAccountToken: Bool?
    public var nodeName: String?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var shareProcessNamespace: Bool?
    public var securityContext: JSONValue?
    public var imagePullSecrets: [LocalObjectReference]?
    public var hostname: String?
    public var subdomain: String?
    public var affinity: JSONValue?
    public var schedulerName: String?
    public var tolerations: [Toleration]?
    public var hostAliases: [HostAlias]?
    public var priorityClassName: String?
    public var priority: Int32?
    public var dnsConfig: PodDNSConfig?
    public var readinessGates: [PodReadinessGate]?
    public var runtimeClassName: String?
    public var enableServiceLinks: Bool?
    public var preemptionPolicy: String?
    public var overhead: [String: Quantity]?
    public var topologySpreadConstraints: [JSONValue]?
    public var setHostnameAsFQDN: Bool?
    public var os: PodOS?
    public var hostUsers: Bool?
    public var schedulingGates: [PodSchedulingGate]?
    public var resourceClaims: [JSONValue]?
    public var resources: ResourceRequirements?

    public init(containers: [Container]? = nil) { self.containers = containers }
}

/// core/v1 Toleration.
public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?
    public init(key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
    }
}

/// core/v1 HostAlias: an extra /etc/hosts line.
public struct HostAlias: Codable, Sendable, Hashable {
    public var ip: String?
    public var hostnames: [String]?
    public init(ip: String? = nil, hostnames: [String]? = nil) {
        self.ip = ip
        self.hostnames = hostnames
    }
}

/// core/v1 PodDNSConfig: extra resolv.conf nameservers, searches and options.
public struct PodDNSConfig: Codable, Sendable, Hashable {
    public var nameservers: [String]?
    public var searches: [String]?
    public var options: [PodDNSConfigOption]?
    public init() {}
}

/// core/v1 PodDNSConfigOption: `ndots:2` as name + value.
public struct PodDNSConfigOption: Codable, Sendable, Hashable {
    public var name: String?
    public var value: String?
    public init(name: String? = nil, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// core/v1 PodReadinessGate.
public struct PodReadinessGate: Codable, Sendable, Hashable {
    public var conditionType: String?
    public init(conditionType: String? = nil) { self.conditionType = conditionType }
}

/// core/v1 PodOS.
public struct PodOS: Codable, Sendable, Hashable {
    public var name: String?
    public init(name: String? = nil) { self.name = name }
}

/// core/v1 PodSchedulingGate.
public struct PodSchedulingGate: Codable, Sendable, Hashable {
    public var name: String?
    public init(name: String? = nil) { self.name = name }
}

/// core/v1 PodStatus: what the node agent reports.
public struct PodStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var conditions: [PodCondition]?
    public var message: String?
    public var reason: String?
    public var nominatedNodeName: String?
    public var hostIP: String?
    public var hostIPs: [PodIP]?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: String?
    public var initContainerStatuses: [ContainerStatus]?
    public var containerStatuses: [ContainerStatus]?
    public var ephemeralContainerStatuses: [ContainerStatus]?
    public var qosClass: String?
    public var resize: String?
    public var resourceClaimStatuses: [JSONValue]?
    public var observedGeneration: Int64?
    public init(phase: String? = nil) { self.phase = phase }
}

/// core/v1 PodCondition.
public struct PodCondition: Codable, Sendable, Hashable {
    public var type: String?
    public var status: String?
    public var observedGeneration: Int64?
    public var lastProbeTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
    public init(type: String? = nil, status: String? = nil) {
        self.type = type
        self.status = status
    }
}

/// core/v1 PodIP / HostIP: one address of a pod or its node.
public struct PodIP: Codable, Sendable, Hashable {
    public var ip: String?
    public init(ip: String? = nil) { self.ip = ip }
}

/// core/v1 ContainerStatus.
public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String?
    public var state: ContainerState?
    public var lastState: ContainerState?
    public var ready: Bool?
    public var restartCount: Int32?
    public var image: String?
    public var imageID: String?
    public var containerID: String?
    public var started: Bool?
    public var allocatedResources: [String: Quantity]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [JSONValue]?
    public var user: JSONValue?
    public var allocatedResourcesStatus: [JSONValue]?
    public var stopSignal: String?
    public init(name: String? = nil) { self.name = name }
}

/// core/v1 ContainerState: exactly one of waiting, running, terminated.
public struct ContainerState: Codable, Sendable, Hashable {
    public var waiting: ContainerStateWaiting?
    public var running: ContainerStateRunning?
    public var terminated: ContainerStateTerminated?
    public init(
        waiting: ContainerStateWaiting? = nil, running: ContainerStateRunning? = nil,
        terminated: ContainerStateTerminated? = nil
    ) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }
}

/// core/v1 ContainerStateWaiting.
public struct ContainerStateWaiting: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?
    public init(reason: String? = nil, message: String? = nil) {
        self.reason = reason
        self.message = message
    }
}

/// core/v1 ContainerStateRunning.
public struct ContainerStateRunning: Codable, Sendable, Hashable {
    public var startedAt: String?
    public init(startedAt: String? = nil) { self.startedAt = startedAt }
}

/// core/v1 ContainerStateTerminated.
public struct ContainerStateTerminated: Codable, Sendable, Hashable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    public var message: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var containerID: String?
    public init(exitCode: Int32? = nil, reason: String? = nil) {
        self.exitCode = exitCode
        self.reason = reason
    }
}
