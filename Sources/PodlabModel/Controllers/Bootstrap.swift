import Foundation

/// The objects a new cluster starts with, as `kubeadm init` + kind leave them.
public enum Bootstrap {
    /// Namespaces default, kube-system, kube-public and kube-node-lease; Services `kubernetes`
    /// (10.96.0.1:443 → API server 6443, no selector) and `kube-dns` (10.96.0.10); ServiceAccount `default`
    /// in each namespace; ConfigMap `kube-root-ca.crt` when the CA is configured; one Node per config node;
    /// kubeadm's CoreDNS add-on (see `CoreDNSAddon`); the ingress-nginx add-on (see `IngressNginxAddon`).
    ///
    /// Nodes start NotReady with upstream's wording for a node whose kubelet never reported
    /// (Ready=Unknown, reason NodeStatusNeverUpdated); the node agent replaces the conditions when it runs.
    /// The control plane carries no NoSchedule taint, so pods spread over every node.
    /// Objects have no uid, resourceVersion or creationTimestamp: the store assigns them.
    public static func objects(config: ClusterConfig) -> [(ResourceInfo, JSONValue)] {
        var out: [(ResourceInfo, JSONValue)] = []
        let namespaces = ["default", "kube-node-lease", "kube-public", "kube-system"]
        for ns in namespaces {
            out.append(
                (
                    Resources.namespaces,
                    [
                        "apiVersion": "v1", "kind": "Namespace",
                        "metadata": ["name": .string(ns), "labels": ["kubernetes.io/metadata.name": .string(ns)]],
                        "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
                    ]
                ))
        }
        out.append((Resources.services, kubernetesService))
        out.append((Resources.services, kubeDNSService))
        for ns in namespaces {
            out.append((Resources.serviceAccounts, ServiceAccountController.defaultServiceAccount(namespace: ns)))
            if let ca = config.rootCACertificate {
                out.append(
                    (Resources.configMaps, ServiceAccountController.rootCAConfigMap(namespace: ns, certificate: ca)))
            }
        }
        for (i, name) in config.nodes.enumerated() {
            out.append((Resources.nodes, node(name, index: i, config: config)))
        }
        out += CoreDNSAddon.objects(upstreams: config.dnsUpstreams)
        out += IngressNginxAddon.objects()
        return out
    }

    static let kubernetesService: JSONValue = [
        "apiVersion": "v1", "kind": "Service",
        "metadata": [
            "name": "kubernetes", "namespace": "default",
            "labels": ["component": "apiserver", "provider": "kubernetes"],
        ],
        "spec": [
            "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]],
            "sessionAffinity": "None", "type": "ClusterIP",
        ],
        "status": ["loadBalancer": [:]],
    ]

    static let kubeDNSService: JSONValue = [
        "apiVersion": "v1", "kind": "Service",
        "metadata": [
            "name": "kube-dns", "namespace": "kube-system",
            "labels": [
                "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS",
            ],
            "annotations": ["prometheus.io/port": "9153", "prometheus.io/scrape": "true"],
        ],
        "spec": [
            "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "ports": [
                ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53],
                ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53],
                ["name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153],
            ],
            "selector": ["k8s-app": "kube-dns"], "sessionAffinity": "None", "type": "ClusterIP",
        ],
        "status": ["loadBalancer": [:]],
    ]

    /// A Node as registered before its kubelet (podlab's node agent) has reported.
    static func node(_ name: String, index: Int, config: ClusterConfig) -> JSONValue {
        var labels: [String: String] = [
            "beta.kubernetes.io/arch": config.architecture, "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": config.architecture, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        ]
        if index == 0 { labels["node-role.kubernetes.io/control-plane"] = "" }
        let cidr = "10.244.\(index).0/24"
        var addresses: [JSONValue] = []
        if let ip = config.nodeAddresses[name] { addresses.append(["type": "InternalIP", "address": .string(ip)]) }
        addresses.append(["type": "Hostname", "address": .string(name)])
        let never: (String, String) -> JSONValue = { type, message in
            [
                "type": .string(type), "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                "message": .string(message), "lastHeartbeatTime": nil, "lastTransitionTime": nil,
            ]
        }
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(name), "labels": JSONValue(labels)],
            "spec": ["podCIDR": .string(cidr), "podCIDRs": [.string(cidr)]],
            "status": [
                "addresses": .array(addresses),
                "conditions": [
                    never("MemoryPressure", "Kubelet never posted node status."),
                    never("DiskPressure", "Kubelet never posted node status."),
                    never("PIDPressure", "Kubelet never posted node status."),
                    never("Ready", "Kubelet never posted node status."),
                ],
                "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
                "nodeInfo": [
                    "architecture": .string(config.architecture), "bootID": "", "containerRuntimeVersion": "",
                    "kernelVersion": "", "kubeProxyVersion": "", "kubeletVersion": .string(config.kubeletVersion),
                    "machineID": "", "operatingSystem": "linux", "osImage": "", "systemUUID": "",
                ],
            ],
        ]
    }
}
