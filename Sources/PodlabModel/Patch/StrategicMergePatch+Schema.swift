/// What strategic merge patch needs to know about one field of a built-in type: the upstream
/// `patchStrategy` / `patchMergeKey` struct tags, and the type of the value (or of list elements).
struct PatchField: Sendable {
    /// `patchStrategy:"merge"` on a list: merge element-wise instead of replacing the list.
    var mergesList: Bool
    /// `patchMergeKey`: the member identifying a list element; nil for a merged list of scalars (finalizers).
    var mergeKey: String?
    /// The struct type of the value, or of the elements for a list; nil when nothing below has tags.
    var type: PatchType?

    /// A list merged element-wise by `key` (`patchStrategy:"merge" patchMergeKey:"key"`).
    static func merge(key: String?, _ type: PatchType? = nil) -> PatchField {
        PatchField(mergesList: true, mergeKey: key, type: type)
    }

    /// A map (or atomic list) whose type has tagged fields further down.
    static func nested(_ type: PatchType) -> PatchField {
        PatchField(mergesList: false, mergeKey: nil, type: type)
    }
}

/// A struct type of k8s.io/api, reduced to the fields that carry (or lead to) patch tags.
/// Fields not listed merge as maps and replace as lists, which is what untagged fields do upstream.
struct PatchType: Sendable {
    var name: String
    var fields: [String: PatchField]
}

// MARK: - The built-in types (tags from k8s.io/api core/v1, apps/v1, batch/v1 and apimachinery meta/v1 types.go)

extension PatchType {
    static let objectMeta = PatchType(
        name: "ObjectMeta",
        fields: ["ownerReferences": .merge(key: "uid"), "finalizers": .merge(key: nil)])

    static let container = PatchType(
        name: "Container",
        fields: [
            "ports": .merge(key: "containerPort"), "env": .merge(key: "name"),
            "volumeMounts": .merge(key: "mountPath"), "volumeDevices": .merge(key: "devicePath"),
        ])

    // Tolerations, readinessGates, dnsConfig lists and the like carry no tags: they are atomic.
    static let podSpec = PatchType(
        name: "PodSpec",
        fields: [
            "volumes": .merge(key: "name"),  // "merge,retainKeys": $retainKeys applies inside each Volume
            "initContainers": .merge(key: "name", .container),
            "containers": .merge(key: "name", .container),
            "ephemeralContainers": .merge(key: "name", .container),
            "imagePullSecrets": .merge(key: "name"),
            "hostAliases": .merge(key: "ip"),
            "topologySpreadConstraints": .merge(key: "topologyKey"),
            "schedulingGates": .merge(key: "name"),
            "resourceClaims": .merge(key: "name"),
            "evictionResponders": .merge(key: "name"),
        ])

    static let containerStatus = PatchType(
        name: "ContainerStatus",
        fields: ["volumeMounts": .merge(key: "mountPath"), "allocatedResourcesStatus": .merge(key: "name")])

    static let podStatus = PatchType(
        name: "PodStatus",
        fields: [
            "conditions": .merge(key: "type"), "hostIPs": .merge(key: "ip"), "podIPs": .merge(key: "ip"),
            "resourceClaimStatuses": .merge(key: "name"),
            "nodeAllocatableResourceClaimStatuses": .merge(key: "resourceClaimName"),
            "containerStatuses": .nested(.containerStatus), "initContainerStatuses": .nested(.containerStatus),
            "ephemeralContainerStatuses": .nested(.containerStatus),
        ])

    static let podTemplateSpec = PatchType(
        name: "PodTemplateSpec", fields: ["metadata": .nested(.objectMeta), "spec": .nested(.podSpec)])

    /// A status whose only tagged field is `conditions` merged by `type` (most workload statuses).
    static func conditionsStatus(_ name: String) -> PatchType {
        PatchType(name: name, fields: ["conditions": .merge(key: "type")])
    }

    /// A top-level object: metadata plus the given spec and status types.
    static func object(_ kind: String, spec: PatchType?, status: PatchType?, extra: [String: PatchField] = [:])
        -> PatchType
    {
        var fields = extra
        fields["metadata"] = .nested(.objectMeta)
        if let spec { fields["spec"] = .nested(spec) }
        if let status { fields["status"] = .nested(status) }
        return PatchType(name: kind, fields: fields)
    }

    static let workloadSpec = PatchType(name: "Spec", fields: ["template": .nested(.podTemplateSpec)])
    static let deploymentSpec = PatchType(name: "DeploymentSpec", fields: ["template": .nested(.podTemplateSpec)])
    static let jobSpec = PatchType(name: "JobSpec", fields: ["template": .nested(.podTemplateSpec)])
    static let cronJobSpec = PatchType(
        name: "CronJobSpec",
        fields: [
            "jobTemplate": .nested(
                PatchType(name: "JobTemplateSpec", fields: ["metadata": .nested(.objectMeta), "spec": .nested(.jobSpec)]))
        ])
    static let serviceSpec = PatchType(name: "ServiceSpec", fields: ["ports": .merge(key: "port")])
    static let nodeSpec = PatchType(name: "NodeSpec", fields: ["podCIDRs": .merge(key: nil)])
    static let nodeStatus = PatchType(
        name: "NodeStatus", fields: ["conditions": .merge(key: "type"), "addresses": .merge(key: "type")])

    /// The root type for an object of `kind`; unknown kinds (EndpointSlice, Endpoints, ConfigMap, ...) get
    /// metadata only, so all their lists are atomic, as upstream where those types carry no list tags.
    static func root(forKind kind: String) -> PatchType {
        switch kind {
        case "Pod": return .object(kind, spec: .podSpec, status: .podStatus)
        case "PodTemplate": return .object(kind, spec: nil, status: nil, extra: ["template": .nested(.podTemplateSpec)])
        case "Deployment": return .object(kind, spec: .deploymentSpec, status: .conditionsStatus("DeploymentStatus"))
        case "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController":
            return .object(kind, spec: .workloadSpec, status: .conditionsStatus("\(kind)Status"))
        case "Job": return .object(kind, spec: .jobSpec, status: .conditionsStatus("JobStatus"))
        case "CronJob": return .object(kind, spec: .cronJobSpec, status: nil)
        case "Service": return .object(kind, spec: .serviceSpec, status: .conditionsStatus("ServiceStatus"))
        case "ServiceAccount":
            return .object(kind, spec: nil, status: nil, extra: ["secrets": .merge(key: "name")])
        case "Node": return .object(kind, spec: .nodeSpec, status: .nodeStatus)
        case "Namespace": return .object(kind, spec: nil, status: .conditionsStatus("NamespaceStatus"))
        case "PersistentVolumeClaim": return .object(kind, spec: nil, status: .conditionsStatus("PersistentVolumeClaimStatus"))
        default: return .object(kind, spec: nil, status: nil)
        }
    }
}
