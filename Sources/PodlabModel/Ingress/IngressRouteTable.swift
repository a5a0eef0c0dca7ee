/// The routing table an ingress controller serves: one server per host (plus the catch-all server for rules
/// without a host), each with its paths in match order, and the default backend.
///
/// Built by `IngressRouteTable.build` from the API objects; `route(host:path:)` answers which backend a request
/// goes to. Pure: the proxy, `podlab explain` and the tests read the same table.
public struct IngressRouteTable: Sendable, Equatable {
    /// Servers by lower-cased host: exact names, `*.example.com` wildcards, and "" for rules without a host.
    public var servers: [String: IngressServer]
    /// The default backend for requests no server or path takes; nil means ingress-nginx's own: 404.
    public var defaultBackend: IngressBackendTarget?

    public init(servers: [String: IngressServer] = [:], defaultBackend: IngressBackendTarget? = nil) {
        self.servers = servers
        self.defaultBackend = defaultBackend
    }

    /// The servers ordered by host (the catch-all server "" first), for printing.
    public var orderedServers: [IngressServer] { servers.keys.sorted().compactMap { servers[$0] } }

    /// The server a request for `host` (a Host header, a port suffix allowed) is served by: the exact host,
    /// else the one-label wildcard (`*.foo.com` takes `bar.foo.com`, not `baz.bar.foo.com` nor `foo.com`),
    /// else the catch-all server of rules without a host.
    public func server(forHost host: String) -> IngressServer? {
        let name = Self.hostName(host)
        if let exact = servers[name] { return exact }
        if let dot = name.firstIndex(of: "."), dot != name.startIndex {
            let parent = name[name.index(after: dot)...]
            if !parent.isEmpty, let wild = servers["*." + parent] { return wild }
        }
        return servers[""]
    }

    /// Where a request for `host` and `target` (a request-target: path with an optional query) goes.
    public func route(host: String, target: String) -> IngressRouteDecision {
        let path = Self.path(of: target)
        let server = server(forHost: host)
        if let server, let route = server.match(path) { return .route(server.host, route) }
        if let backend = server?.defaultBackend ?? defaultBackend { return .defaultBackend(backend) }
        return .notFound
    }

    /// The host part of a Host header, lower-cased: `Foo.COM:8080` -> `foo.com`, `[::1]:80` -> `[::1]`.
    static func hostName(_ header: String) -> String {
        var h = Substring(header.lowercased())
        if h.hasPrefix("[") {
            if let close = h.firstIndex(of: "]") { h = h[...close] }
        } else if let colon = h.lastIndex(of: ":") {
            h = h[..<colon]
        }
        if h.hasSuffix(".") { h = h.dropLast() }
        return String(h)
    }

    /// The path of a request-target, without query or fragment; an absolute-form target (`http://h/p`) gives `/p`.
    static func path(of target: String) -> String {
        var t = Substring(target)
        // Origin-form (`/p?q`), which nearly every request uses, needs no search for a scheme.
        if t.first != "/", let scheme = t.range(of: "://") {
            t = t[scheme.upperBound...]
            t = t.firstIndex(of: "/").map { t[$0...] } ?? "/"
        }
        if let q = t.firstIndex(where: { $0 == "?" || $0 == "#" }) { t = t[..<q] }
        return t.isEmpty ? "/" : String(t)
    }
}

/// What `IngressRouteTable.route` decided for one request.
public enum IngressRouteDecision: Sendable, Equatable {
    /// A path of the server for `host` matched.
    case route(_ host: String, IngressRoute)
    /// No path matched; an Ingress's `spec.defaultBackend` takes the request.
    case defaultBackend(IngressBackendTarget)
    /// No path matched and there is no default backend: ingress-nginx's default backend answers 404.
    case notFound

    /// The backend the request goes to, nil for the 404 default backend.
    public var backend: IngressBackendTarget? {
        switch self {
        case .route(_, let r): return r.backend
        case .defaultBackend(let b): return b
        case .notFound: return nil
        }
    }
}

