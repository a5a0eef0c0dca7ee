import Foundation
import PodlabAPI
import PodlabDNS
import PodlabModel
import Synchronization

/// Follows the API as CoreDNS's kubernetes plugin does (list, then watch from that resourceVersion, and list
/// again when a watch ends) for Services, EndpointSlices, Namespaces and the `coredns` ConfigMap, and hands a
/// new `DNSSnapshot` to `publish` after each burst of changes (within `settle`, 10 ms, of the last event).
actor CoreDNSSource {
    let client: APIClient
    let resolvConf: String
    let publish: @Sendable (DNSSnapshot, Corefile) -> Void
    let log: @Sendable (String) -> Void
    private var rebuilds = 0
    static let settle: Duration = .milliseconds(10)

    /// The lists followed, by API path; all four must have been listed once before the first snapshot.
    static let paths = [
        "services": "/api/v1/services",
        "endpointslices": "/apis/discovery.k8s.io/v1/endpointslices",
        "namespaces": "/api/v1/namespaces",
        "configmaps": "/api/v1/namespaces/kube-system/configmaps",
    ]

    init(
        client: APIClient, resolvConf: String, publish: @escaping @Sendable (DNSSnapshot, Corefile) -> Void,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.client = client
        self.resolvConf = resolvConf
        self.publish = publish
        self.log = log
    }

    /// Runs until cancelled.
    func run() async {
        let log = self.log
        let follower = APIFollower(client: client, paths: Self.paths) { kind, error in
            log("[ERROR] plugin/kubernetes: \(kind): \(error)")
        }
        await follower.run(settle: Self.settle) { objects in await self.rebuild(objects) }
    }

    private func rebuild(_ objects: APIFollower.Objects) {
        rebuilds += 1
        let corefileText = objects["configmaps"]?["kube-system/coredns"]?["data"]["Corefile"].string
        let corefile = corefileText.map { Corefile($0, resolvConf: resolvConf) } ?? Corefile()
        let config = DNSConfig(
            clusterDomain: corefile.clusterDomain, ttl: corefile.ttl, hasUpstream: !corefile.upstreams.isEmpty)
        let list = { (kind: String) in Array(objects[kind, default: [:]].values) }
        let snapshot = DNSRecordsBuilder.snapshot(
            services: list("services"), endpointSlices: list("endpointslices"), pods: [],
            namespaces: list("namespaces"), config: config, serial: UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
        publish(snapshot, corefile)
    }
}
