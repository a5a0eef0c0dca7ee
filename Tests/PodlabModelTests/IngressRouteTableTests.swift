import Foundation
import Testing

@testable import PodlabModel

@Suite("Ingress routing table")
struct IngressRouteTableTests {
    static let nginxClass: JSONValue = [
        "metadata": ["name": "nginx", "annotations": ["ingressclass.kubernetes.io/is-default-class": "true"]],
        "spec": ["controller": "k8s.io/ingress-nginx"],
    ]

    static func path(_ path: String, _ type: String, _ svc: String, port: JSONValue = ["number": 80]) -> JSONValue {
        ["path": .string(path), "pathType": .string(type), "backend": ["service": ["name": .string(svc), "port": port]]]
    }

    static func ingress(
        _ name: String, host: String? = nil, paths: [JSONValue], className: JSONValue = "nginx",
        annotations: JSONValue = [:], created: String = "2026-01-01T00:00:00Z", extra: [String: JSONValue] = [:]
    ) -> JSONValue {
        var rule: JSONValue = ["http": ["paths": .array(paths)]]
        if let host { rule["host"] = .string(host) }
        var spec: [String: JSONValue] = ["rules": [rule]]
        if !className.isNull { spec["ingressClassName"] = className }
        for (k, v) in extra { spec[k] = v }
        return [
            "metadata": [
                "name": .string(name), "namespace": "default", "creationTimestamp": .string(created),
                "annotations": annotations,
            ],
            "spec": .object(spec),
        ]
    }

