import Foundation
import PodlabModel

/// Looks at a Service, its EndpointSlices and the pods its selector matches, and says in one sentence why
/// traffic to it may fail: the learner's broken step named by its cause, not by its symptom.
public struct Diagnosis: Sendable {
    public var cluster: LabCluster

    public init(cluster: LabCluster) { self.cluster = cluster }

    func json(_ args: [String]) -> JSONValue? {
        let r = cluster.kubectl(args + ["-o", "json"])
        guard r.status == 0 else { return nil }
        return try? JSONValue(parsing: r.stdout)
    }

    /// `IP:port` of every ready endpoint of the Service, from its EndpointSlices (nil if they cannot be read).
    public func readyEndpoints(service: String, namespace: String) -> [String]? {
        guard let list = json([
            "get", "endpointslices.discovery.k8s.io", "-n", namespace, "-l", "kubernetes.io/service-name=\(service)",
        ]) else { return nil }
        var out: [String] = []
        for slice in list["items"].array ?? [] {
            let ports = (slice["ports"].array ?? []).compactMap { $0["port"].int }
            for ep in slice["endpoints"].array ?? [] where ep.at("conditions.ready").bool != false {
                for address in ep["addresses"].array?.compactMap(\.string) ?? [] {
                    if ports.isEmpty { out.append(address) }
                    for p in ports { out.append("\(address):\(p)") }
                }
            }
        }
        return out
    }

    /// Why traffic to `namespace/service` might fail, or nil when nothing is wrong with it as an object.
    public func service(_ nameOrRef: String, namespace: String) -> String? {
        let name = nameOrRef.split(separator: "/").last.map(String.init) ?? nameOrRef
        guard let svc = json(["get", "svc", "-n", namespace, name]) else {
            let others = cluster.kubectl(["get", "svc", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}"]).stdout
            return "Service \(namespace)/\(name) does not exist"
                + (others.trimmed.isEmpty ? "" : " (Services in \(namespace): \(others.trimmed.split(separator: " ").joined(separator: ", ")))")
        }
        if svc.at("spec.type").string == "ExternalName" { return nil }
        let ready = readyEndpoints(service: name, namespace: namespace) ?? []
        guard let selector = svc.at("spec.selector").stringMap, !selector.isEmpty else {
            return ready.isEmpty
                ? "the Service has no selector and no ready endpoints in EndpointSlices labelled kubernetes.io/service-name=\(name)"
                : nil
        }
        let selectorText = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let pods = json(["get", "pods", "-n", namespace, "-l", selectorText])?["items"].array ?? []
        if pods.isEmpty {
            let all = json(["get", "pods", "-n", namespace])?["items"].array ?? []
            var near: Set<String> = []
            for pod in all {
                for (k, v) in pod.at("metadata.labels").stringMap ?? [:] where selector[k] != nil { near.insert("\(k)=\(v)") }
            }
            return "the Service exists but has no endpoints: its selector \(selectorText) matches no pod in namespace \(namespace)"
                + (near.isEmpty ? "" : " (pods there have \(near.sorted().joined(separator: ", ")))")
        }
        let readyPods = pods.filter { pod in
            (pod.at("status.conditions").array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
        }
        if readyPods.isEmpty {
            let states = pods.prefix(3).map { pod -> String in
                let waiting = pod.at("status.containerStatuses").array?.first?.at("state.waiting.reason").string
                return "\(pod.at("metadata.name").string ?? "?") is \(waiting ?? pod.at("status.phase").string ?? "not ready")"
            }
            return "the Service's selector \(selectorText) matches \(pods.count) pod(s) but none is ready: "
                + states.joined(separator: ", ")
        }
        if ready.isEmpty {
            return "the Service's selector \(selectorText) matches \(readyPods.count) ready pod(s), but its EndpointSlices list "
                + "no ready endpoint (a port name the pods do not declare?)"
        }
        // The endpoints are fine; say whether the pods declare the port the Service sends to.
        let declared = Set(readyPods.flatMap { pod in
            (pod.at("spec.containers").array ?? []).flatMap { ($0["ports"].array ?? []).compactMap { $0["containerPort"].int } }
        })
        for port in svc.at("spec.ports").array ?? [] {
            if let target = port["targetPort"].int ?? port["port"].int, !declared.isEmpty, !declared.contains(target) {
                return "the Service sends port \(port["port"].int ?? 0) to targetPort \(target), but its pods declare "
                    + "containerPort \(declared.sorted().map(String.init).joined(separator: ", "))"
            }
        }
        return "the Service has \(ready.count) ready endpoint(s) (\(ready.sorted().joined(separator: ", "))), so its packets are "
            + "lost on the way: see `podlab explain svc/\(name) -n \(namespace)` and the nodes' nftables rules"
    }
}
