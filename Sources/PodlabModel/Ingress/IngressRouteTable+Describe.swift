extension IngressRouteTable {
    /// The routes of the Ingress `namespace/name` as the controller serves them, one line per path in match
    /// order: host (`*` for the catch-all server), path, pathType, `service:port` and its ready endpoints (or why
    /// it has none). Paths another, older Ingress took for the same host are not this Ingress's, so not listed.
    public func describe(ingress key: String) -> [String] {
        var rows: [[String]] = [["HOST", "PATH", "TYPE", "SERVICE:PORT", "ENDPOINTS"]]
        for server in orderedServers {
            for route in server.routes where route.ingress == key {
                rows.append([
                    server.host.isEmpty ? "*" : server.host, route.path, route.pathType.rawValue,
                    "\(route.backend.service):\(route.backend.port)", Self.endpointsCell(route.backend),
                ])
            }
        }
        var lines = Self.columns(rows)
        for server in orderedServers where server.routes.contains(where: { $0.ingress == key }) {
            if let secret = server.tlsSecret { lines.append("tls \(server.host): secret \(secret)") }
        }
        if let d = defaultBackend {
            lines.append("default backend: \(d.namespace)/\(d.service):\(d.port) \(Self.endpointsCell(d))")
        } else {
            lines.append("default backend: ingress-nginx's own (404 for any host and path no rule takes)")
        }
        return lines
    }

    static func endpointsCell(_ b: IngressBackendTarget) -> String {
        if let problem = b.problem { return "<none> (503: \(problem))" }
        return b.endpoints.isEmpty ? "<none> (503: no ready endpoints)" : b.endpoints.joined(separator: ",")
    }

    /// Left-aligned columns separated by three spaces, as kubectl prints tables.
    static func columns(_ rows: [[String]]) -> [String] {
        guard let width = rows.first?.count else { return [] }
        let widths = (0..<width).map { i in rows.map { $0[i].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == width - 1 ? cell : cell.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }
    }
}
