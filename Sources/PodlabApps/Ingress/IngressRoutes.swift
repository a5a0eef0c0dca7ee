import PodlabModel
import Synchronization

/// The routing table the proxy serves, replaced whole by `IngressSource`, and the round-robin position of each
/// backend. One lock, taken once per request.
final class IngressRoutes: Sendable {
    private struct State {
        var table = IngressRouteTable()
        /// Hosts whose TLS Secret is served (so plain HTTP to them is redirected).
        var tlsHosts: Set<String> = []
        var synced = false
        var next: [String: Int] = [:]
    }
    private let state = Mutex(State())

    /// What the proxy does with one request.
    enum Pick: Equatable {
        /// Proxy to `endpoint` (`ip:port`); `upstream` names the backend as ingress-nginx's logs do.
        case endpoint(String, upstream: String)
        /// 503: the backend has no ready endpoint or no usable Service port (`reason` says which).
        case unavailable(upstream: String, reason: String)
        /// 404 from the default backend.
        case notFound
        /// 308 to this https URL (ingress-nginx's ssl-redirect).
        case redirect(String)
    }

    var synced: Bool { state.withLock { $0.synced } }

    func replace(_ table: IngressRouteTable, tlsHosts: Set<String> = []) {
        state.withLock {
            $0.table = table
            $0.tlsHosts = tlsHosts
            $0.synced = true
        }
    }

    var table: IngressRouteTable { state.withLock { $0.table } }

    /// The backend for a request, the next of its ready endpoints in turn; over plain HTTP (`secure` false), a
    /// redirect to https when the path's Ingress asks for it.
    func pick(host: String, target: String, secure: Bool = false) -> Pick {
        state.withLock { s in
            let decision = s.table.route(host: host, target: target)
            if !secure, case .route(let serverHost, let route) = decision,
                route.forceSSLRedirect || (route.sslRedirect && s.tlsHosts.contains(serverHost))
            {
                return .redirect("https://\(IngressProxyHandler.stripPort(host))\(target)")
            }
            guard let backend = decision.backend else { return .notFound }
            let upstream = "\(backend.namespace)-\(backend.service)-\(backend.port)"
            if let problem = backend.problem { return .unavailable(upstream: upstream, reason: problem) }
            guard !backend.endpoints.isEmpty else {
                return .unavailable(upstream: upstream, reason: "service \(backend.namespace)/\(backend.service) has no ready endpoints")
            }
            let i = s.next[upstream, default: 0]
            s.next[upstream] = i &+ 1
            return .endpoint(backend.endpoints[i % backend.endpoints.count], upstream: upstream)
        }
    }
}
