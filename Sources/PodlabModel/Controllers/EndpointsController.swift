import Foundation

/// Keeps a v1 Endpoints object, named like its Service, for every Service with a selector
/// (upstream pkg/controller/endpoint), plus the `kubernetes` Service's Endpoints (the API server's own
/// endpoint reconciler upstream).
///
/// Pods count when they match the selector, are not terminal and have an IPv4 podIP; terminating pods are
/// left out unless `publishNotReadyAddresses`. Ready pods go to `addresses`, others to
/// `notReadyAddresses`. Named targetPorts are resolved per pod from its containerPorts; a pod lacking the
/// name is skipped for that port. Endpoints whose Service is gone are deleted. Writes only on change.
public enum EndpointsController {
    /// Set on Endpoints of headless Services (upstream `service.kubernetes.io/headless`).
    static let headlessLabel = "service.kubernetes.io/headless"

    /// One pass over every Service and Endpoints object.
    public static func reconcile(_ s: ClusterSnapshot, config: ClusterConfig) -> [ControllerAction] {
        var out: [ControllerAction] = []
        let services = s.list(Resources.services)
        let serviceKeys = Set(services.map { "\($0.ctl.namespace)/\($0.ctl.name)" })
        let index = PodSelectorIndex(s)
        for svc in services {
            guard let raw = desiredEndpoints(for: svc, pods: index, config: config) else { continue }
            let desired = clean(raw)
            let existing = s.get(Resources.endpoints, namespace: svc.ctl.namespace, name: svc.ctl.name)
            if let existing {
                if existing.ctl.isDeleting { continue }
                let current = clean(existing)
                if current["subsets"] != desired["subsets"]
                    || current["metadata"]["labels"] != desired["metadata"]["labels"]
                {
                    var updated = current
                    updated["subsets"] = desired["subsets"]
                    updated.set("metadata.labels", desired["metadata"]["labels"])
                    out.append(.update(Resources.endpoints, clean(updated)))
                }
            } else {
                out.append(.create(Resources.endpoints, desired))
            }
        }
        // Upstream checkLeftoverEndpoints: Endpoints without a Service are deleted (leader-election records aside).
        for ep in s.list(Resources.endpoints) where !serviceKeys.contains("\(ep.ctl.namespace)/\(ep.ctl.name)") {
            if ep.ctl.isDeleting || ep.ctl.annotations["control-plane.alpha.kubernetes.io/leader"] != nil { continue }
            out.append(.delete(Resources.endpoints, namespace: ep.ctl.namespace, name: ep.ctl.name, uid: ep.ctl.uid))
        }
        return out
    }

    /// Drops members that would be written as null (no labels, no subsets).
    private static func clean(_ ep: JSONValue) -> JSONValue {
        var e = ep
        if e["metadata"]["labels"].isNull || e["metadata"]["labels"].object?.isEmpty == true {
            e.remove("metadata.labels")
        }
        if e["subsets"].isNull || e["subsets"].array?.isEmpty == true { e.remove("subsets") }
        return e
    }

    /// The Endpoints `svc` should have, or nil when this controller leaves the Service alone
    /// (no selector, ExternalName).
    static func desiredEndpoints(for svc: JSONValue, pods index: PodSelectorIndex, config: ClusterConfig) -> JSONValue?
    {
        let ns = svc.ctl.namespace
        var meta: JSONValue = ["name": .string(svc.ctl.name), "namespace": .string(ns)]
        if ns == "default" && svc.ctl.name == "kubernetes" {
            guard let ip = config.apiServerIP else { return nil }
            // The API server's endpoint reconciler marks its Endpoints so they are not mirrored to slices.
            meta["labels"] = ["endpointslice.kubernetes.io/skip-mirror": "true"]
            return [
                "apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                "subsets": [
                    [
                        "addresses": [["ip": .string(ip)]],
                        "ports": [["name": "https", "port": .int(Int64(config.apiServerPort)), "protocol": "TCP"]],
                    ]
                ],
            ]
        }
        guard let selector = selector(of: svc) else { return nil }
        var labels = svc.ctl.labels
        if svc["spec"]["clusterIP"].string == "None" { labels[headlessLabel] = "" } else { labels[headlessLabel] = nil }
        meta["labels"] = JSONValue(labels)
        let publishNotReady = svc["spec"]["publishNotReadyAddresses"].bool == true
        let ports = svc["spec"]["ports"].array ?? []
        let headless = svc["spec"]["clusterIP"].string == "None"

