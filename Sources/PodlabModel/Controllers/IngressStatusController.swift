import Foundation

/// Writes `status.loadBalancer.ingress` on every Ingress the built-in controller serves: the EXTERNAL-IP of
/// its LoadBalancer Service `ingress-nginx/ingress-nginx-controller`, as ingress-nginx's status sync does with
/// `--publish-service`. An Ingress that stops being served (another class) loses that address again.
///
/// An Ingress of the class whose `spec.tls` names a Secret that is missing or not a usable `kubernetes.io/tls`
/// Secret gets one Warning event (the controller then serves its default certificate for those hosts, as
/// ingress-nginx does and logs). The reason, `TLSSecretNotUsable`, is podlab's own wording.
///
/// Idempotent: an Ingress whose status already holds the address gets no write, and an event is not repeated.
public enum IngressStatusController {
    static let component = "nginx-ingress-controller"

    /// One pass over every Ingress.
    public static func reconcile(_ s: ClusterSnapshot, now: Date) -> [ControllerAction] {
        var recorder = EventRecorder(s, component: component, now: now)
        let published = s.get(Resources.services, namespace: IngressNginxAddon.namespace, name: IngressNginxAddon.name)
        let ips = published.map(LoadBalancerController.ingressIPs) ?? []
        let desired: JSONValue = ips.isEmpty ? [:] : ["ingress": .array(ips.map { ["ip": .string($0)] })]
        let classes = s.list(Resources.ingressClasses)
        var out: [ControllerAction] = []
        for ing in s.list(Resources.ingresses) where !ing.ctl.isDeleting {
            let current = ing["status"]["loadBalancer"]
            let served = IngressClassSelector.nginx.selects(ing, classes: classes)
            if served { out += tlsWarnings(ing, s, &recorder) }
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

    /// Warning events for the `spec.tls` Secrets of `ing` that cannot be served.
    static func tlsWarnings(_ ing: JSONValue, _ s: ClusterSnapshot, _ recorder: inout EventRecorder) -> [ControllerAction] {
        var out: [ControllerAction] = []
        let ns = ing.ctl.namespace
        for tls in ing["spec"]["tls"].array ?? [] {
            guard let name = tls["secretName"].string, !name.isEmpty else { continue }
            let problem: String
            if let secret = s.get(Resources.secrets, namespace: ns, name: name) {
                let type = secret["type"].string ?? "Opaque"
                guard type != "kubernetes.io/tls" || secret["data"]["tls.crt"].isNull || secret["data"]["tls.key"].isNull
                else { continue }
                problem = type != "kubernetes.io/tls"
                    ? "secret \(ns)/\(name) is of type \(type), not kubernetes.io/tls"
                    : "secret \(ns)/\(name) has no tls.crt or tls.key"
            } else {
                problem = "secret \(ns)/\(name) not found"
            }
            let message = "Error getting SSL certificate \"\(ns)/\(name)\": \(problem). Using default certificate"
            if !recorder.alreadyRecorded(uid: ing.ctl.uid, reason: "TLSSecretNotUsable", message: message) {
                out.append(recorder.event(ing, Resources.ingresses, "Warning", "TLSSecretNotUsable", message))
            }
        }
        return out
    }
}
