import Foundation

/// Writes `status.loadBalancer.ingress` on every Ingress the built-in controller serves: the EXTERNAL-IP of
/// its LoadBalancer Service `ingress-nginx/ingress-nginx-controller`, as ingress-nginx's status sync does with
/// `--publish-service`. An Ingress that stops being served (another class) loses that address again.
///
/// Idempotent: an Ingress whose status already holds the address gets no write.
public enum IngressStatusController {
    /// One pass over every Ingress.
    public static func reconcile(_ s: ClusterSnapshot) -> [ControllerAction] {
        let published = s.get(Resources.services, namespace: IngressNginxAddon.namespace, name: IngressNginxAddon.name)
        let ips = published.map(LoadBalancerController.ingressIPs) ?? []
        let desired: JSONValue = ips.isEmpty ? [:] : ["ingress": .array(ips.map { ["ip": .string($0)] })]
        let classes = s.list(Resources.ingressClasses)
        var out: [ControllerAction] = []
        for ing in s.list(Resources.ingresses) where !ing.ctl.isDeleting {
            let current = ing["status"]["loadBalancer"]
            let served = IngressClassSelector.nginx.selects(ing, classes: classes)
            let want: JSONValue
            if served {
                want = desired
            } else if !ips.isEmpty, current == desired {
                want = [:]
            } else {
                continue
            }
            if current == want || (current.isNull && want == [:]) { continue }
            var updated = ing
            updated.set("status.loadBalancer", want)
            out.append(.updateStatus(Resources.ingresses, updated))
        }
        return out
    }
}
