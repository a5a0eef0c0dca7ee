/// How one protobuf field becomes JSON: its JSON name, value kind, and Go shape (pointer, inline).
struct ProtoField: Sendable {
    enum Kind: Sendable {
        case string
        /// `bytes`, written to JSON as base64 as Go's encoding/json writes []byte.
        case bytes
        case int32
        case int64
        case bool
        /// `resource.Quantity {1: string}`: a JSON string.
        case quantity
        /// `intstr.IntOrString {1: type, 2: intVal, 3: strVal}`: a JSON number or string.
        case intOrString
        /// `metav1.Time {1: seconds, 2: nanos}`: an RFC 3339 string; the zero time is omitted.
        case time
        case message(ProtoMessage)
        /// `map<string, V>`: repeated entries `{1: key, 2: value}`.
        indirect case map(Kind)
    }

    var name: String
    var kind: Kind
    var repeated = false
    /// A Go pointer field (`*int32`, `*LabelSelector`): kept when present even with a zero value. Other
    /// fields are written by gogo even when empty, so their zero values are dropped, as JSON omitempty does.
    var pointer = false
    /// An embedded Go struct (`json:",inline"`): its fields go into the parent object.
    var inline = false
}

/// A protobuf message's fields by number.
struct ProtoMessage: Sendable {
    var name: String
    var fields: [Int: ProtoField]
}

private func f(_ name: String, _ kind: ProtoField.Kind) -> ProtoField { ProtoField(name: name, kind: kind) }
private func ptr(_ name: String, _ kind: ProtoField.Kind) -> ProtoField {
    ProtoField(name: name, kind: kind, pointer: true)
}
private func list(_ name: String, _ kind: ProtoField.Kind) -> ProtoField {
    ProtoField(name: name, kind: kind, repeated: true)
}

// MARK: - Schemas (field numbers from k8s.io/api core/v1 and apps/v1 generated.proto, apimachinery meta/v1)

extension ProtoMessage {
    static let ownerReference = ProtoMessage(
        name: "OwnerReference",
        fields: [
            5: f("apiVersion", .string), 1: f("kind", .string), 3: f("name", .string), 4: f("uid", .string),
            6: ptr("controller", .bool), 7: ptr("blockOwnerDeletion", .bool),
        ])

    // managedFields (17) is left out: clients do not send it on create, and unknown fields are skipped.
    static let objectMeta = ProtoMessage(
        name: "ObjectMeta",
        fields: [
            1: f("name", .string), 2: f("generateName", .string), 3: f("namespace", .string),
            4: f("selfLink", .string), 5: f("uid", .string), 6: f("resourceVersion", .string),
            7: f("generation", .int64), 8: f("creationTimestamp", .time), 9: ptr("deletionTimestamp", .time),
            10: ptr("deletionGracePeriodSeconds", .int64), 11: f("labels", .map(.string)),
            12: f("annotations", .map(.string)), 13: list("ownerReferences", .message(.ownerReference)),
            14: list("finalizers", .string),
        ])

    static let labelSelectorRequirement = ProtoMessage(
        name: "LabelSelectorRequirement",
        fields: [1: f("key", .string), 2: f("operator", .string), 3: list("values", .string)])

    static let labelSelector = ProtoMessage(
        name: "LabelSelector",
        fields: [1: f("matchLabels", .map(.string)), 2: list("matchExpressions", .message(.labelSelectorRequirement))])

    static let localObjectReference = ProtoMessage(name: "LocalObjectReference", fields: [1: f("name", .string)])

    static let objectReference = ProtoMessage(
        name: "ObjectReference",
        fields: [
            1: f("kind", .string), 2: f("namespace", .string), 3: f("name", .string), 4: f("uid", .string),
            5: f("apiVersion", .string), 6: f("resourceVersion", .string), 7: f("fieldPath", .string),
        ])

    static let containerPort = ProtoMessage(
        name: "ContainerPort",
        fields: [
            1: f("name", .string), 2: f("hostPort", .int32), 3: f("containerPort", .int32), 4: f("protocol", .string),
            5: f("hostIP", .string),
        ])

    static let keySelector = ProtoMessage(
        name: "KeySelector",
        fields: [
            1: ProtoField(name: "localObjectReference", kind: .message(.localObjectReference), inline: true),
            2: f("key", .string), 3: ptr("optional", .bool),
        ])