    static func service(_ name: String, ports: [(String, Int)] = [("", 80)]) -> JSONValue {
        [
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "type": "ClusterIP",
                "ports": .array(ports.map { ["name": .string($0.0), "port": .int(Int64($0.1)), "protocol": "TCP"] }),
            ],
        ]
    }

    static func slice(_ svc: String, port: (String, Int) = ("", 8080), ready: [String], notReady: [String] = []) -> JSONValue {
        let eps = ready.map { ip -> JSONValue in ["addresses": [.string(ip)], "conditions": ["ready": true]] }
            + notReady.map { ip -> JSONValue in ["addresses": [.string(ip)], "conditions": ["ready": false]] }
        return [
            "metadata": ["name": .string(svc + "-abcde"), "namespace": "default", "labels": ["kubernetes.io/service-name": .string(svc)]],
            "addressType": "IPv4",
            "ports": [["name": .string(port.0), "port": .int(Int64(port.1)), "protocol": "TCP"]],
            "endpoints": .array(eps),
        ]
    }

    static func table(_ ingresses: [JSONValue], services: [String] = ["a", "b", "c"]) -> IngressRouteTable {
        IngressRouteTable.build(
            ingresses: ingresses, classes: [nginxClass], services: services.map { service($0) },
            endpointSlices: services.map { slice($0, ready: ["10.244.1.\($0.utf8.first ?? 0)"]) })
    }

    static func service(of decision: IngressRouteDecision) -> String {
        decision.backend?.service ?? "404"
    }

    @Test(
        "Prefix matches element-wise with a trailing slash ignored; Exact is the whole path",
        arguments: [
            ("/aaa/bbb", "/aaa/bbb", "a"), ("/aaa/bbb", "/aaa/bbb/", "a"), ("/aaa/bbb", "/aaa/bbb/ccc", "a"),
            ("/aaa/bbb", "/aaa/bbbxyz", "404"), ("/aaa/bbb/", "/aaa/bbb", "a"), ("/aaa/bbb", "/AAA/bbb", "404"),
            ("/", "/anything", "a"),
        ])
    func prefix(rule: String, request: String, expected: String) {
        let t = Self.table([Self.ingress("i", paths: [Self.path(rule, "Prefix", "a")])])
        #expect(Self.service(of: t.route(host: "x", target: request)) == expected)
    }

    @Test("Exact /foo does not take /foo/ and wins over Prefix /foo for /foo")
    func exactBeatsPrefix() {
        let t = Self.table([
            Self.ingress("i", paths: [Self.path("/foo", "Prefix", "a"), Self.path("/foo", "Exact", "b")])
        ])
        #expect(Self.service(of: t.route(host: "h", target: "/foo")) == "b")
        #expect(Self.service(of: t.route(host: "h", target: "/foo/")) == "a")
        #expect(Self.service(of: t.route(host: "h", target: "/foo?x=1")) == "b")
    }

    @Test("the longest matching path wins, whatever the order in the Ingress")
    func longest() {
        let t = Self.table([
            Self.ingress("i", paths: [Self.path("/", "Prefix", "a"), Self.path("/api/v1", "Prefix", "c"), Self.path("/api", "Prefix", "b")])
        ])
        #expect(Self.service(of: t.route(host: "h", target: "/api/v1/x")) == "c")
        #expect(Self.service(of: t.route(host: "h", target: "/api/v2")) == "b")
        #expect(Self.service(of: t.route(host: "h", target: "/other")) == "a")
    }

    @Test("a request-target's path: query and fragment dropped, absolute-form reduced, a URL in the query left alone")
    func targetPath() {
        #expect(IngressRouteTable.path(of: "/a/b?x=1#f") == "/a/b")
        #expect(IngressRouteTable.path(of: "/go?next=http://other/x") == "/go")
        #expect(IngressRouteTable.path(of: "http://h.example/p/q?x") == "/p/q")
        #expect(IngressRouteTable.path(of: "http://h.example") == "/")
        #expect(IngressRouteTable.path(of: "") == "/")
    }

    @Test("ImplementationSpecific is a plain prefix, as ingress-nginx without regex")
    func implementationSpecific() {
        let t = Self.table([Self.ingress("i", paths: [Self.path("/foo", "ImplementationSpecific", "a")])])
        #expect(Self.service(of: t.route(host: "h", target: "/foobar")) == "a")
        #expect(Self.service(of: t.route(host: "h", target: "/fo")) == "404")
    }

    @Test("hosts: exact, one-label wildcard, catch-all; case and port ignored")
    func hosts() {
        let t = Self.table([
            Self.ingress("exact", host: "api.mycompany.com", paths: [Self.path("/", "Prefix", "a")]),
            Self.ingress("wild", host: "*.foo.com", paths: [Self.path("/", "Prefix", "b")]),
        ])
        #expect(Self.service(of: t.route(host: "API.mycompany.com:80", target: "/")) == "a")
        #expect(Self.service(of: t.route(host: "bar.foo.com", target: "/")) == "b")
        #expect(Self.service(of: t.route(host: "baz.bar.foo.com", target: "/")) == "404")
        #expect(Self.service(of: t.route(host: "foo.com", target: "/")) == "404")
        #expect(Self.service(of: t.route(host: "www.mycompany.com", target: "/")) == "404")
        let withCatchAll = Self.table([
            Self.ingress("wild", host: "*.foo.com", paths: [Self.path("/", "Prefix", "b")]),
            Self.ingress("any", paths: [Self.path("/", "Prefix", "c")]),
        ])
        #expect(Self.service(of: withCatchAll.route(host: "baz.bar.foo.com", target: "/")) == "c")
    }

    @Test("no matching path goes to the Ingress's defaultBackend, else 404")
    func defaultBackend() {
        let plain = Self.table([Self.ingress("i", host: "h", paths: [Self.path("/aaa", "Prefix", "a")])])
        #expect(plain.route(host: "h", target: "/ccc") == .notFound)
        let withDefault = Self.table([
            Self.ingress(
                "i", host: "h", paths: [Self.path("/aaa", "Prefix", "a")],
                extra: ["defaultBackend": ["service": ["name": "c", "port": ["number": 80]]]])
        ])
        #expect(Self.service(of: withDefault.route(host: "h", target: "/ccc")) == "c")
        #expect(Self.service(of: withDefault.route(host: "other", target: "/")) == "c")
    }

    @Test("Ingresses for one host merge; on the same path the older Ingress keeps it")
    func merge() {
        let t = Self.table([
            Self.ingress("new", host: "h", paths: [Self.path("/x", "Prefix", "c"), Self.path("/y", "Prefix", "b")], created: "2026-02-01T00:00:00Z"),
            Self.ingress("old", host: "h", paths: [Self.path("/x", "Prefix", "a")], created: "2026-01-01T00:00:00Z"),
        ])
        #expect(Self.service(of: t.route(host: "h", target: "/x")) == "a")
        #expect(Self.service(of: t.route(host: "h", target: "/y")) == "b")
        #expect(t.servers["h"]?.routes.count == 2)
    }

    @Test("class: ingressClassName of ours, the legacy annotation, or the default class for neither")
    func classes() {
        let paths = [Self.path("/", "Prefix", "a")]
        let other: JSONValue = ["metadata": ["name": "traefik"], "spec": ["controller": "traefik.io/ingress-controller"]]
        func served(_ ing: JSONValue, classes: [JSONValue] = [Self.nginxClass, other]) -> Bool {
            IngressClassSelector.nginx.selects(ing, classes: classes)
        }
        #expect(served(Self.ingress("i", paths: paths)))
        #expect(!served(Self.ingress("i", paths: paths, className: "traefik")))
        #expect(!served(Self.ingress("i", paths: paths, className: "missing")))
        #expect(served(Self.ingress("i", paths: paths, className: nil, annotations: ["kubernetes.io/ingress.class": "nginx"])))
        #expect(!served(Self.ingress("i", paths: paths, className: nil, annotations: ["kubernetes.io/ingress.class": "traefik"])))
        #expect(served(Self.ingress("i", paths: paths, className: nil)))
        let notDefault: JSONValue = ["metadata": ["name": "nginx"], "spec": ["controller": "k8s.io/ingress-nginx"]]
        #expect(!served(Self.ingress("i", paths: paths, className: nil), classes: [notDefault]))
        let t = Self.table([Self.ingress("i", host: "h", paths: paths, className: "traefik")])
        #expect(t.servers.isEmpty)
    }

    @Test("admission gives a classless Ingress the default class, and leaves named or annotated ones alone")
    func admission() {
        var plain = Self.ingress("i", paths: [], className: nil)
        IngressClassSelector.admitDefaultClass(&plain, classes: [Self.nginxClass])
        #expect(plain["spec"]["ingressClassName"] == "nginx")
        var legacy = Self.ingress("i", paths: [], className: nil, annotations: ["kubernetes.io/ingress.class": "traefik"])
        IngressClassSelector.admitDefaultClass(&legacy, classes: [Self.nginxClass])
        #expect(legacy["spec"]["ingressClassName"].isNull)
        var none = Self.ingress("i", paths: [], className: nil)
        let notDefault: JSONValue = ["metadata": ["name": "nginx"], "spec": ["controller": "k8s.io/ingress-nginx"]]
        IngressClassSelector.admitDefaultClass(&none, classes: [notDefault])
        #expect(none["spec"]["ingressClassName"].isNull)
    }

    @Test("backends by port number or name resolve to ready endpoints with the slice's target port")
    func backends() throws {
        let services = [Self.service("web", ports: [("http", 80), ("admin", 9000)])]
        let slices = [
            Self.slice("web", port: ("http", 8080), ready: ["10.244.1.5", "10.244.2.7"], notReady: ["10.244.1.9"]),
            Self.slice("web", port: ("admin", 9001), ready: ["10.244.1.5"]),
        ]
        let ing = Self.ingress(
            "i", host: "h",
            paths: [Self.path("/", "Prefix", "web"), Self.path("/admin", "Prefix", "web", port: ["name": "admin"]),
                    Self.path("/none", "Prefix", "web", port: ["number": 81]), Self.path("/gone", "Prefix", "nosuch")])
        let t = IngressRouteTable.build(ingresses: [ing], classes: [Self.nginxClass], services: services, endpointSlices: slices)
        let web = try #require(t.route(host: "h", target: "/").backend)
        #expect(web.endpoints == ["10.244.1.5:8080", "10.244.2.7:8080"])
        #expect(web.problem == nil)
        #expect(t.route(host: "h", target: "/admin").backend?.endpoints == ["10.244.1.5:9001"])
        #expect(t.route(host: "h", target: "/none").backend?.problem == "service default/web has no port 81")
        #expect(t.route(host: "h", target: "/gone").backend?.problem == "service default/nosuch not found")
    }

    @Test("ssl-redirect and force-ssl-redirect annotations reach the routes")
    func redirectAnnotations() {
        let t = Self.table([
            Self.ingress("off", host: "a", paths: [Self.path("/", "Prefix", "a")],
                         annotations: ["nginx.ingress.kubernetes.io/ssl-redirect": "false"]),
            Self.ingress("force", host: "b", paths: [Self.path("/", "Prefix", "b")],
                         annotations: ["nginx.ingress.kubernetes.io/force-ssl-redirect": "true"]),
        ])
        #expect(t.servers["a"]?.routes.first?.sslRedirect == false)
        #expect(t.servers["b"]?.routes.first?.sslRedirect == true && t.servers["b"]?.routes.first?.forceSSLRedirect == true)
    }

    @Test("tls hosts carry their secret")
    func tls() {
        let ing = Self.ingress(
            "i", host: "secure.example.com", paths: [Self.path("/", "Prefix", "a")],
            extra: ["tls": [["hosts": ["secure.example.com"], "secretName": "cert"]]])
        let t = Self.table([ing])
        #expect(t.servers["secure.example.com"]?.tlsSecret == IngressSecretRef(namespace: "default", name: "cert"))
    }
}

