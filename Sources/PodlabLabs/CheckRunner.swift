import Foundation
import PodlabModel

/// Runs checks against a cluster: each check does its own probing (it does not read the lab commands' output),
/// so the same check verifies what a learner typed in exercise mode.
public struct CheckRunner: Sendable {
    public var cluster: LabCluster
    /// The longest a check waits for its condition, whatever the lab says: exercise mode checks what the learner
    /// did a moment ago and should answer promptly.
    public var maxWait: Int

    public init(cluster: LabCluster, maxWait: Int = 300) {
        self.cluster = cluster
        self.maxWait = maxWait
    }

    /// Runs `check`, retrying for its `wait` seconds while it fails; on failure, looks for the cause.
    public func run(_ check: LabCheck) -> CheckOutcome {
        if check.needsNodeInternals, cluster.podlab == nil {
            return .skipped("needs a podlab node's internals (nftables counters or a node shell)")
        }
        let wait = min(check.wait, maxWait)
        let deadline = Date().addingTimeInterval(Double(wait))
        var outcome = once(check, wait: wait)
        // `kubectl rollout status` waits by itself.
        while outcome.isFailure, Date() < deadline, !Self.waitsItself(check) {
            Thread.sleep(forTimeInterval: 0.5)
            outcome = once(check, wait: wait)
        }
        if case .failed(let observed, nil) = outcome, let service = check.service {
            let diagnosis = Diagnosis(cluster: cluster)
            return .failed(observed, cause: diagnosis.service(service, namespace: check.namespace))
        }
        return outcome
    }

    static func waitsItself(_ check: LabCheck) -> Bool {
        if case .rollout = check.kind { return true }
        return false
    }

    func once(_ check: LabCheck, wait: Int) -> CheckOutcome {
        switch check.kind {
        case .rollout(let deployment):
            let r = cluster.kubectl(
                ["rollout", "status", "-n", check.namespace, deployment, "--timeout=\(max(wait, 1))s"], timeout: 10 + wait)
            return r.status == 0 ? .passed("") : .failed(r.output.trimmed, cause: nil)
        case .pods(let selector, let ready, let nodes):
            return pods(selector: selector, namespace: check.namespace, ready: ready, nodes: nodes)
        case .kubectl(let arguments, let expect):
            let args = Self.words(cluster.expand(arguments))
            let r = cluster.kubectl(args)
            guard r.status == 0 || !expect.contains.isEmpty || expect.matches != nil else {
                return .failed("kubectl \(arguments) failed: \(r.output.trimmed)", cause: nil)
            }
            let text = r.status == 0 ? r.stdout : r.output
            if let why = expanded(expect).failure(for: text) { return .failed(why, cause: nil) }
            let shown = text.trimmed
            return .passed(expect.equals == nil && shown.count <= 80 && !shown.contains("\n") ? shown : "")
        case .endpoints(let service, let count, let matchSelector):
            return endpoints(service: service, namespace: check.namespace, count: count, matchSelector: matchSelector)
        case .http(let probe):
            return http(probe, namespace: check.namespace)
        case .dns(let probe):
            return dns(probe)
        case .counters(let service, let port, let endpoints):
            return counters(service: service, namespace: check.namespace, port: port, endpoints: endpoints)
        case .command(let run, let place, let expect):
            let r = cluster.run(run, in: place, timeout: 60)
            if let why = expanded(expect).failure(for: r.output) { return .failed(why, cause: nil) }
            return .passed("")
        }
    }

    func expanded(_ e: TextExpectation) -> TextExpectation {
        TextExpectation(
            equals: e.equals.map(cluster.expand), contains: e.contains.map(cluster.expand), matches: e.matches,
            notContains: e.notContains.map(cluster.expand))
    }

