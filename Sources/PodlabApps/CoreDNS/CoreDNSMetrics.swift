import PodlabDNS
import Synchronization

/// Request and response counters, shown on :9153/metrics in Prometheus text format under CoreDNS's metric names
/// (`coredns_dns_requests_total`, `coredns_dns_responses_total`), so a learner's `curl <pod>:9153/metrics`
/// reads as it would against CoreDNS. Counters are atomics: the DNS event loops never wait on each other.
final class CoreDNSMetrics: Sendable {
    /// Response codes with a counter of their own; anything else counts as the last one.
    static let rcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"]
    private let responses: [Counter]
    private let udpRequests = Counter()
    private let tcpRequests = Counter()
    private let forwarded = Counter()
    private let forwardTimeouts = Counter()

    /// One atomic counter (atomics cannot be copied into an array themselves).
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func add() { value.wrappingAdd(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    init() {
        responses = Self.rcodes.map { _ in Counter() }
    }

    func request(_ transport: DNSTransport) {
        switch transport {
        case .udp: udpRequests.add()
        case .tcp: tcpRequests.add()
        }
    }

    func response(_ rcode: String) {
        let i = Self.rcodes.firstIndex(of: rcode) ?? Self.rcodes.count - 1
        responses[i].add()
    }

    func forward() { forwarded.add() }
    func forwardTimeout() { forwardTimeouts.add() }

    /// The count for one rcode name (tests and the bench read it).
    func responses(_ rcode: String) -> Int {
        responses[Self.rcodes.firstIndex(of: rcode) ?? Self.rcodes.count - 1].count
    }

    /// The exposition text.
    func text(ready: Bool) -> String {
        var out = "# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.\n"
        out += "# TYPE coredns_dns_requests_total counter\n"
        for (proto, counter) in [("udp", udpRequests), ("tcp", tcpRequests)] {
            out += "coredns_dns_requests_total{family=\"1\",proto=\"\(proto)\",server=\"dns://:53\",zone=\".\"} \(counter.count)\n"
        }
        out += "# HELP coredns_dns_responses_total Counter of response status codes.\n"
        out += "# TYPE coredns_dns_responses_total counter\n"
        for (i, rcode) in Self.rcodes.enumerated() {
            out += "coredns_dns_responses_total{rcode=\"\(rcode)\",server=\"dns://:53\",zone=\".\"} \(responses[i].count)\n"
        }
        out += "# HELP coredns_forward_requests_total Counter of requests made per upstream.\n"
        out += "# TYPE coredns_forward_requests_total counter\n"
        out += "coredns_forward_requests_total \(forwarded.count)\n"
        out += "# HELP coredns_forward_timeouts_total Counter of upstream requests that got no answer in time.\n"
        out += "# TYPE coredns_forward_timeouts_total counter\n"
        out += "coredns_forward_timeouts_total \(forwardTimeouts.count)\n"
        out += "# HELP coredns_kubernetes_synced Whether the records were built from the API at least once.\n"
        out += "# TYPE coredns_kubernetes_synced gauge\n"
        out += "coredns_kubernetes_synced \(ready ? 1 : 0)\n"
        return out
    }
}
