import Foundation

/// Which Ingresses an ingress controller serves: the IngressClass controller name it implements and the class
/// name it answers to in the legacy annotation (ingress-nginx's `--controller-class` and `--ingress-class`).
public struct IngressClassSelector: Sendable, Equatable {
    public var controller: String
    public var legacyClass: String

    /// ingress-nginx's defaults: controller `k8s.io/ingress-nginx`, class `nginx`.
    public static let nginx = IngressClassSelector(controller: "k8s.io/ingress-nginx", legacyClass: "nginx")

    public init(controller: String, legacyClass: String) {
        self.controller = controller
        self.legacyClass = legacyClass
    }

    static let legacyAnnotation = "kubernetes.io/ingress.class"
    static let defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

    /// Whether `ingress` is for this controller: `spec.ingressClassName` names an IngressClass of ours; else the
    /// legacy `kubernetes.io/ingress.class` annotation equals our class; else, with neither, one of our
    /// IngressClasses is annotated as the cluster's default class.
    public func selects(_ ingress: JSONValue, classes: [JSONValue]) -> Bool {
        let ours = classes.filter { $0["spec"]["controller"].string == controller }
        if let name = ingress["spec"]["ingressClassName"].string, !name.isEmpty {
            return ours.contains { $0["metadata"]["name"].string == name }
        }
        if let legacy = ingress["metadata"]["annotations"][Self.legacyAnnotation].string {
            return legacy == legacyClass
        }
        return ours.contains { $0["metadata"]["annotations"][Self.defaultClassAnnotation].string == "true" }
    }

    /// kube-apiserver's DefaultIngressClass admission on create: an Ingress with neither `spec.ingressClassName`
    /// nor the legacy annotation gets the name of the IngressClass annotated as default (the newest one when
    /// several are). Nothing changes when no class is the default.
    public static func admitDefaultClass(_ ingress: inout JSONValue, classes: [JSONValue]) {
        let name = ingress["spec"]["ingressClassName"].string ?? ""
        guard name.isEmpty, ingress["metadata"]["annotations"][legacyAnnotation].isNull else { return }
        let defaults = classes.filter { $0["metadata"]["annotations"][defaultClassAnnotation].string == "true" }
        let newest = defaults.max { a, b in
            let (ta, tb) = (a["metadata"]["creationTimestamp"].string ?? "", b["metadata"]["creationTimestamp"].string ?? "")
            return ta != tb ? ta < tb : (a["metadata"]["name"].string ?? "") > (b["metadata"]["name"].string ?? "")
        }
        guard let chosen = newest?["metadata"]["name"].string else { return }
        if ingress["spec"].isNull { ingress["spec"] = [:] }
        ingress["spec"]["ingressClassName"] = .string(chosen)
    }
}

extension IngressRouteTable {
    /// Builds the table from the cluster's Ingresses, IngressClasses, Services and EndpointSlices (JSON as the
    /// API serves them), for the Ingresses `selector` takes.
    ///
    /// Ingresses are merged per host, oldest first (creationTimestamp, then namespace/name): when two define
    /// the same host, path and pathType, the older one keeps it, as ingress-nginx does. The oldest Ingress with a
    /// `spec.defaultBackend` gives the catch-all default; for a host, the oldest of its own Ingresses with one.
    /// Backends resolve a Service port by number or name to the ready endpoints of its EndpointSlices.
    public static func build(
        ingresses: [JSONValue], classes: [JSONValue], services: [JSONValue], endpointSlices: [JSONValue],
        selector: IngressClassSelector = .nginx
    ) -> IngressRouteTable {
        let resolver = BackendResolver(services: services, endpointSlices: endpointSlices)
        let ordered = ingresses.filter { selector.selects($0, classes: classes) && $0["metadata"]["deletionTimestamp"].isNull }
            .sorted { a, b in
                let ta = a["metadata"]["creationTimestamp"].string ?? "", tb = b["metadata"]["creationTimestamp"].string ?? ""
                if ta != tb { return ta < tb }
                return key(a) < key(b)
            }
        var table = IngressRouteTable()
        var taken: [String: Set<String>] = [:]
        for ing in ordered {
            let ns = ing["metadata"]["namespace"].string ?? ""
            let spec = ing["spec"]
            let own = spec["defaultBackend"].isNull ? nil : resolver.resolve(spec["defaultBackend"], namespace: ns)
            if table.defaultBackend == nil { table.defaultBackend = own }
            var tlsHosts: [String: IngressSecretRef] = [:]
            for tls in spec["tls"].array ?? [] {
                guard let secret = tls["secretName"].string, !secret.isEmpty else { continue }
                for h in tls["hosts"].array ?? [] {
                    if let h = h.string { tlsHosts[h.lowercased()] = IngressSecretRef(namespace: ns, name: secret) }
                }
            }
            for rule in spec["rules"].array ?? [] {
                let host = (rule["host"].string ?? "").lowercased()
                var server = table.servers[host] ?? IngressServer(host: host)
                if server.tlsSecret == nil { server.tlsSecret = tlsHosts[host] }
                if server.defaultBackend == nil, !host.isEmpty { server.defaultBackend = own }
                for p in rule["http"]["paths"].array ?? [] {
                    let path = p["path"].string.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
                    let type = p["pathType"].string.flatMap(IngressPathType.init(rawValue:)) ?? .implementationSpecific
                    guard taken[host, default: []].insert("\(type.rawValue) \(path)").inserted else { continue }
                    var route = IngressRoute(
                        path: path, pathType: type, backend: resolver.resolve(p["backend"], namespace: ns),
                        ingress: key(ing))
                    let annotations = ing["metadata"]["annotations"]
                    route.sslRedirect = annotations["nginx.ingress.kubernetes.io/ssl-redirect"].string != "false"
                    route.forceSSLRedirect = annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"].string == "true"
                    server.routes.append(route)
                }
                table.servers[host] = server
            }
            // A tls host without a rule still gets a server, so its certificate is served (ingress-nginx does).
            for (host, secret) in tlsHosts where table.servers[host] == nil {
                table.servers[host] = IngressServer(host: host, tlsSecret: secret)
            }
        }
        for (host, var server) in table.servers {
            // Stable: among equals, the older Ingress's path stays first.
            server.routes = server.routes.enumerated().sorted { a, b in
                let (x, y) = (a.element, b.element)
                if (x.pathType == .exact) != (y.pathType == .exact) { return x.pathType == .exact }
                if x.specificity != y.specificity { return x.specificity > y.specificity }
                if (x.pathType == .prefix) != (y.pathType == .prefix) { return x.pathType == .prefix }
                return a.offset < b.offset
            }.map(\.element)
            table.servers[host] = server
        }
        return table
    }

