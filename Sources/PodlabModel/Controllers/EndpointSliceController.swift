import Foundation

/// Keeps discovery.k8s.io/v1 EndpointSlices for Services (upstream pkg/controller/endpointslice and
/// endpointslicemirroring), which is what kube-proxy, CoreDNS and `kubectl describe svc` read.
///
/// - Services with a selector: one slice per set of resolved ports (at most 100 endpoints each), named
///   `<svc>-<5 chars>` from generateName `<svc>-`, owned by the Service, labelled `kubernetes.io/service-name`
///   and `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`. Terminating pods stay,
///   with `ready` false (unless publishNotReadyAddresses), `serving` from the Ready condition and
///   `terminating` true. A Service without endpoints gets one empty placeholder slice.
/// - Services without a selector whose Endpoints were written by the user: mirrored slices managed by
///   `endpointslicemirroring-controller.k8s.io`, owned by the Endpoints.
/// - The `kubernetes` Service: the slice `kubernetes` pointing at the API server, as kube-apiserver keeps it.
///
/// Writes only when the content differs, so repeated passes converge.
public enum EndpointSliceController {
    static let serviceNameLabel = "kubernetes.io/service-name"
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let controllerName = "endpointslice-controller.k8s.io"
    static let mirrorName = "endpointslicemirroring-controller.k8s.io"
    /// Upstream `--max-endpoints-per-slice` default.
    static let maxEndpointsPerSlice = 100

    /// One pass over every Service, Endpoints and EndpointSlice.
    public static func reconcile(
        _ s: ClusterSnapshot, config: ClusterConfig, rng: inout some RandomNumberGenerator
    ) -> [ControllerAction] {
        var out: [ControllerAction] = []
        let slices = s.list(Resources.endpointSlices)
        var taken = Set(slices.map { "\($0.ctl.namespace)/\($0.ctl.name)" })
        var liveOwners: Set<String> = []  // uids of Services/Endpoints whose slices are kept
        let index = PodSelectorIndex(s)
        let nodes = Dictionary(s.list(Resources.nodes).map { ($0.ctl.name, $0) }, uniquingKeysWith: { a, _ in a })
        let byService = Dictionary(grouping: slices) { "\($0.ctl.namespace)/\($0.ctl.labels[serviceNameLabel] ?? "")" }
        for svc in s.list(Resources.services) {
            let ns = svc.ctl.namespace
            let mine = byService["\(ns)/\(svc.ctl.name)"] ?? []
            if ns == "default" && svc.ctl.name == "kubernetes" {
                out += kubernetesSlice(existing: mine.first { $0.ctl.name == "kubernetes" }, config: config)
                continue
            }
            if EndpointsController.selector(of: svc) != nil {
                liveOwners.insert(svc.ctl.uid)
                let owned = mine.filter { $0.ctl.labels[managedByLabel] == controllerName }
                let groups = podGroups(for: svc, pods: index, nodes: nodes)
                out += sync(
                    owner: svc, ownerResource: Resources.services, serviceName: svc.ctl.name,
                    labels: sliceLabels(svc, managedBy: controllerName), groups: groups, existing: owned,
                    placeholder: true, taken: &taken, rng: &rng)
            } else if svc["spec"]["type"].string != "ExternalName",
                let ep = s.get(Resources.endpoints, namespace: ns, name: svc.ctl.name),
                ep.ctl.labels["endpointslice.kubernetes.io/skip-mirror"] != "true"
            {
                liveOwners.insert(ep.ctl.uid)
                let owned = mine.filter { $0.ctl.labels[managedByLabel] == mirrorName }
                var labels = ep.ctl.labels
                labels[serviceNameLabel] = svc.ctl.name
                labels[managedByLabel] = mirrorName
                out += sync(
                    owner: ep, ownerResource: Resources.endpoints, serviceName: svc.ctl.name, labels: labels,
                    groups: mirroredGroups(ep), existing: owned, placeholder: false, taken: &taken, rng: &rng)
            }
        }
        // Slices we manage whose Service (or mirrored Endpoints) is gone or changed kind: delete them.
        for slice in slices where !slice.ctl.isDeleting {
            let manager = slice.ctl.labels[managedByLabel]
            guard manager == controllerName || manager == mirrorName else { continue }
            let ownerUID = slice.ctl.controllerRef?["uid"].string ?? ""
            if !liveOwners.contains(ownerUID) {
                out.append(
                    .delete(
                        Resources.endpointSlices, namespace: slice.ctl.namespace, name: slice.ctl.name,
                        uid: slice.ctl.uid))
            }
        }
        return out
    }

