import NIOCore
import PodlabModel

/// Runs the built-in responder a container's image selects, inside the pod's namespaces (the shim has
/// entered them before calling). Returns only when the server stops; throws when it cannot bind.
public enum Responders {
    /// Serves `launch.builtin`'s responder on 0.0.0.0:`launch.servingPort` (in the pod: the pod IP and lo)
    /// until the task is cancelled. `log` receives one access-log line per request (two for the Hono demo
    /// apps, as their logger prints) and the image's startup lines: what `kubectl logs` shows.
    /// Throws `ResponderError.noServer` for shell images and the bind error when the port is taken.
    public static func run(_ launch: ContainerLaunch, log: @escaping @Sendable (String) -> Void) async throws {
        guard let port = launch.servingPort, launch.builtin.isResponder else {
            throw ResponderError.noServer(image: launch.image)
        }
        try await serve(launch, host: "0.0.0.0", port: port, log: log, onRunning: { _ in })
    }

    /// Serves `launch.builtin`'s responder on `host`:`port` (port 0 picks a free one) until the task is
    /// cancelled; `onRunning` receives the bound port once connections are accepted. Tests bind 127.0.0.1:0.
    /// Throws `ResponderError.noServer` for shell images and the bind error when the address is taken.
    public static func serve(
        _ launch: ContainerLaunch, host: String, port: Int, log: @escaping @Sendable (String) -> Void,
        onRunning: @Sendable (Int) -> Void
    ) async throws {
        let env = launch.env.map { (name: $0.name, value: $0.value) }
        switch launch.builtin {
        case .nginx:
            try await ResponderServer(responder: NginxResponder(), host: host, port: port, log: log)
                .run(onRunning: onRunning)
        case .httpenv:
            try await ResponderServer(responder: HTTPEnvResponder(env: env), host: host, port: port, log: log)
                .run(onRunning: onRunning)
        case .whoami:
            try await ResponderServer(
                responder: WhoamiResponder(hostname: launch.hostname, env: env), host: host, port: port, log: log
            ).run(onRunning: onRunning)
        case .demoServer:
            try await ResponderServer(responder: DemoServerResponder(), host: host, port: port, log: log)
                .run(onRunning: onRunning)
        case .demoFetcher:
            try await ResponderServer(
                responder: DemoFetcherResponder(env: env, log: log), host: host, port: port, log: log
            ).run(onRunning: onRunning)
        case .shell, .coredns, .ingressNginx:
            // coredns and the ingress controller are podlab's own servers, which the container shim starts itself.
            throw ResponderError.noServer(image: launch.image)
        }
    }
}