    static let envVarSource = ProtoMessage(
        name: "EnvVarSource",
        fields: [
            1: ptr(
                "fieldRef",
                .message(ProtoMessage(name: "ObjectFieldSelector", fields: [1: f("apiVersion", .string), 2: f("fieldPath", .string)]))),
            2: ptr(
                "resourceFieldRef",
                .message(
                    ProtoMessage(
                        name: "ResourceFieldSelector",
                        fields: [1: f("containerName", .string), 2: f("resource", .string), 3: f("divisor", .quantity)]))),
            3: ptr("configMapKeyRef", .message(.keySelector)),
            4: ptr("secretKeyRef", .message(.keySelector)),
        ])

    static let envVar = ProtoMessage(
        name: "EnvVar", fields: [1: f("name", .string), 2: f("value", .string), 3: ptr("valueFrom", .message(.envVarSource))])

    static let resourceRequirements = ProtoMessage(
        name: "ResourceRequirements", fields: [1: f("limits", .map(.quantity)), 2: f("requests", .map(.quantity))])

    static let volumeMount = ProtoMessage(
        name: "VolumeMount",
        fields: [
            1: f("name", .string), 2: f("readOnly", .bool), 7: ptr("recursiveReadOnly", .string), 3: f("mountPath", .string),
            4: f("subPath", .string), 5: ptr("mountPropagation", .string), 6: f("subPathExpr", .string),
        ])

    static let container = ProtoMessage(
        name: "Container",
        fields: [
            1: f("name", .string), 2: f("image", .string), 3: list("command", .string), 4: list("args", .string),
            5: f("workingDir", .string), 6: list("ports", .message(.containerPort)), 7: list("env", .message(.envVar)),
            8: f("resources", .message(.resourceRequirements)), 24: ptr("restartPolicy", .string),
            9: list("volumeMounts", .message(.volumeMount)), 13: f("terminationMessagePath", .string),
            20: f("terminationMessagePolicy", .string), 14: f("imagePullPolicy", .string), 16: f("stdin", .bool),
            17: f("stdinOnce", .bool), 18: f("tty", .bool),
        ])

    static let podSpec = ProtoMessage(
        name: "PodSpec",
        fields: [
            20: list("initContainers", .message(.container)), 2: list("containers", .message(.container)),
            3: f("restartPolicy", .string), 4: ptr("terminationGracePeriodSeconds", .int64),
            5: ptr("activeDeadlineSeconds", .int64), 6: f("dnsPolicy", .string), 7: f("nodeSelector", .map(.string)),
            8: f("serviceAccountName", .string), 9: f("serviceAccount", .string),
            21: ptr("automountServiceAccountToken", .bool), 10: f("nodeName", .string), 11: f("hostNetwork", .bool),
            12: f("hostPID", .bool), 13: f("hostIPC", .bool), 27: ptr("shareProcessNamespace", .bool),
            15: list("imagePullSecrets", .message(.localObjectReference)), 16: f("hostname", .string),
            17: f("subdomain", .string), 19: f("schedulerName", .string), 24: f("priorityClassName", .string),
            25: ptr("priority", .int32), 29: ptr("runtimeClassName", .string), 30: ptr("enableServiceLinks", .bool),
            31: ptr("preemptionPolicy", .string), 35: ptr("setHostnameAsFQDN", .bool), 37: ptr("hostUsers", .bool),
        ])

    static let podTemplateSpec = ProtoMessage(
        name: "PodTemplateSpec", fields: [1: f("metadata", .message(.objectMeta)), 2: f("spec", .message(.podSpec))])

    static let pod = ProtoMessage(
        name: "Pod", fields: [1: f("metadata", .message(.objectMeta)), 2: f("spec", .message(.podSpec))])

    static let rollingUpdateDeployment = ProtoMessage(
        name: "RollingUpdateDeployment", fields: [1: ptr("maxUnavailable", .intOrString), 2: ptr("maxSurge", .intOrString)])

    static let deploymentStrategy = ProtoMessage(
        name: "DeploymentStrategy",
        fields: [1: f("type", .string), 2: ptr("rollingUpdate", .message(.rollingUpdateDeployment))])

