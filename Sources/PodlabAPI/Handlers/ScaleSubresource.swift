import PodlabModel

/// The autoscaling/v1 Scale view of a Deployment or ReplicaSet (`kubectl scale` reads and patches it).
enum ScaleSubresource {
    /// Scale as a resource, so patches and errors name it as kube-apiserver does (`Scale.autoscaling`).
    static let info = ResourceInfo(group: "autoscaling", kind: "Scale", plural: "scale")

    static func scale(of obj: JSONValue, resource: ResourceInfo) -> JSONValue {
        var meta: JSONValue = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            let v = obj.at("metadata.\(key)")
            if !v.isNull { meta[key] = v }
        }
        let selector = LabelSelector.format(try? obj.at("spec.selector").decode(as: LabelSelector.self))
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
            "spec": ["replicas": .int(Int64(obj.at("spec.replicas").int ?? 1))],
            "status": [
                "replicas": .int(Int64(obj.at("status.replicas").int ?? 0)),
                "selector": .string(selector),
            ],
        ]
    }

    /// The desired replica count in a Scale body, validated as kube-apiserver validates it.
    static func replicas(in scale: JSONValue, name: String) throws -> Int {
        let value = scale.at("spec.replicas")
        guard let n = value.int else {
            throw StatusError.invalid(
                info, name,
                [FieldError(.invalid, "spec.replicas", value, "must be an integer")])
        }
        guard n >= 0 else {
            throw StatusError.invalid(
                info, name, [FieldError(.invalid, "spec.replicas", .int(Int64(n)), "must be greater than or equal to 0")])
        }
        return n
    }
}
