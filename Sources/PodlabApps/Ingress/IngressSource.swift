import Foundation
import PodlabAPI
import PodlabModel

/// Follows the API as ingress-nginx's informers do (list, then watch from that resourceVersion, and list again
/// when a watch ends) for Ingresses, IngressClasses, Services, EndpointSlices and Secrets, and hands a new routing
/// table and the parsed TLS Secrets it names to `publish` after each burst of changes (within `settle`, 10 ms, of
/// the last event). A TLS Secret that is missing or unusable is logged once, as ingress-nginx logs it; the
/// listener then serves the default certificate for its hosts.
actor IngressSource {
    let client: APIClient
    let publish: @Sendable (IngressRouteTable, [String: IngressCertificates.Pair]) -> Void
    let log: @Sendable (String) -> Void
    private var objects: [String: [String: JSONValue]] = [:]
    private var synced: Set<String> = []
    private var dirty = false
    /// Parsed TLS Secrets by `namespace/name`, with the resourceVersion they were parsed at.
    private var parsed: [String: (version: String, pair: Result<IngressCertificates.Pair, IngressTLSError>)] = [:]
    static let settle: Duration = .milliseconds(10)

    /// The lists followed, by API path; all must have been listed once before the first table.
    static let paths = [
        "ingresses": "/apis/networking.k8s.io/v1/ingresses",
        "ingressclasses": "/apis/networking.k8s.io/v1/ingressclasses",
        "services": "/api/v1/services",
        "endpointslices": "/apis/discovery.k8s.io/v1/endpointslices",
        "secrets": "/api/v1/secrets",
    ]

    init(
        client: APIClient, publish: @escaping @Sendable (IngressRouteTable, [String: IngressCertificates.Pair]) -> Void,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.client = client
        self.publish = publish
        self.log = log
    }

    /// Runs until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for (kind, path) in Self.paths { group.addTask { await self.follow(kind, path) } }
            group.addTask { await self.rebuildLoop() }
        }
    }

    private func follow(_ kind: String, _ path: String) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let list = try await client.getJSON(path)
                var items: [String: JSONValue] = [:]
                for item in list["items"].array ?? [] { items[Self.key(item)] = item }
                replace(kind, items)
                failures = 0
                let rv = list["metadata"]["resourceVersion"].string ?? "0"
                try await client.watch("\(path)?watch=1&resourceVersion=\(rv)&allowWatchBookmarks=true") { event in
                    await self.apply(kind, event)
                }
            } catch {
                failures += 1
                if failures == 1 || failures % 30 == 0 { log("W informer \(kind): \(error)") }
            }
            try? await Task.sleep(for: .milliseconds(failures == 0 ? 100 : min(1000, 100 * failures)))
        }
    }

    private static func key(_ o: JSONValue) -> String {
        (o["metadata"]["namespace"].string ?? "") + "/" + (o["metadata"]["name"].string ?? "")
    }

    private func replace(_ kind: String, _ items: [String: JSONValue]) {
        objects[kind] = items
        synced.insert(kind)
        dirty = true
    }

    private func apply(_ kind: String, _ event: JSONValue) {
        let object = event["object"]
        switch event["type"].string {
        case "ADDED", "MODIFIED": objects[kind, default: [:]][Self.key(object)] = object
        case "DELETED": objects[kind]?[Self.key(object)] = nil
        default: return  // BOOKMARK, ERROR (the watch ends and is re-listed)
        }
        dirty = true
    }

    /// The parsed Secrets the table's servers name; a Secret is parsed again only when its resourceVersion moves.
    private func certificates(for table: IngressRouteTable) -> [String: IngressCertificates.Pair] {
        var out: [String: IngressCertificates.Pair] = [:]
        var seen: Set<String> = []
        for ref in table.servers.values.compactMap(\.tlsSecret) where seen.insert(ref.description).inserted {
            let key = ref.description
            guard let secret = objects["secrets"]?[key] else {
                if parsed[key]?.version != "missing" {
                    log("W store: error getting SSL certificate \"\(key)\": local SSL certificate \(key) was not found. "
                        + "Using default certificate")
                    parsed[key] = ("missing", .failure(IngressTLSError("secret \(key) not found")))
                }
                continue
            }
            let version = secret["metadata"]["resourceVersion"].string ?? ""
            if parsed[key]?.version != version {
                let result = Result { try IngressCertificates.parse(secret: secret) }.mapError {
                    $0 as? IngressTLSError ?? IngressTLSError("\($0)")
                }
                if case .failure(let e) = result {
                    log("W store: error obtaining X.509 certificate \"\(key)\": \(e). Using default certificate")
                }
                parsed[key] = (version, result)
            }
            if case .success(let pair) = parsed[key]?.pair { out[key] = pair }
        }
        return out
    }

    private func rebuildLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.settle)
            guard dirty, synced.count == Self.paths.count else { continue }
            dirty = false
            let list = { (kind: String) in Array(self.objects[kind, default: [:]].values) }
            let table = IngressRouteTable.build(
                ingresses: list("ingresses"), classes: list("ingressclasses"), services: list("services"),
                endpointSlices: list("endpointslices"))
            publish(table, certificates(for: table))
        }
    }
}
