import Foundation
import PodlabModel
import PodlabNet

/// `PodlabBench rules N DIR`: N Services x 3 endpoints, in the network namespace this process runs in (the
/// script puts it in a throwaway one). Writes DIR/full.nft (the full-sync script) and DIR/change.nft (one
/// Service's endpoints changed), for the script to time with `nft -f`, and prints podlab's own timings: the
/// model (desired ruleset + script text) and the libnftables transaction, for the full sync and for the change.
enum RulesBench {
    static func objects(_ n: Int, changed: Int? = nil) -> ([JSONValue], [JSONValue]) {
        var services: [JSONValue] = []
        var slices: [JSONValue] = []
        for i in 0..<n {
            let name = "svc\(i)"
            services.append([
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "bench", "resourceVersion": "1"],
                "spec": [
                    "type": "ClusterIP", "clusterIP": .string("10.96.\(i / 250 + 1).\(i % 250 + 1)"),
                    "selector": ["app": .string(name)], "ports": [["name": "http", "port": 80, "protocol": "TCP"]],
                ],
            ])
            let base = changed == i ? 100 : 0
            let endpoints: [JSONValue] = (0..<3).map { e in
                ["addresses": [.string("10.244.\(e).\((i + base) % 250 + 2)")], "conditions": ["ready": true],
                 "nodeName": "podlab-worker"]
            }
            slices.append([
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": ["name": .string(name + "-x"), "namespace": "bench",
                             "resourceVersion": .string(changed == i ? "2" : "1"),
                             "labels": ["kubernetes.io/service-name": .string(name)]],
                "ports": [["name": "http", "port": 8080, "protocol": "TCP"]], "endpoints": .array(endpoints),
            ])
        }
        return (services, slices)
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func main(_ args: [String]) {
        guard args.count == 2, let n = Int(args[0]), n > 0, n <= 20_000 else {
            FileHandle.standardError.write(Data("usage: PodlabBench rules N(1-20000) DIR\n".utf8))
            exit(2)
        }
        let dir = args[1]
        let config = KubeProxyConfig(nodeName: "podlab-worker", nodeIPs: [IPv4Address("172.18.0.3")!])
        do {
            let (services, slices) = objects(n)
            let (_, changedSlices) = objects(n, changed: n / 2)
            // As podlabd's ProxySyncer does it: a tracker per node, a full render first, then partial updates.
            var tracker = ProxyRulesTracker(config: config)
            var fullText = ""
            let modelFull = seconds {
                _ = tracker.update(services: services, endpointSlices: slices)
                fullText = tracker.ruleset().render()
            }
            var changeText = ""
            let modelChange = seconds {
                changeText = tracker.update(services: services, endpointSlices: changedSlices).script
            }
            try fullText.write(toFile: dir + "/full.nft", atomically: true, encoding: .utf8)
            try changeText.write(toFile: dir + "/change.nft", atomically: true, encoding: .utf8)
            let nft = try NftContext(subject: "bench")
            let applyFull = try seconds { try nft.run(fullText) }
            let applyChange = try seconds { try nft.run(changeText) }
            try nft.run("delete table ip kube-proxy")
            print(String(format: "podlab %d services: model full %.3f s, libnftables full %.3f s, model change %.4f s, libnftables change %.4f s, script lines %d / %d",
                n, modelFull, applyFull, modelChange, applyChange,
                fullText.split(separator: "\n").count, changeText.split(separator: "\n").count))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }
}
