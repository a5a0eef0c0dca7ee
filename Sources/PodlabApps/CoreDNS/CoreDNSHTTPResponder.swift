import NIOCore
import PodlabModel
import Synchronization

/// CoreDNS's HTTP side: `/health` on 8080 (the `health` plugin: "OK" while the process runs), `/ready` on 8181
/// (the `ready` plugin: 200 once the kubernetes plugin has synced with the API, 503 before) and `/metrics` on 9153
/// (`prometheus`). One responder serves all three ports; the path decides. Go's framing, as CoreDNS is Go.
struct CoreDNSHTTPResponder: Responder {
    let style = ServerStyle.go
    var keepsBody: Bool { false }
    let metrics: CoreDNSMetrics
    let synced: @Sendable () -> Bool

    func startupLines(port: Int, stamp: ClockStamp) -> [String] { [] }

    func respond(to request: RequestInfo, on eventLoop: any EventLoop) -> Reply {
        switch request.path {
        case "/health": return .now(Self.text(200, "OK"))
        case "/ready":
            // CoreDNS's ready plugin answers 503 with the names of the plugins that are not ready yet.
            return .now(synced() ? Self.text(200, "OK") : Self.text(503, "kubernetes"))
        case "/metrics":
            return .now(Self.text(200, metrics.text(ready: synced()), type: "text/plain; version=0.0.4; charset=utf-8"))
        default: return .now(Self.text(404, "404 page not found\n"))
        }
    }

    func accessLog(
        _ request: RequestInfo?, status: Int, bodyBytesSent: Int, stamp: ClockStamp, emit: (String) -> Void
    ) {}

    static func text(_ status: Int, _ body: String, type: String = "text/plain; charset=utf-8") -> PreparedResponse {
        let reason = [200: "OK", 404: "Not Found", 503: "Service Unavailable"][status] ?? "OK"
        let bytes = Array(body.utf8)
        return PreparedResponse(
            status: status, beforeDate: "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\n",
            beforeConnection: "Content-Length: \(bytes.count)\r\n", body: bytes)
    }
}

/// What podlab's DNS server takes from the Corefile in the `coredns` ConfigMap: the cluster zone and `ttl` of
/// the `kubernetes` block, and `forward`'s upstreams (`/etc/resolv.conf` means the nameservers listed there).
/// Other plugins (errors, cache, loop, reload, loadbalance) are accepted and behave as built in.
struct Corefile: Equatable, Sendable {
    var clusterDomain = "cluster.local"
    var ttl: UInt32 = 30
    var upstreams: [String] = []

    init() {}

    /// Reads `text`; `resolvConf` is what `/etc/resolv.conf` holds, for `forward . /etc/resolv.conf`.
    init(_ text: String, resolvConf: String) {
        var inKubernetes = false
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first else { continue }
            switch first {
            case "kubernetes":
                if words.count > 1 { clusterDomain = words[1].hasSuffix(".") ? String(words[1].dropLast()) : words[1] }
                inKubernetes = words.last == "{"
            case "ttl" where inKubernetes:
                if words.count > 1, let t = UInt32(words[1]), t <= 3600 { ttl = t }
            case "}":
                inKubernetes = false
            case "forward" where words.count > 2:
                for target in words.dropFirst(2) where target != "{" {
                    if target.hasPrefix("/") {
                        upstreams += PodFiles.parse(resolvConf).nameservers
                    } else {
                        upstreams.append(target.hasPrefix("dns://") ? String(target.dropFirst(6)) : target)
                    }
                }
            default: break
            }
        }
    }
}