    /// One group of endpoints that share a port list.
    struct Group {
        var ports: [JSONValue]
        var endpoints: [JSONValue]
    }

    /// Endpoints of the pods selected by `svc`, grouped by the ports each pod resolves (upstream reconciler).
    static func podGroups(for svc: JSONValue, pods index: PodSelectorIndex, nodes: [String: JSONValue]) -> [Group] {
        guard let selector = EndpointsController.selector(of: svc) else { return [] }
        let publishNotReady = svc["spec"]["publishNotReadyAddresses"].bool == true
        var groups: [[JSONValue]: [JSONValue]] = [:]
        for pod in index.select(namespace: svc.ctl.namespace, selector: selector) {
            guard pod.ctl.isNonTerminal, let ip = pod.ctl.podIPv4
            else { continue }
            let serving = pod.ctl.isReady
            let terminating = pod.ctl.isDeleting
            // Upstream: "ready" is never true for a terminating pod unless publishNotReadyAddresses.
            let ready = publishNotReady || (serving && !terminating)
            var ep: JSONValue = [
                "addresses": [.string(ip)],
                "conditions": ["ready": .bool(ready), "serving": .bool(serving), "terminating": .bool(terminating)],
                "targetRef": [
                    "kind": "Pod", "namespace": .string(pod.ctl.namespace), "name": .string(pod.ctl.name),
                    "uid": .string(pod.ctl.uid),
                ],
            ]
            if !pod.ctl.nodeName.isEmpty {
                ep["nodeName"] = .string(pod.ctl.nodeName)
                if let zone = nodes[pod.ctl.nodeName]?.ctl.labels["topology.kubernetes.io/zone"] {
                    ep["zone"] = .string(zone)
                }
            }
            if let h = EndpointsController.hostname(pod, svc) { ep["hostname"] = .string(h) }
            var ports: [JSONValue] = []
            for sp in svc["spec"]["ports"].array ?? [] {
                guard let n = EndpointsController.resolveTargetPort(sp, pod: pod) else { continue }
                var p: JSONValue = [
                    "name": .string(sp["name"].string ?? ""), "port": .int(Int64(n)),
                    "protocol": .string(sp["protocol"].string ?? "TCP"),
                ]
                if let ap = sp["appProtocol"].string { p["appProtocol"] = .string(ap) }
                ports.append(p)
            }
            groups[ports, default: []].append(ep)
        }
        return groups.map { Group(ports: $0.key, endpoints: $0.value) }
    }