    static let deploymentSpec = ProtoMessage(
        name: "DeploymentSpec",
        fields: [
            1: ptr("replicas", .int32), 2: ptr("selector", .message(.labelSelector)),
            3: f("template", .message(.podTemplateSpec)), 4: f("strategy", .message(.deploymentStrategy)),
            5: f("minReadySeconds", .int32), 6: ptr("revisionHistoryLimit", .int32), 7: f("paused", .bool),
            9: ptr("progressDeadlineSeconds", .int32),
        ])

    // status (3) is left out: it is ignored on create, and unknown fields are skipped.
    static let deployment = ProtoMessage(
        name: "Deployment", fields: [1: f("metadata", .message(.objectMeta)), 2: f("spec", .message(.deploymentSpec))])

    static let namespace = ProtoMessage(
        name: "Namespace",
        fields: [
            1: f("metadata", .message(.objectMeta)),
            2: f("spec", .message(ProtoMessage(name: "NamespaceSpec", fields: [1: list("finalizers", .string)]))),
            3: f("status", .message(ProtoMessage(name: "NamespaceStatus", fields: [1: f("phase", .string)]))),
        ])

    static let configMap = ProtoMessage(
        name: "ConfigMap",
        fields: [
            1: f("metadata", .message(.objectMeta)), 4: ptr("immutable", .bool), 2: f("data", .map(.string)),
            3: f("binaryData", .map(.bytes)),
        ])

    static let secret = ProtoMessage(
        name: "Secret",
        fields: [
            1: f("metadata", .message(.objectMeta)), 5: ptr("immutable", .bool), 2: f("data", .map(.bytes)),
            4: f("stringData", .map(.string)), 3: f("type", .string),
        ])

    static let serviceAccount = ProtoMessage(
        name: "ServiceAccount",
        fields: [
            1: f("metadata", .message(.objectMeta)), 2: list("secrets", .message(.objectReference)),
            3: list("imagePullSecrets", .message(.localObjectReference)),
            4: ptr("automountServiceAccountToken", .bool),
        ])

    static let servicePort = ProtoMessage(
        name: "ServicePort",
        fields: [
            1: f("name", .string), 2: f("protocol", .string), 6: ptr("appProtocol", .string), 3: f("port", .int32),
            4: f("targetPort", .intOrString), 5: f("nodePort", .int32),
        ])

    static let serviceSpec = ProtoMessage(
        name: "ServiceSpec",
        fields: [
            1: list("ports", .message(.servicePort)), 2: f("selector", .map(.string)), 3: f("clusterIP", .string),
            18: list("clusterIPs", .string), 4: f("type", .string), 5: list("externalIPs", .string),
            7: f("sessionAffinity", .string), 8: f("loadBalancerIP", .string),
            9: list("loadBalancerSourceRanges", .string), 10: f("externalName", .string),
            11: f("externalTrafficPolicy", .string), 12: f("healthCheckNodePort", .int32),
            13: f("publishNotReadyAddresses", .bool),
            14: ptr(
                "sessionAffinityConfig",
                .message(
                    ProtoMessage(
                        name: "SessionAffinityConfig",
                        fields: [
                            1: ptr(
                                "clientIP",
                                .message(ProtoMessage(name: "ClientIPConfig", fields: [1: ptr("timeoutSeconds", .int32)])))
                        ]))),
            19: list("ipFamilies", .string), 17: ptr("ipFamilyPolicy", .string),
            20: ptr("allocateLoadBalancerNodePorts", .bool), 21: ptr("loadBalancerClass", .string),
            22: ptr("internalTrafficPolicy", .string), 23: ptr("trafficDistribution", .string),
        ])

    static let service = ProtoMessage(
        name: "Service", fields: [1: f("metadata", .message(.objectMeta)), 2: f("spec", .message(.serviceSpec))])

    /// The message for a top-level kind, by the `typeMeta` of the `runtime.Unknown` envelope.
    static func forKind(_ kind: String, apiVersion: String) -> ProtoMessage? {
        switch (apiVersion, kind) {
        case ("apps/v1", "Deployment"): return .deployment
        case ("v1", "Namespace"): return .namespace
        case ("v1", "ConfigMap"): return .configMap
        case ("v1", "Secret"): return .secret
        case ("v1", "Service"): return .service
        case ("v1", "ServiceAccount"): return .serviceAccount
        case ("v1", "Pod"): return .pod
        default: return nil
        }
    }
}
