/// The ingress-nginx add-on as its cloud manifest installs it (and as kind or minikube users see it): namespace
/// `ingress-nginx`, ServiceAccount and Deployment `ingress-nginx-controller` (one replica), the IngressClass
/// `nginx` marked as the cluster's default class, and the LoadBalancer Service `ingress-nginx-controller`
/// (http 80, https 443, each with a NodePort; externalTrafficPolicy Local, so backends see the client address).
///
/// The pod runs podlab's built-in ingress controller (image `ingress-nginx/controller` selects it): it follows
/// Ingresses, IngressClasses, Services, EndpointSlices and Secrets through the API and proxies to endpoints.
public enum IngressNginxAddon {
    public static let image = "registry.k8s.io/ingress-nginx/controller:v1.11.3"
    public static let namespace = "ingress-nginx"
    public static let name = "ingress-nginx-controller"
    public static let className = "nginx"
    /// The port of the controller's /healthz (ingress-nginx's --healthz-port).
    public static let healthPort = 10254

    static let labels: JSONValue = [
        "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx",
        "app.kubernetes.io/component": "controller", "app.kubernetes.io/part-of": "ingress-nginx",
    ]
    static let selector: JSONValue = [
        "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx",
        "app.kubernetes.io/component": "controller",
    ]

    static func objects() -> [(ResourceInfo, JSONValue)] {
        let meta = { (name: String) -> JSONValue in
            ["name": .string(name), "namespace": .string(namespace), "labels": labels]
        }
        let ns: JSONValue = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": .string(namespace),
                "labels": [
                    "kubernetes.io/metadata.name": .string(namespace), "app.kubernetes.io/name": "ingress-nginx",
                    "app.kubernetes.io/instance": "ingress-nginx",
                ],
            ],
            "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
        ]
        let serviceAccount: JSONValue = [
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("ingress-nginx"),
            "automountServiceAccountToken": true,
        ]
        let ingressClass: JSONValue = [
            "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": [
                "name": .string(className), "labels": labels,
                "annotations": ["ingressclass.kubernetes.io/is-default-class": "true"],
            ],
            "spec": ["controller": "k8s.io/ingress-nginx"],
        ]
        let service: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": meta(name),
            "spec": [
                "type": "LoadBalancer", "externalTrafficPolicy": "Local", "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack", "selector": selector,
                "ports": [
                    ["name": "http", "port": 80, "protocol": "TCP", "targetPort": "http", "appProtocol": "http"],
                    ["name": "https", "port": 443, "protocol": "TCP", "targetPort": "https", "appProtocol": "https"],
                ],
            ],
        ]
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name),
            "spec": [
                "replicas": 1, "revisionHistoryLimit": 10, "minReadySeconds": 0,
                "selector": ["matchLabels": selector],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1]],
                "template": [
                    "metadata": ["labels": labels],
                    "spec": [
                        "serviceAccountName": "ingress-nginx", "dnsPolicy": "ClusterFirst",
                        "terminationGracePeriodSeconds": 300, "nodeSelector": ["kubernetes.io/os": "linux"],
                        "containers": [[
                            "name": "controller", "image": .string(image), "imagePullPolicy": "IfNotPresent",
                            "args": [
                                "/nginx-ingress-controller", "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
                                "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx",
                                "--ingress-class=nginx",
                            ],
                            "env": [
                                ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                                ["name": "POD_NAMESPACE", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
                            ],
                            "ports": [
                                ["name": "http", "containerPort": 80, "protocol": "TCP"],
                                ["name": "https", "containerPort": 443, "protocol": "TCP"],
                            ],
                            "readinessProbe": [
                                "httpGet": ["path": "/healthz", "port": .int(Int64(healthPort)), "scheme": "HTTP"],
                                "periodSeconds": 1, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3,
                            ],
                            "resources": ["requests": ["cpu": "100m", "memory": "90Mi"]],
                        ]],
                    ],
                ],
            ],
        ]
        return [
            (Resources.namespaces, ns), (Resources.serviceAccounts, serviceAccount),
            (Resources.ingressClasses, ingressClass), (Resources.services, service), (Resources.deployments, deployment),
        ]
    }
}