    /// Endpoints copied from a user-written Endpoints object (upstream endpointslicemirroring).
    static func mirroredGroups(_ ep: JSONValue) -> [Group] {
        var groups: [[JSONValue]: [JSONValue]] = [:]
        for subset in ep["subsets"].array ?? [] {
            let ports: [JSONValue] = (subset["ports"].array ?? []).map {
                var p: JSONValue = [
                    "name": .string($0["name"].string ?? ""), "port": $0["port"],
                    "protocol": .string($0["protocol"].string ?? "TCP"),
                ]
                if let ap = $0["appProtocol"].string { p["appProtocol"] = .string(ap) }
                return p
            }
            for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] {
                for a in subset[key].array ?? [] {
                    guard let ip = a["ip"].string, ip.contains(".") else { continue }
                    var e: JSONValue = ["addresses": [.string(ip)], "conditions": ["ready": .bool(ready)]]
                    for k in ["targetRef", "nodeName", "hostname"] where !a[k].isNull { e[k] = a[k] }
                    groups[ports, default: []].append(e)
                }
            }
        }
        return groups.map { Group(ports: $0.key, endpoints: $0.value) }
    }

    static func sliceLabels(_ svc: JSONValue, managedBy: String) -> [String: String] {
        var labels = svc.ctl.labels
        labels[serviceNameLabel] = svc.ctl.name
        labels[managedByLabel] = managedBy
        labels[EndpointsController.headlessLabel] = svc["spec"]["clusterIP"].string == "None" ? "" : nil
        return labels
    }

    /// Makes the owner's slices hold exactly `groups`: reuse slices with the same ports (in name order),
    /// create what is missing, delete the rest.
    static func sync(
        owner: JSONValue, ownerResource: ResourceInfo, serviceName: String, labels: [String: String], groups: [Group],
        existing: [JSONValue], placeholder: Bool, taken: inout Set<String>, rng: inout some RandomNumberGenerator
    ) -> [ControllerAction] {
        let ns = owner.ctl.namespace
        let ownerRef = ControllerSupport.controllerRef(to: owner, resource: ownerResource)
        // Desired slices as (ports, endpoints) chunks, in a stable order.
        func ipKey(_ e: JSONValue) -> UInt32 { PoolAddress.parse(e["addresses"][0].string ?? "") ?? 0 }
        var desired: [Group] = []
        for g in groups.sorted(by: { JSONValue.array($0.ports).jsonText < JSONValue.array($1.ports).jsonText }) {
            let eps = g.endpoints.map { (ipKey($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
            var i = 0
            while i < eps.count {
                desired.append(
                    Group(ports: g.ports, endpoints: Array(eps[i..<min(i + maxEndpointsPerSlice, eps.count)])))
                i += maxEndpointsPerSlice
            }
        }
        if desired.isEmpty && placeholder { desired = [Group(ports: [], endpoints: [])] }

        var out: [ControllerAction] = []
        var unused = existing.filter { !$0.ctl.isDeleting && $0.ctl.controllerRef?["uid"].string == owner.ctl.uid }
        for want in desired {
            let body = sliceBody(want)
            if let idx = unused.firstIndex(where: { ($0["ports"].array ?? []) == want.ports }) {
                let current = unused.remove(at: idx)
                if content(current) != content(body) || current.ctl.labels != labels {
                    var updated = current
                    updated["ports"] = body["ports"]
                    updated["endpoints"] = body["endpoints"]
                    updated.set("metadata.labels", JSONValue(labels))
                    if updated["ports"].isNull { updated.remove("ports") }
                    if updated["endpoints"].isNull { updated.remove("endpoints") }
                    out.append(.update(Resources.endpointSlices, updated))
                }
            } else {
                let prefix = "\(serviceName)-"
                let name = ControllerSupport.generatedName(
                    prefix: prefix, isTaken: { [taken] in taken.contains("\(ns)/\($0)") }, rng: &rng)
                taken.insert("\(ns)/\(name)")
                var slice = body
                slice["metadata"] = [
                    "name": .string(name), "generateName": .string(prefix), "namespace": .string(ns),
                    "labels": JSONValue(labels), "ownerReferences": [ownerRef],
                ]
                out.append(.create(Resources.endpointSlices, slice))
            }
        }
        for stale in unused {
            out.append(.delete(Resources.endpointSlices, namespace: ns, name: stale.ctl.name, uid: stale.ctl.uid))
        }
        return out
    }

    /// A slice without metadata: addressType, endpoints and ports (empty lists left out, as Go writes null).
    static func sliceBody(_ g: Group) -> JSONValue {
        var body: JSONValue = ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4"]
        if !g.endpoints.isEmpty { body["endpoints"] = .array(g.endpoints) }
        if !g.ports.isEmpty { body["ports"] = .array(g.ports) }
        return body
    }

    /// What a slice says, without metadata noise.
    static func content(_ slice: JSONValue) -> [JSONValue] {
        [slice["addressType"], .array(slice["endpoints"].array ?? []), .array(slice["ports"].array ?? [])]
    }

    /// The `kubernetes` slice pointing at the API server (kube-apiserver's endpoint reconciler).
    static func kubernetesSlice(existing: JSONValue?, config: ClusterConfig) -> [ControllerAction] {
        guard let ip = config.apiServerIP else { return [] }
        let group = Group(
            ports: [["name": "https", "port": .int(Int64(config.apiServerPort)), "protocol": "TCP"]],
            endpoints: [["addresses": [.string(ip)], "conditions": ["ready": true]]])
        let body = sliceBody(group)
        let labels = [serviceNameLabel: "kubernetes"]
        if let existing {
            if existing.ctl.isDeleting || (content(existing) == content(body) && existing.ctl.labels == labels) {
                return []
            }
            var updated = existing
            updated["endpoints"] = body["endpoints"]
            updated["ports"] = body["ports"]
            updated["addressType"] = body["addressType"]
            updated.set("metadata.labels", JSONValue(labels))
            return [.update(Resources.endpointSlices, updated)]
        }
        var slice = body
        slice["metadata"] = ["name": "kubernetes", "namespace": "default", "labels": JSONValue(labels)]
        return [.create(Resources.endpointSlices, slice)]
    }
}
