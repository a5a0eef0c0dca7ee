import Foundation

/// Gives every active Namespace its `default` ServiceAccount (upstream serviceaccounts-controller) and,
/// when the cluster CA is configured, the `kube-root-ca.crt` ConfigMap (upstream root-ca-cert-publisher).
public enum ServiceAccountController {
    /// One pass over every Namespace that is not being deleted.
    public static func reconcile(_ s: ClusterSnapshot, config: ClusterConfig) -> [ControllerAction] {
        var out: [ControllerAction] = []
        for ns in s.list(Resources.namespaces) where !ns.ctl.isDeleting {
            let name = ns.ctl.name
            if s.get(Resources.serviceAccounts, namespace: name, name: "default") == nil {
                out.append(.create(Resources.serviceAccounts, defaultServiceAccount(namespace: name)))
            }
            if let ca = config.rootCACertificate {
                let want = rootCAConfigMap(namespace: name, certificate: ca)
                if let cm = s.get(Resources.configMaps, namespace: name, name: "kube-root-ca.crt") {
                    if cm["data"] != want["data"], !cm.ctl.isDeleting {
                        var updated = cm
                        updated["data"] = want["data"]
                        out.append(.update(Resources.configMaps, updated))
                    }
                } else {
                    out.append(.create(Resources.configMaps, want))
                }
            }
        }
        return out
    }

    static func defaultServiceAccount(namespace: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": ["name": "default", "namespace": .string(namespace)],
        ]
    }

    static func rootCAConfigMap(namespace: String, certificate: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": "kube-root-ca.crt", "namespace": .string(namespace),
                "annotations": ["kubernetes.io/description": .string(rootCADescription)],
            ],
            "data": ["ca.crt": .string(certificate)],
        ]
    }

    /// The annotation upstream's publisher puts on kube-root-ca.crt.
    static let rootCADescription =
        "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
}