        // (address, ready, ports) triples, then repacked into subsets as upstream RepackSubsets does.
        var entries: [(address: JSONValue, ready: Bool, ports: [JSONValue])] = []
        for pod in index.select(namespace: ns, selector: selector) {
            guard pod.ctl.isNonTerminal, let ip = pod.ctl.podIPv4
            else { continue }
            if pod.ctl.isDeleting && !publishNotReady { continue }
            var address: JSONValue = [
                "ip": .string(ip),
                "targetRef": [
                    "kind": "Pod", "namespace": .string(ns), "name": .string(pod.ctl.name), "uid": .string(pod.ctl.uid),
                ],
            ]
            if !pod.ctl.nodeName.isEmpty { address["nodeName"] = .string(pod.ctl.nodeName) }
            if let h = hostname(pod, svc) { address["hostname"] = .string(h) }
            let ready = publishNotReady || pod.ctl.isReady
            if ports.isEmpty {
                // A headless Service without ports still lists its pods (for DNS).
                if headless { entries.append((address, ready, [])) }
                continue
            }
            var podPorts: [JSONValue] = []
            for sp in ports {
                guard let number = resolveTargetPort(sp, pod: pod) else { continue }
                var ep: JSONValue = ["port": .int(Int64(number)), "protocol": .string(sp["protocol"].string ?? "TCP")]
                if let name = sp["name"].string, !name.isEmpty { ep["name"] = .string(name) }
                if let ap = sp["appProtocol"].string { ep["appProtocol"] = .string(ap) }
                podPorts.append(ep)
            }
            if !podPorts.isEmpty { entries.append((address, ready, podPorts)) }
        }
        return ["apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": .array(repack(entries))]
    }

    /// Groups addresses that offer the same set of ports into one subset (upstream RepackSubsets): ready
    /// ones in `addresses`, others in `notReadyAddresses`. Sorted by IP, ports by name then number, subsets
    /// by their first address, so the output is stable (upstream sorts by hash, which podlab cannot match).
    static func repack(_ entries: [(address: JSONValue, ready: Bool, ports: [JSONValue])]) -> [JSONValue] {
        var groups: [[JSONValue]: [(JSONValue, Bool)]] = [:]
        for e in entries {
            let ports = e.ports.sorted {
                ($0["name"].string ?? "", $0["port"].int ?? 0) < ($1["name"].string ?? "", $1["port"].int ?? 0)
            }
            groups[ports, default: []].append((e.address, e.ready))
        }
        func ipKey(_ a: JSONValue) -> UInt32 { PoolAddress.parse(a["ip"].string ?? "") ?? 0 }
        // Keys computed once per address, not in the comparator (sorting thousands of Services per pass).
        func ordered(_ list: [JSONValue]) -> [JSONValue] {
            list.map { (ipKey($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var subsets: [(key: UInt32, value: JSONValue)] = []
        for (ports, members) in groups {
            let ready = ordered(members.filter { $0.1 }.map(\.0))
            let notReady = ordered(members.filter { !$0.1 }.map(\.0))
            var subset: JSONValue = [:]
            if !ready.isEmpty { subset["addresses"] = .array(ready) }
            if !notReady.isEmpty { subset["notReadyAddresses"] = .array(notReady) }
            if !ports.isEmpty { subset["ports"] = .array(ports) }
            subsets.append((ipKey((ready + notReady)[0]), subset))
        }
        return subsets.sorted { $0.key < $1.key }.map(\.value)
    }

    /// The Service's selector, or nil for a Service this controller leaves alone.
    static func selector(of svc: JSONValue) -> [String: String]? {
        if svc["spec"]["type"].string == "ExternalName" { return nil }
        guard let sel = svc["spec"]["selector"].stringMap, !sel.isEmpty else { return nil }
        return sel
    }

    /// The container port a Service port reaches on `pod` (upstream podutil.FindPort): a number as is
    /// (defaulting to `port`), a name looked up in the pod's containerPorts with the same protocol.
    static func resolveTargetPort(_ servicePort: JSONValue, pod: JSONValue) -> Int? {
        let target = servicePort["targetPort"]
        if let n = target.int { return n }
        guard let name = target.string else { return servicePort["port"].int }
        let proto = servicePort["protocol"].string ?? "TCP"
        let containers =
            (pod["spec"]["containers"].array ?? [])
            + (pod["spec"]["initContainers"].array ?? []).filter {
                $0["restartPolicy"].string == "Always"  // sidecars serve ports too
            }
        for c in containers {
            for p in c["ports"].array ?? [] where p["name"].string == name && (p["protocol"].string ?? "TCP") == proto {
                return p["containerPort"].int
            }
        }
        return nil
    }

    /// The DNS hostname of `pod` in a headless Service whose name is the pod's subdomain (ShouldSetHostname).
    static func hostname(_ pod: JSONValue, _ svc: JSONValue) -> String? {
        guard let h = pod["spec"]["hostname"].string, !h.isEmpty, pod["spec"]["subdomain"].string == svc.ctl.name,
            svc["spec"]["clusterIP"].string == "None"
        else { return nil }
        return h
    }
}
