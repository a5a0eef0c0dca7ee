import Foundation
import PodlabModel
import PodlabNet

/// `PodlabBench netpol POLICIES PODS DIR`: NetworkPolicy rule programming on one node, in the network namespace
/// this process runs in (the script puts it in a throwaway one). PODS pods in 10 namespaces over 2 nodes, labelled
/// `app=appN` (50 apps) and `role=client` on every third pod; POLICIES policies, each selecting one app of its
/// namespace and admitting clients of the next app from namespaces of one team on port 80 and 8080-8090, every
/// fifth also limiting egress to those clients and an ipBlock. Writes DIR/full.nft (the full sync) and
/// DIR/change.nft (pod3 loses `role=client`: set elements only), for the script to time with `nft -f`, and
/// prints podlab's own timings: the model (PolicyModel + desired ruleset + script text) and the libnftables
/// transaction, for the full sync and for the change.
enum NetpolBench {
    static func pods(_ n: Int, changed: Int? = nil) -> [JSONValue] {
        (0..<n).map { i in
            var labels: JSONValue = ["app": .string("app\(i % 50)")]
            if i % 3 == 0 && i != changed { labels["role"] = "client" }
            // 10.244.0.0/16 for one node, 10.245.0.0/16 for the other: room for 10,000 pods.
            let host = i + 2
            return [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string("pod\(i)"), "namespace": .string("ns\(i % 10)"), "labels": labels],
                "spec": ["nodeName": .string((i / 10) % 2 == 0 ? "podlab-control-plane" : "podlab-worker"),
                         "containers": [["name": "c", "image": "nginx", "ports": [["name": "http", "containerPort": 80]]]]],
                "status": ["phase": "Running", "podIP": .string("10.\(244 + (i / 10) % 2).\(host / 250).\(host % 250 + 1)")],
            ]
        }
    }

    static func namespaces() -> [JSONValue] {
        (0..<10).map { i in
            ["apiVersion": "v1", "kind": "Namespace",
             "metadata": ["name": .string("ns\(i)"), "labels": ["team": .string("t\(i % 3)")]]]
        }
    }

    static func policies(_ n: Int) -> [JSONValue] {
        (0..<n).map { j in
            let peer: JSONValue = [
                "podSelector": ["matchLabels": ["app": .string("app\((j + 1) % 50)"), "role": "client"]],
                "namespaceSelector": ["matchLabels": ["team": .string("t\(j % 3)")]],
            ]
            var spec: JSONValue = [
                "podSelector": ["matchLabels": ["app": .string("app\(j % 50)")]],
                "ingress": [["from": [peer], "ports": [["port": 80], ["port": 8080, "endPort": 8090]]]],
            ]
            if j % 5 == 0 {
                spec["egress"] = [["to": [peer, ["ipBlock": ["cidr": "172.18.0.0/16", "except": ["172.18.0.100/32"]]]]]]
                spec["policyTypes"] = ["Ingress", "Egress"]
            }
            return ["apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": ["name": .string("p\(j)"), "namespace": .string("ns\(j % 10)"), "resourceVersion": "1"],
                    "spec": spec]
        }
    }

    static func main(_ args: [String]) {
        guard args.count == 3, let p = Int(args[0]), let n = Int(args[1]), (1...5000).contains(p), (2...10_000).contains(n)
        else {
            FileHandle.standardError.write(Data("usage: PodlabBench netpol POLICIES(1-5000) PODS(2-10000) DIR\n".utf8))
            exit(2)
        }
        let dir = args[2]
        let node = "podlab-control-plane"
        do {
            let (nsObjects, policyObjects) = (namespaces(), policies(p))
            let before = pods(n)
            let after = pods(n, changed: 3)
            // As podlabd's PolicySyncer does it: the model from the objects (policies compiled once, then taken
            // from the cache by resourceVersion), the node's ruleset, a full render; then the change as element
            // updates against the installed ruleset.
            var full = PolicyRules.desired(PolicyModel(policies: [], pods: [], namespaces: []), node: node)
            var fullText = ""
            var cache = PolicyCompileCache()
            let modelFull = RulesBench.seconds {
                full = PolicyRules.desired(
                    PolicyModel(policies: policyObjects, pods: before, namespaces: nsObjects, cache: &cache), node: node)
                fullText = full.render()
            }
            var changeText = ""
            let modelChange = RulesBench.seconds {
                let next = PolicyRules.desired(
                    PolicyModel(policies: policyObjects, pods: after, namespaces: nsObjects, cache: &cache), node: node)
                changeText = next.elementUpdate(from: full) ?? next.render()
            }
            try fullText.write(toFile: dir + "/full.nft", atomically: true, encoding: .utf8)
            try changeText.write(toFile: dir + "/change.nft", atomically: true, encoding: .utf8)
            let nft = try NftContext(subject: "bench")
            let applyFull = try RulesBench.seconds { try nft.run(fullText) }
            let applyChange = try RulesBench.seconds { try nft.run(changeText) }
            try nft.run("delete table \(PolicyRuleset.tableRef)")
            print(String(format: "podlab %d policies %d pods: model full %.3f s, libnftables full %.3f s, model change %.4f s, libnftables change %.4f s, script lines %d / %d, chains %d, sets %d",
                p, n, modelFull, applyFull, modelChange, applyChange,
                fullText.split(separator: "\n").count, changeText.split(separator: "\n").count, full.chains.count, full.sets.count))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }
}