    static func key(_ o: JSONValue) -> String {
        (o["metadata"]["namespace"].string ?? "") + "/" + (o["metadata"]["name"].string ?? "")
    }
}

/// Resolves an Ingress backend (`service.name` + `service.port.number|name`) to the Service port's ready
/// endpoints, through the EndpointSlices labelled with the Service's name.
struct BackendResolver {
    var services: [String: JSONValue] = [:]
    var slices: [String: [JSONValue]] = [:]

    init(services: [JSONValue], endpointSlices: [JSONValue]) {
        for s in services { self.services[IngressRouteTable.key(s)] = s }
        for slice in endpointSlices {
            guard let svc = slice["metadata"]["labels"]["kubernetes.io/service-name"].string else { continue }
            slices[(slice["metadata"]["namespace"].string ?? "") + "/" + svc, default: []].append(slice)
        }
    }

    func resolve(_ backend: JSONValue, namespace: String) -> IngressBackendTarget {
        let name = backend["service"]["name"].string ?? ""
        let port = backend["service"]["port"]
        let portText = port["number"].int.map(String.init) ?? port["name"].string ?? ""
        var target = IngressBackendTarget(namespace: namespace, service: name, port: portText)
        guard !name.isEmpty else {
            target.problem = backend["resource"].isNull ? "the backend names no service" : "resource backends are not supported"
            return target
        }
        guard let svc = services["\(namespace)/\(name)"] else {
            target.problem = "service \(namespace)/\(name) not found"
            return target
        }
        if svc["spec"]["type"].string == "ExternalName" {
            target.problem = "service \(namespace)/\(name) is of type ExternalName"
            return target
        }
        let ports = svc["spec"]["ports"].array ?? []
        let servicePort: JSONValue?
        if let number = port["number"].int {
            servicePort = ports.first { $0["port"].int == number }
        } else {
            servicePort = ports.first { $0["name"].string == portText }
        }
        guard let servicePort else {
            target.problem = "service \(namespace)/\(name) has no port \(portText)"
            return target
        }
        let portName = servicePort["name"].string ?? ""
        var seen: Set<String> = []
        var endpoints: [String] = []
        for slice in slices["\(namespace)/\(name)"] ?? [] where slice["addressType"].string != "IPv6" {
            guard
                let slicePort = (slice["ports"].array ?? []).first(where: { ($0["name"].string ?? "") == portName }),
                let number = slicePort["port"].int
            else { continue }
            for ep in slice["endpoints"].array ?? [] where ep["conditions"]["ready"].bool != false {
                for address in ep["addresses"].array ?? [] {
                    guard let ip = address.string else { continue }
                    let hostPort = "\(ip):\(number)"
                    if seen.insert(hostPort).inserted { endpoints.append(hostPort) }
                }
            }
        }
        target.endpoints = endpoints.sorted()
        return target
    }
}
