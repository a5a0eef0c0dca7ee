import ArgumentParser
import Foundation
import Logging

/// `podlab daemon`: podlabd itself, started detached by `podlab up`. Hidden: users run `up`.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Run podlabd in the foreground (podlab up starts it)", shouldDisplay: false)

    @OptionGroup var global: GlobalOptions
    @Option var apiPort: Int = 6443
    @Option var nodes: Int = 2
    @Option var dnsUpstream: [String] = []
    @Flag var dnsNoUpstream = false

    func run() async throws {
        var logger = Logger(label: "podlabd")
        logger.logLevel = global.verbose ? .debug : .info
        var daemon = Daemon(state: global.state, apiPort: apiPort, nodes: nodes, logger: logger)
        daemon.dnsUpstreams = dnsNoUpstream ? [] : dnsUpstream.isEmpty ? nil : dnsUpstream
        do {
            try await daemon.run()
        } catch {
            logger.critical("podlabd failed: \(error)")
            throw ExitCode.failure
        }
    }
}
