import PodlabModel
import Synchronization

/// The routing table the proxy serves, replaced whole by `IngressSource`, and the round-robin position of each
/// backend. One lock, taken once per request.
final class IngressRoutes: Sendable {
    private struct State {
        var table = IngressRouteTable()
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
    }

    var synced: Bool { state.withLock { $0.synced } }

    func replace(_ table: IngressRouteTable) {
        state.withLock {
            $0.table = table
            $0.synced = true
        }
    }

    var table: IngressRouteTable { state.withLock { $0.table } }

    /// The backend for a request, the next of its ready endpoints in turn.
    func pick(host: String, target: String) -> Pick {
        state.withLock { s in
            guard let backend = s.table.route(host: host, target: target).backend else { return .notFound }
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
