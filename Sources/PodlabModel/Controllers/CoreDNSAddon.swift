/// Cluster DNS as `kubeadm init` installs it: ServiceAccount, ConfigMap (the Corefile) and Deployment `coredns`
/// in kube-system, two replicas labelled `k8s-app=kube-dns`, behind the `kube-dns` Service (10.96.0.10).
///
/// The pods run podlab's built-in DNS server (image `coredns/coredns` selects it). It reads the Corefile from
/// this ConfigMap through the API, as CoreDNS's `reload` plugin would re-read the mounted file: the zones and
/// `ttl` of the `kubernetes` block, and `forward`'s upstreams. Without upstreams the Corefile has no `forward`
/// line and names outside the cluster are refused.
public enum CoreDNSAddon {
    public static let image = "registry.k8s.io/coredns/coredns:v1.11.3"
    public static let namespace = "kube-system"
    public static let name = "coredns"

    /// The Corefile, kubeadm's layout; `forward` only when there are upstreams.
    public static func corefile(upstreams: [String]) -> String {
        var lines = [
            ".:53 {",
            "    errors",
            "    health {",
            "       lameduck 5s",
            "    }",
            "    ready",
            "    kubernetes cluster.local in-addr.arpa ip6.arpa {",
            "       pods insecure",
            "       fallthrough in-addr.arpa ip6.arpa",
            "       ttl 30",
            "    }",
            "    prometheus :9153",
        ]
        if !upstreams.isEmpty {
            lines += ["    forward . \(upstreams.joined(separator: " ")) {", "       max_concurrent 1000", "    }"]
        }
        lines += ["    cache 30", "    loop", "    reload", "    loadbalance", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    static func objects(upstreams: [String]) -> [(ResourceInfo, JSONValue)] {
        let labels: JSONValue = ["k8s-app": "kube-dns"]
        let serviceAccount: JSONValue = [
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
        ]
        let configMap: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "data": ["Corefile": .string(corefile(upstreams: upstreams))],
        ]
        let probe = { (path: String, port: Int) -> JSONValue in
            ["httpGet": ["path": .string(path), "port": .int(Int64(port)), "scheme": "HTTP"],
             "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3]
        }
        var liveness = probe("/health", 8080)
        liveness["initialDelaySeconds"] = 60
        liveness["failureThreshold"] = 5
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": labels],
            "spec": [
                "replicas": 2,
                "selector": ["matchLabels": labels],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": "25%"]],
                "template": [
                    "metadata": ["labels": labels],
                    "spec": [
                        "priorityClassName": "system-cluster-critical",
                        "serviceAccountName": .string(name),
                        "dnsPolicy": "Default",
                        "containers": [[
                            "name": "coredns", "image": .string(image), "imagePullPolicy": "IfNotPresent",
                            "args": ["-conf", "/etc/coredns/Corefile"],
                            "ports": [
                                ["name": "dns", "containerPort": 53, "protocol": "UDP"],
                                ["name": "dns-tcp", "containerPort": 53, "protocol": "TCP"],
                                ["name": "metrics", "containerPort": 9153, "protocol": "TCP"],
                            ],
                            "readinessProbe": probe("/ready", 8181),
                            "livenessProbe": liveness,
                            "resources": ["limits": ["memory": "170Mi"], "requests": ["cpu": "100m", "memory": "70Mi"]],
                            "volumeMounts": [["name": "config-volume", "mountPath": "/etc/coredns", "readOnly": true]],
                        ]],
                        "volumes": [[
                            "name": "config-volume",
                            "configMap": ["name": .string(name), "items": [["key": "Corefile", "path": "Corefile"]]],
                        ]],
                    ],
                ],
            ],
        ]
        return [
            (Resources.serviceAccounts, serviceAccount), (Resources.configMaps, configMap),
            (Resources.deployments, deployment),
        ]
    }
}
