import Foundation
import PodlabAPI
import PodlabApps
import PodlabModel

extension ContainerShim {
    /// A UDP socket bound to an ephemeral port in the current (the VM's) network namespace, or nil.
    static func openUpstreamSocket() -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Runs podlab's CoreDNS until it fails or SIGTERM stops it. It reads the cluster through the `kubernetes`
    /// Service (10.96.0.1:443), as in-cluster CoreDNS does, with the cluster's client certificate: the container's
    /// run directory is `<state>/pods/<uid>/<container>`, and the certificates are in `<state>/pki`.
    static func runDNSServer(
        _ launch: ContainerLaunch, upstreamSocket: Int32?, log: CRILogWriter, exit: ExitRecorder, stopSignals: sigset_t
    ) -> Never {
        let state = URL(fileURLWithPath: launch.runDir).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        runServer(log: log, exit: exit, stopSignals: stopSignals) {
            let pki = try ClusterPKI.load(directory: state + "/pki")
            let client = APIClient(host: "10.96.0.1", port: 443, tls: try pki.clientTLSConfiguration())
            let resolvConf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
            let server = CoreDNSServer(
                client: client, resolvConf: resolvConf, upstreamSocket: upstreamSocket,
                threads: min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
            ) { line in log.write(Array(line.utf8), stream: "stdout") }
            try await server.run()
        }
    }
}
