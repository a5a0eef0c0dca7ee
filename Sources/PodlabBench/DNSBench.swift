import Foundation
import PodlabApps
import PodlabDNS
import PodlabModel

/// `PodlabBench dns N DIR PORT`: N ClusterIP Services (N A records, and their PTRs) in the records podlab's
/// CoreDNS builds from the objects, served on 127.0.0.1:PORT (UDP and TCP) by one event loop until killed, for
/// scripts/bench/dns.sh. First writes DIR/hosts (the same names and addresses as a dnsmasq addn-hosts file, the
/// peer) and DIR/queries (a dnsperf input: every name once, in a shuffled but fixed order), then DIR/ready.
enum DNSBench {
    static func main(_ args: [String]) -> Never {
        guard args.count == 3, let n = Int(args[0]), (1...200_000).contains(n), let port = Int(args[2]) else {
            FileHandle.standardError.write(Data("usage: PodlabBench dns N(1-200000) DIR PORT\n".utf8))
            exit(2)
        }
        let dir = args[1]
        var services: [JSONValue] = []
        var hosts = ""
        var names: [String] = []
        for i in 0..<n {
            let ip = "10.\(96 + i / 65_000).\(i % 65_000 / 250).\(i % 250 + 2)"
            services.append([
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": .string("svc-\(i)"), "namespace": "bench"],
                "spec": ["type": "ClusterIP", "clusterIP": .string(ip), "ports": [["port": 80, "protocol": "TCP"]]],
            ])
            let name = "svc-\(i).bench.svc.cluster.local"
            hosts += "\(ip) \(name)\n"
            names.append(name)
        }
        var rng = SplitMix(seed: 7)
        names.shuffle(using: &rng)
        let start = ContinuousClock.now
        let snapshot = DNSRecordsBuilder.snapshot(
            services: services, endpointSlices: [], pods: [],
            namespaces: [["metadata": ["name": "bench"]]], config: DNSConfig(rotateAnswers: false))
        let built = ContinuousClock.now - start
        do {
            try hosts.write(toFile: dir + "/hosts", atomically: true, encoding: .utf8)
            try names.map { "\($0) A\n" }.joined().write(toFile: dir + "/queries", atomically: true, encoding: .utf8)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
        print("podlab dns: \(n) services, snapshot of \(snapshot.nameCount) names built in \(built)")
        let server = CoreDNSServer(client: nil, resolvConf: "", upstreamSocket: nil, threads: 1, log: { _ in })
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                try await server.runStatic(snapshot, dnsPort: port) {
                    _ = FileManager.default.createFile(atPath: dir + "/ready", contents: nil)
                }
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                exit(1)
            }
            done.signal()
        }
        done.wait()
        exit(0)
    }
}

/// A seeded generator, so every run asks the same names in the same order.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
