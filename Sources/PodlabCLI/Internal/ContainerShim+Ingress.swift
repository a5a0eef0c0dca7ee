import Foundation
import PodlabAPI
import PodlabApps
import PodlabModel

extension ContainerShim {
    /// Runs podlab's ingress-nginx controller until it fails or SIGTERM stops it. It reads the cluster through
    /// the `kubernetes` Service (10.96.0.1:443), as the in-cluster controller does, with the cluster's client
    /// certificate from `<state>/pki` (the container's run directory is `<state>/pods/<uid>/<container>`).
    /// Event loops: the container's `WORKER_PROCESSES` env (ingress-nginx's worker-processes setting, here an env
    /// var) when it is a positive number, else one per CPU up to 4.
    static func runIngressController(_ launch: ContainerLaunch, log: CRILogWriter, exit: ExitRecorder, stopSignals: sigset_t)
        -> Never
    {
        let state = URL(fileURLWithPath: launch.runDir).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        runServer(log: log, exit: exit, stopSignals: stopSignals) {
            let pki = try ClusterPKI.load(directory: state + "/pki")
            let client = APIClient(host: "10.96.0.1", port: 443, tls: try pki.clientTLSConfiguration())
            let workers = launch.env.last(where: { $0.name == "WORKER_PROCESSES" }).flatMap { Int($0.value) }
            let threads = workers.map { max(1, min(64, $0)) } ?? min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
            let controller = IngressController(client: client, threads: threads) { line in log.write(Array(line.utf8), stream: "stdout") }
            try await controller.run()
        }
    }
}