@Suite("IngressStatusController")
struct IngressStatusControllerTests {
    @Test("Ingresses of the class get the controller Service's LoadBalancer IP; others are left alone")
    func publishes() throws {
        var lb: JSONValue = [
            "metadata": ["name": "ingress-nginx-controller", "namespace": "ingress-nginx"],
            "spec": ["type": "LoadBalancer"],
        ]
        let ours = IngressRouteTableTests.ingress("ours", host: "h", paths: [])
        let other = IngressRouteTableTests.ingress("other", host: "h", paths: [], className: "traefik")
        let objects: (JSONValue) -> ClusterSnapshot = { svc in
            ClusterSnapshot(objects: [
                Resources.services: [svc], Resources.ingresses: [ours, other],
                Resources.ingressClasses: [IngressRouteTableTests.nginxClass],
            ])
        }
        #expect(IngressStatusController.reconcile(objects(lb), now: Date()).isEmpty)
        lb["status"] = ["loadBalancer": ["ingress": [["ip": "172.18.255.200", "ipMode": "VIP"]]]]
        let actions = IngressStatusController.reconcile(objects(lb), now: Date())
        #expect(actions.count == 1)
        guard case .updateStatus(_, let updated) = try #require(actions.first) else {
            Issue.record("expected a status update")
            return
        }
        #expect(updated.ctl.name == "ours")
        #expect(updated.at("status.loadBalancer") == ["ingress": [["ip": "172.18.255.200"]]])
    }

    @Test("a tls Secret that is missing or not kubernetes.io/tls gives one Warning event")
    func tlsWarning() {
        var ing = IngressRouteTableTests.ingress("secure", host: "s", paths: [])
        ing["metadata"]["uid"] = "u1"
        ing["spec"]["tls"] = [["hosts": ["s"], "secretName": "missing"], ["hosts": ["t"], "secretName": "opaque"], ["hosts": ["u"], "secretName": "good"]]
        let opaque: JSONValue = ["metadata": ["name": "opaque", "namespace": "default"], "type": "Opaque", "data": [:]]
        let good: JSONValue = [
            "metadata": ["name": "good", "namespace": "default"], "type": "kubernetes.io/tls",
            "data": ["tls.crt": "Y2VydA==", "tls.key": "a2V5"],
        ]
        let snapshot = ClusterSnapshot(objects: [
            Resources.ingresses: [ing], Resources.ingressClasses: [IngressRouteTableTests.nginxClass],
            Resources.secrets: [opaque, good],
        ])
        let events = IngressStatusController.reconcile(snapshot, now: Date()).compactMap { action -> JSONValue? in
            if case .event(let e) = action { return e } else { return nil }
        }
        #expect(events.map { $0["reason"] } == ["TLSSecretNotUsable", "TLSSecretNotUsable"])
        #expect(events.first?["message"].string?.contains("secret default/missing not found") == true)
        #expect(events.last?["message"].string?.contains("is of type Opaque") == true)
    }
}

@Suite("Ingress routing table, described")
struct IngressDescribeTests {
    @Test("describe lists the Ingress's paths in match order with endpoints, and the default backend")
    func describe() {
        let t = IngressRouteTableTests.table([
            IngressRouteTableTests.ingress(
                "i", host: "h", paths: [IngressRouteTableTests.path("/", "Prefix", "a"), IngressRouteTableTests.path("/api", "Exact", "b")]),
            IngressRouteTableTests.ingress("other", host: "o", paths: [IngressRouteTableTests.path("/", "Prefix", "c")]),
        ])
        #expect(t.describe(ingress: "default/i") == [
            "HOST   PATH   TYPE     SERVICE:PORT   ENDPOINTS",
            "h      /api   Exact    b:80           10.244.1.98:8080",
            "h      /      Prefix   a:80           10.244.1.97:8080",
            "default backend: ingress-nginx's own (404 for any host and path no rule takes)",
        ])
    }
}