    /// The ready pods matching a selector (name -> node).
    func readyPods(selector: String, namespace: String) -> (all: [JSONValue], ready: [String: String])? {
        let r = cluster.kubectl(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"])
        guard r.status == 0, let list = try? JSONValue(parsing: r.stdout) else { return nil }
        let items = list["items"].array ?? []
        var ready: [String: String] = [:]
        for pod in items where pod.at("metadata.deletionTimestamp").isNull {
            let isReady = (pod.at("status.conditions").array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
            if isReady, let name = pod.at("metadata.name").string { ready[name] = pod.at("spec.nodeName").string ?? "" }
        }
        return (items, ready)
    }

    func pods(selector: String, namespace: String, ready: Int, nodes: Int?) -> CheckOutcome {
        guard let found = readyPods(selector: selector, namespace: namespace) else {
            return .failed("cannot list pods \(selector) in \(namespace)", cause: nil)
        }
        if found.ready.count != ready {
            return .failed("\(found.ready.count) of \(found.all.count) pod(s) with \(selector) ready, expected \(ready)", cause: nil)
        }
        let spread = Set(found.ready.values)
        if let nodes, spread.count < nodes {
            return .failed("the pods run on \(spread.count) node(s) (\(spread.sorted().joined(separator: ", "))), expected \(nodes)", cause: nil)
        }
        return .passed(spread.isEmpty ? "" : "on " + spread.sorted().joined(separator: ", "))
    }

    func endpoints(service: String, namespace: String, count: Int, matchSelector: Bool) -> CheckOutcome {
        let ready = Diagnosis(cluster: cluster).readyEndpoints(service: service, namespace: namespace)
        guard let ready else { return .failed("cannot read the EndpointSlices of \(namespace)/\(service)", cause: nil) }
        if ready.count != count {
            return .failed("\(ready.count) ready endpoint(s) (\(ready.sorted().joined(separator: ", "))), expected \(count)", cause: nil)
        }
        if matchSelector {
            let svc = cluster.kubectl(["get", "svc", "-n", namespace, service, "-o", "json"])
            if let obj = try? JSONValue(parsing: svc.stdout), let sel = obj.at("spec.selector").stringMap, !sel.isEmpty {
                let selector = sel.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                let pods = cluster.kubectl(["get", "pods", "-n", namespace, "-l", selector, "-o", "jsonpath={.items[*].status.podIP}"])
                let podIPs = Set(pods.stdout.split(separator: " ").map(String.init))
                let endpointIPs = Set(ready.map { String($0.split(separator: ":").first ?? "") })
                if !endpointIPs.isSubset(of: podIPs) {
                    return .failed("endpoint IPs \(endpointIPs.sorted()) are not the pods' IPs \(podIPs.sorted())", cause: nil)
                }
            }
        }
        return .passed(ready.sorted().joined(separator: ", "))
    }

    func http(_ probe: HTTPProbe, namespace: String) -> CheckOutcome {
        let url = cluster.expand(probe.url)
        let timeout = probe.outcome == .timeout ? 2 : 5
        let script = ProbeScript.http(
            url: url, requests: probe.requests, curlOptions: cluster.expand(probe.curlOptions), timeoutSeconds: timeout)
        let r = cluster.run(script, in: probe.place, timeout: 30 + probe.requests * (timeout + 3))
        let answers = ProbeScript.parseHTTP(r.stdout)
        guard answers.count == probe.requests else {
            return .failed("the probe from \(probe.place) did not run: \(r.output.trimmed.prefix(300))", cause: nil)
        }
        let expectedExit: Int
        switch probe.outcome {
        case .answered: expectedExit = 0
        case .refused: expectedExit = 7
        case .timeout: expectedExit = 28
        }
        let body = expanded(probe.body)
        for (i, a) in answers.enumerated() {
            let which = probe.requests > 1 ? "request \(i + 1) of \(probe.requests): " : ""
            if a.curlExit != expectedExit {
                return .failed("\(which)\(url): \(a.outcome), expected \(probe.outcome.rawValue)", cause: nil)
            }
            guard probe.outcome == .answered else { continue }
            if let status = probe.status, a.status != status {
                return .failed("\(which)\(url): HTTP \(a.status.map(String.init) ?? "?"), expected \(status)", cause: nil)
            }
            if let why = body.failure(for: a.body) { return .failed("\(which)\(url): body \(why)", cause: nil) }
        }
        guard probe.outcome == .answered else { return .passed(probe.outcome == .refused ? "refused" : "timed out") }
        guard let spread = probe.spread else { return .passed("HTTP \(answers[0].status ?? 0)") }
        guard let pods = readyPods(selector: spread.selector, namespace: namespace) else {
            return .failed("cannot list pods \(spread.selector)", cause: nil)
        }
        let ids = Spread.identities(answers, identity: spread.identity)
        if let why = Spread.failure(identities: ids, expected: Set(pods.ready.keys), min: spread.min) {
            return .failed(why, cause: nil)
        }
        return .passed("answered by \(Set(ids.compactMap { $0 }).count) pods: \(Spread.summary(ids))")
    }

    func dns(_ probe: DNSProbe) -> CheckOutcome {
        let name = cluster.expand(probe.name)
        let r = cluster.run(ProbeScript.dns(name: name, type: probe.type), in: probe.place, timeout: 30)
        let answer = ProbeScript.parseDig(r.stdout)
        guard let rcode = answer.rcode else {
            return .failed("dig \(name) \(probe.type) from \(probe.place) got no answer: \(r.output.trimmed.prefix(300))", cause: nil)
        }
        if rcode != probe.rcode { return .failed("\(name) \(probe.type): \(rcode), expected \(probe.rcode)", cause: nil) }
        let values = answer.records.filter { $0.type == probe.type }.map { $0.value }
        if let count = probe.count, values.count != count {
            return .failed("\(name) \(probe.type): \(values.count) answer(s) \(values), expected \(count)", cause: nil)
        }
        if let expected = probe.values {
            let want = expected.flatMap { cluster.expand($0).split(separator: " ").map(String.init) }
            if Set(want) != Set(values) || want.count != values.count {
                return .failed("\(name) \(probe.type): \(values.sorted()), expected \(want.sorted())", cause: nil)
            }
        }
        return .passed("\(rcode) \(values.joined(separator: " "))")
    }

    func counters(service: String, namespace: String, port: String?, endpoints: Int?) -> CheckOutcome {
        guard let readChains = cluster.readChains else { return .skipped("no node access") }
        let svc = cluster.kubectl(["get", "svc", "-n", namespace, service, "-o", "json"])
        let slices = cluster.kubectl([
            "get", "endpointslices.discovery.k8s.io", "-n", namespace, "-l", "kubernetes.io/service-name=\(service)", "-o", "json",
        ])
        let nodes = cluster.kubectl(["get", "nodes", "-o", "json"])
        guard let s = try? JSONValue(parsing: svc.stdout), let sl = try? JSONValue(parsing: slices.stdout),
            let n = try? JSONValue(parsing: nodes.stdout)
        else { return .failed("cannot read Service \(namespace)/\(service), its EndpointSlices or the nodes", cause: nil) }
        var packets: [String: Int] = [:]
        for node in n["items"].array ?? [] {
            let nodeName = node.at("metadata.name").string ?? ""
            let rules = KubeProxyRules.desired(
                services: [s], endpointSlices: sl["items"].array ?? [], node: KubeProxyConfig(nodeName: nodeName, nodeIPs: []))
            let label = "\(namespace)/\(service)/"
            let chains = rules.chains.map(\.name).filter { chain in
                chain.hasPrefix("endpoint-") && chain.contains("-\(label)") && (port.map { chain.contains("/\($0)__") } ?? true)
            }
            guard let live = try? readChains(nodeName, chains) else { continue }
            for chain in chains {
                let endpoint = String(chain.split(separator: "__").last ?? "")
                packets[endpoint, default: 0] += Self.packets(live[chain] ?? "")
            }
        }
        if packets.isEmpty { return .failed("Service \(namespace)/\(service) has no endpoint chains", cause: nil) }
        let hit = packets.filter { $0.value > 0 }
        let needed = endpoints ?? packets.count
        let list = packets.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        if hit.count < needed {
            return .failed("packets counted in \(hit.count) of \(packets.count) endpoint chains (\(list)), expected \(needed)", cause: nil)
        }
        return .passed(list)
    }

    /// The packet count in an `nft list chain` listing (summed over its counters).
    static func packets(_ listing: String) -> Int {
        guard let re = try? NSRegularExpression(pattern: #"counter packets (\d+)"#) else { return 0 }
        return re.matches(in: listing, range: NSRange(listing.startIndex..., in: listing)).reduce(0) { sum, m in
            sum + (Range(m.range(at: 1), in: listing).flatMap { Int(listing[$0]) } ?? 0)
        }
    }

    /// Splits kubectl arguments on spaces, keeping single- or double-quoted words whole.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var started = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                started = true
            } else if c == " " || c == "\t" || c == "\n" {
                if started || !current.isEmpty { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(c)
            }
        }
        if started || !current.isEmpty { words.append(current) }
        return words
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