/// One virtual server: a host and its paths, longest first.
public struct IngressServer: Sendable, Equatable {
    /// The lower-cased host, `*.foo.com` for a wildcard, "" for the catch-all server.
    public var host: String
    /// Paths in match order: Exact first, then longest first, then by the Ingresses' age.
    public var routes: [IngressRoute]
    /// The Secret of a `spec.tls` entry naming this host (`namespace/name`), if any.
    public var tlsSecret: IngressSecretRef?
    /// The `spec.defaultBackend` of the Ingresses that define this host, if one has it.
    public var defaultBackend: IngressBackendTarget?

    public init(host: String, routes: [IngressRoute] = [], tlsSecret: IngressSecretRef? = nil) {
        self.host = host
        self.routes = routes
        self.tlsSecret = tlsSecret
    }

    /// The route that takes `path`: any Exact match (it is the whole path, so it is never shorter than a prefix
    /// match, and wins ties), else the longest matching Prefix or ImplementationSpecific path.
    public func match(_ path: String) -> IngressRoute? {
        routes.first { $0.matches(path) }
    }
}

/// A Secret reference from `spec.tls`.
public struct IngressSecretRef: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(namespace)/\(name)" }
}

/// networking/v1 pathType.
public enum IngressPathType: String, Sendable, Hashable {
    /// The whole path, case-sensitive.
    case exact = "Exact"
    /// Element-wise prefix on `/`, case-sensitive, a trailing slash ignored.
    case prefix = "Prefix"
    /// As ingress-nginx without regex: a plain string prefix (`/foo` takes `/foobar`).
    case implementationSpecific = "ImplementationSpecific"
}

/// One path of a server and where it goes.
public struct IngressRoute: Sendable, Equatable {
    /// The path as written in the Ingress ("/" when it had none).
    public var path: String
    public var pathType: IngressPathType
    public var backend: IngressBackendTarget
    /// The Ingress that defined it, `namespace/name`.
    public var ingress: String
    /// ingress-nginx's `ssl-redirect` (on unless the Ingress's `nginx.ingress.kubernetes.io/ssl-redirect` is
    /// "false"): plain HTTP gets a 308 to https when the host has a TLS certificate.
    public var sslRedirect = true
    /// `nginx.ingress.kubernetes.io/force-ssl-redirect: "true"`: the 308 even without a certificate for the host.
    public var forceSSLRedirect = false

    public init(path: String, pathType: IngressPathType, backend: IngressBackendTarget, ingress: String) {
        self.path = path
        self.pathType = pathType
        self.backend = backend
        self.ingress = ingress
    }

    /// The path compared against requests: a Prefix path loses its trailing slashes (`/aaa/bbb/` is `/aaa/bbb`,
    /// `/` is the empty prefix that takes everything).
    var matchPath: String {
        guard pathType == .prefix else { return path }
        var p = Substring(path)
        while p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    /// How specific the match is, for ordering: the length of the compared path.
    var specificity: Int { matchPath.utf8.count }

    /// Whether this path takes a request for `path`.
    public func matches(_ path: String) -> Bool {
        switch pathType {
        case .exact:
            return path == self.path
        case .implementationSpecific:
            return path.hasPrefix(self.path)
        case .prefix:
            let p = matchPath
            if p.isEmpty { return true }
            guard path.hasPrefix(p) else { return false }
            let rest = path.dropFirst(p.count)
            return rest.isEmpty || rest.hasPrefix("/")
        }
    }
}

/// A Service port an Ingress routes to, resolved to its ready endpoints.
public struct IngressBackendTarget: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String
    public var service: String
    /// The port as the Ingress names it: a number (`80`) or a Service port name (`http`).
    public var port: String
    /// Ready endpoints as `ip:port`, in a stable order.
    public var endpoints: [String]
    /// Why the backend has no usable Service port (Service missing, no such port, ExternalName), or nil.
    public var problem: String?

    public init(namespace: String, service: String, port: String, endpoints: [String] = [], problem: String? = nil) {
        self.namespace = namespace
        self.service = service
        self.port = port
        self.endpoints = endpoints
        self.problem = problem
    }

    /// `namespace/service:port`, as ingress-nginx names upstreams (with `-` there).
    public var description: String { "\(namespace)/\(service):\(port)" }
}
