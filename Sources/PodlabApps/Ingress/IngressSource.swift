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
        let log = self.log
        let follower = APIFollower(client: client, paths: Self.paths) { kind, error in log("W informer \(kind): \(error)") }
        await follower.run(settle: Self.settle) { objects in await self.rebuild(objects) }
    }

    /// The parsed Secrets the table's servers name; a Secret is parsed again only when its resourceVersion moves.
    private func certificates(for table: IngressRouteTable, secrets: [String: JSONValue]) -> [String: IngressCertificates.Pair] {
        var out: [String: IngressCertificates.Pair] = [:]
        var seen: Set<String> = []
        for ref in table.servers.values.compactMap(\.tlsSecret) where seen.insert(ref.description).inserted {
            let key = ref.description
            guard let secret = secrets[key] else {
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

    private func rebuild(_ objects: APIFollower.Objects) {
        let list = { (kind: String) in Array(objects[kind, default: [:]].values) }
        let table = IngressRouteTable.build(
            ingresses: list("ingresses"), classes: list("ingressclasses"), services: list("services"),
            endpointSlices: list("endpointslices"))
        publish(table, certificates(for: table, secrets: objects["secrets"] ?? [:]))
    }
}
