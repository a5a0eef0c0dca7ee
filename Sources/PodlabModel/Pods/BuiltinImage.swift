/// The built-in programs a pod's image name selects (DESIGN.md, Built-in images). podlab pulls no images:
/// the name picks one of these, and the manifest's ports, env, command and args still apply.
public enum BuiltinImage: String, Codable, Sendable, Hashable, CaseIterable {
    /// nginx: the welcome page on containerPort (default 80), nginx-style 404s, `Server: nginx`.
    case nginx
    /// bretfisher/httpenv: JSON of the process environment on 8888.
    case httpenv
    /// traefik/whoami and lookalikes: hostname, IPs, remote address, request line and headers.
    case whoami
    /// minikube-demo-server: `{"message":"Hello world!"}` on 8000.
    case demoServer = "demo-server"
    /// minikube-demo-server-fetcher: fetches the demo server through cluster DNS.
    case demoFetcher = "demo-fetcher"
    /// busybox, alpine, netshoot, shpod, ubuntu, debian, curl images: no server, the command runs.
    case shell
    /// coredns/coredns: cluster DNS on 53 (UDP and TCP), Prometheus metrics on 9153, /health on 8080 and
    /// /ready on 8181, answering from the cluster's Services and EndpointSlices as CoreDNS's kubernetes plugin.
    case coredns
    /// ingress-nginx/controller: podlab's ingress controller, a reverse proxy on 80 (and TLS on 443) routing by
    /// the cluster's Ingresses, /healthz on 10254.
    case ingressNginx = "ingress-nginx"

    /// The image a user wrote, classified; nil for an image podlab does not have (the pod gets ErrImagePull).
    /// Any registry prefix and any tag or digest are accepted: `docker.io/library/nginx:1.27`, `nginx@sha256:...`.
    public static func classify(_ image: String) -> BuiltinImage? {
        let repo = repository(of: image).lowercased()
        let last = repo.split(separator: "/").last.map(String.init) ?? repo
        if repo.hasSuffix("ingress-nginx/controller") { return .ingressNginx }
        switch last {
        case "nginx", "nginx-unprivileged": return .nginx
        case "httpenv": return .httpenv
        case "whoami": return .whoami
        case "minikube-demo-server": return .demoServer
        case "minikube-demo-server-fetcher": return .demoFetcher
        case "coredns": return .coredns
        case "busybox", "alpine", "netshoot", "shpod", "ubuntu", "debian", "curl", "bash":
            return .shell
        default: return nil
        }
    }

    /// The image name without its tag or digest: `registry:5000/a/b:tag` -> `registry:5000/a/b`.
    public static func repository(of image: String) -> String {
        var s = Substring(image)
        if let at = s.firstIndex(of: "@") { s = s[..<at] }
        // A colon after the last slash starts the tag; one before it belongs to a registry host:port.
        let lastSlash = s.lastIndex(of: "/")
        if let colon = s.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true { s = s[..<colon] }
        return String(s)
    }

    /// The message of an ErrImagePull for an image podlab does not have, naming what it does have.
    public static func pullErrorMessage(for image: String) -> String {
        "podlab runs built-in images only and has none named \"\(image)\"; built-in images: nginx, "
            + "bretfisher/httpenv, traefik/whoami (containous/whoami, */whoami), minikube-demo-server, "
            + "minikube-demo-server-fetcher, coredns/coredns, ingress-nginx/controller, and the shell images busybox, alpine, nicolaka/netshoot, "
            + "jpetazzo/shpod, ubuntu, debian, curlimages/curl"
    }

    /// Whether the responder serves HTTP (so the pod's process is podlab's own code, not the user's command).
    public var isResponder: Bool { self != .shell }

    /// The port the responder listens on when the manifest names no containerPort.
    public var defaultPort: Int? {
        switch self {
        case .nginx: return 80
        case .httpenv: return 8888
        case .whoami: return 80
        case .demoServer: return 8000
        case .demoFetcher: return 8080
        case .coredns: return 53
        case .ingressNginx: return 80
        case .shell: return nil
        }
    }
}
