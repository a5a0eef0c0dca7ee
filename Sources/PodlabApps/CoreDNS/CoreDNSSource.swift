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
    private var objects: [String: [String: JSONValue]] = [:]
    private var synced: Set<String> = []
    private var dirty = false
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
                let sep = path.contains("?") ? "&" : "?"
                try await client.watch("\(path)\(sep)watch=1&resourceVersion=\(rv)&allowWatchBookmarks=true") { event in
                    await self.apply(kind, event)
                }
            } catch {
                failures += 1
                if failures == 1 || failures % 30 == 0 { log("[ERROR] plugin/kubernetes: \(kind): \(error)") }
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

    private func rebuildLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.settle)
            guard dirty, synced.count == Self.paths.count else { continue }
            dirty = false
            rebuilds += 1
            let corefileText = objects["configmaps"]?["kube-system/coredns"]?["data"]["Corefile"].string
            let corefile = corefileText.map { Corefile($0, resolvConf: resolvConf) } ?? Corefile()
            let config = DNSConfig(
                clusterDomain: corefile.clusterDomain, ttl: corefile.ttl, hasUpstream: !corefile.upstreams.isEmpty)
            let list = { (kind: String) in Array(self.objects[kind, default: [:]].values) }
            let snapshot = DNSRecordsBuilder.snapshot(
                services: list("services"), endpointSlices: list("endpointslices"), pods: [],
                namespaces: list("namespaces"), config: config, serial: UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
            publish(snapshot, corefile)
        }
    }
}
