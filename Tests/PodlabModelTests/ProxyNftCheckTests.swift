import Foundation
import Testing

@testable import PodlabModel

/// Optional: asks the real `nft` whether it accepts the scripts, inside a throw-away network namespace
/// (`unshare --net`), so nothing outside the test process is touched. Runs only as root with nft and unshare.
@Suite(.enabled(if: ProxyNftCheck.available), .serialized)
struct ProxyNftCheckTests {
    typealias F = ProxyFixtures

    static func sampleServices() -> ([Service], [EndpointSlice]) {
        let lb = F.service(
            "ns1", "web", type: "LoadBalancer", clusterIP: "10.96.0.41",
            ports: [F.port("http", 80, target: "http", nodePort: 30080), F.port("dns", 53, "UDP", nodePort: 30053)],
            externalIPs: ["172.18.0.100"], lbIPs: ["172.18.255.200"], sourceRanges: ["172.18.0.0/16"],
            externalPolicy: "Local", affinityTimeout: .some(60))
        let sctp = F.service("ns1", "sig", clusterIP: "10.96.0.42", ports: [F.port("s", 3868, "SCTP")])
        let empty = F.service(
            "ns2", "empty", type: "NodePort", clusterIP: "10.96.0.43", ports: [F.port(nil, 80, nodePort: 30081)])
        let slice = F.slice(
            "ns1", service: "web", ports: [("http", 8080, "TCP"), ("dns", 53, "UDP")],
            endpoints: (1...4).map { F.EP(ip: "10.244.1.\($0)", node: $0 == 1 ? F.nodeName : "podlab-worker2") })
        let sctpSlice = F.slice(
            "ns1", service: "sig", ports: [("s", 3868, "SCTP")], endpoints: [F.EP(ip: "10.244.2.9")])
        return ([lb, sctp, empty], [slice, sctpSlice])
    }

    @Test("nft accepts a full-sync script")
    func renderIsAccepted() throws {
        let (services, slices) = Self.sampleServices()
        let script = F.desired(services, slices).render()
        let result = try ProxyNftCheck.run(steps: [(script, check: true)])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("the check is not vacuous: nft refuses a rule in a chain that does not exist")
    func brokenScriptIsRefused() throws {
        let result = try ProxyNftCheck.run(steps: [
            ("add table ip kube-proxy\nadd rule ip kube-proxy nope accept\n", check: true)
        ])
        #expect(result.status != 0)
    }

    @Test("nft accepts a diff on top of the ruleset it was computed from, and a full sync in place")
    func diffIsAccepted() throws {
        let (services, slices) = Self.sampleServices()
        let old = F.desired(services, slices)
        var changed = slices
        changed[0].endpoints?.removeFirst(2)
        changed[0].endpoints?.append(EndpointSlice.Endpoint(addresses: ["10.244.3.3"], nodeName: F.nodeName))
        let new = F.desired(Array(services.dropLast()), changed, config: F.config(localhost: false))
        let result = try ProxyNftCheck.run(steps: [
            (old.render(), check: false),
            (ProxyRuleset.diff(from: old, to: new), check: false),
            (old.fullSync(replacing: new), check: false),
        ])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("the kernel applies a sequence of random diffs and full syncs, each on top of the last")
    func randomSequenceApplies() throws {
        var rng = SeededGenerator(state: 7)
        var old = F.desired([], [])
        var steps: [(String, check: Bool)] = [(old.render(), check: false)]
        for i in 0..<25 {
            let (services, slices) = ProxyDiffTests.randomCluster(&rng)
            let new = F.desired(services, slices, config: F.config(localhost: i % 3 != 0))
            steps.append(
                (i % 5 == 4 ? new.fullSync(replacing: old) : ProxyRuleset.diff(from: old, to: new), check: false))
            old = new
        }
        let result = try ProxyNftCheck.run(steps: steps)
        #expect(result.status == 0, "\(result.output)")
    }
}

enum ProxyNftCheck {
    static let nft = "/usr/sbin/nft"
    static let unshare = "/usr/bin/unshare"

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: nft)
            && FileManager.default.isExecutableFile(atPath: unshare)
    }

    /// Runs the scripts one after another with `nft -f` (or `nft -c -f` for a check) in one new netns.
    static func run(steps: [(String, check: Bool)]) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "podlab-nft-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var commands: [String] = []
        for (i, step) in steps.enumerated() {
            let file = dir.appendingPathComponent("\(i).nft")
            try step.0.write(to: file, atomically: true, encoding: .utf8)
            commands.append(
                "\(nft) \(step.check ? "-c " : "")-f \(file.path) || { echo \"step \(i) failed\"; exit 1; }")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: unshare)
        process.arguments = ["--net", "/bin/sh", "-c", commands.joined(separator: "\n")]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return (-1, "nft timed out")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, output)
    }
}
