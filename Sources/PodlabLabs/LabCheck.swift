/// A check on a real outcome. Values may contain `$VAR` and `$(command)`, expanded by the machine's shell with
/// the cluster's kubeconfig and the lab's exported variables, so an expectation can name what the cluster chose
/// (`$(kubectl get svc web -o jsonpath={.spec.clusterIP})`).
public struct LabCheck: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `kubectl rollout status` of a Deployment, bounded.
        case rollout(deployment: String)
        /// Pods matching a label selector: how many are ready, and over how many nodes they are spread.
        case pods(selector: String, ready: Int, nodes: Int?)
        /// A kubectl command's output.
        case kubectl(arguments: String, expect: TextExpectation)
        /// The ready addresses of a Service's EndpointSlices.
        case endpoints(service: String, count: Int, matchSelector: Bool)
        /// HTTP requests from a place, the answers, and which pods answered.
        case http(HTTPProbe)
        /// A DNS query from a pod.
        case dns(DNSProbe)
        /// Packet counters of the Service's endpoint chains in the nodes' `table ip kube-proxy`.
        case counters(service: String, port: String?, endpoints: Int?)
        /// A command's output, run where the check says.
        case command(run: String, place: LabPlace, expect: TextExpectation)
    }

    public var kind: Kind
    public var namespace: String
    /// How the check reads in progress lines (`svc-destination answers from 3 pods`).
    public var title: String
    /// Seconds to retry until the check passes (0: once).
    public var wait: Int

    public init(kind: Kind, namespace: String = "default", title: String, wait: Int = 0) {
        self.kind = kind
        self.namespace = namespace
        self.title = title
        self.wait = wait
    }

    /// Whether the check reads node internals that only a podlab cluster exposes.
    public var needsNodeInternals: Bool {
        switch kind {
        case .counters: return true
        case .http(let probe): return probe.place.needsNodeInternals
        case .command(_, let place, _): return place.needsNodeInternals
        case .dns(let probe): return probe.place.needsNodeInternals
        case .rollout, .pods, .kubectl, .endpoints: return false
        }
    }

    /// The Service this check is about, so a failure can say why it failed.
    public var service: String? {
        switch kind {
        case .endpoints(let s, _, _), .counters(let s, _, _): return s
        case .http(let probe): return probe.service
        case .dns(let probe): return probe.service
        case .rollout, .pods, .kubectl, .command: return nil
        }
    }
}

/// What text must look like.
public struct TextExpectation: Sendable, Hashable, CustomStringConvertible {
    public var equals: String?
    public var contains: [String]
    public var matches: String?
    public var notContains: [String]

    public init(equals: String? = nil, contains: [String] = [], matches: String? = nil, notContains: [String] = []) {
        self.equals = equals
        self.contains = contains
        self.matches = matches
        self.notContains = notContains
    }

    public var isEmpty: Bool { equals == nil && contains.isEmpty && matches == nil && notContains.isEmpty }

    public var description: String {
        var parts: [String] = []
        if let equals { parts.append("= \(equals.debugDescription)") }
        parts += contains.map { "contains \($0.debugDescription)" }
        if let matches { parts.append("matches /\(matches)/") }
        parts += notContains.map { "lacks \($0.debugDescription)" }
        return parts.joined(separator: ", ")
    }
}

/// How a connection is expected to end.
public enum ConnectOutcome: String, Sendable, Hashable {
    /// An HTTP answer.
    case answered
    /// Connection refused (a REJECT, or nothing listening): curl exit 7.
    case refused
    /// No answer within the time limit (a DROP): curl exit 28.
    case timeout
}

/// HTTP requests sent from one place.
public struct HTTPProbe: Sendable, Hashable {
    public var url: String
    public var place: LabPlace
    public var requests: Int
    public var outcome: ConnectOutcome
    public var status: Int?
    public var body: TextExpectation
    /// Extra curl options (`-H 'Host: x'`), as written.
    public var curlOptions: String
    /// Which pods answered: the label selector of the pods expected, a regex whose first group names the pod in
    /// the body, and how many distinct pods must answer (nil: all of them).
    public var spread: Spread?
    /// The Service the request goes to, named in a failure's diagnosis.
    public var service: String?

    public struct Spread: Sendable, Hashable {
        public var selector: String
        public var identity: String
        public var min: Int?
        public init(selector: String, identity: String, min: Int?) {
            self.selector = selector
            self.identity = identity
            self.min = min
        }
    }

    public init(
        url: String, place: LabPlace, requests: Int = 1, outcome: ConnectOutcome = .answered, status: Int? = 200,
        body: TextExpectation = TextExpectation(), curlOptions: String = "", spread: Spread? = nil,
        service: String? = nil
    ) {
        self.url = url
        self.place = place
        self.requests = requests
        self.outcome = outcome
        self.status = status
        self.body = body
        self.curlOptions = curlOptions
        self.spread = spread
        self.service = service
    }
}

/// A DNS query sent from a pod with the pod's resolv.conf (search list included).
public struct DNSProbe: Sendable, Hashable {
    public var name: String
    public var type: String
    public var place: LabPlace
    public var rcode: String
    /// Exactly these values, in any order (after expansion; a value may expand to several words).
    public var values: [String]?
    /// How many answers of the type.
    public var count: Int?
    public var service: String?

    public init(
        name: String, type: String = "A", place: LabPlace, rcode: String = "NOERROR", values: [String]? = nil,
        count: Int? = nil, service: String? = nil
    ) {
        self.name = name
        self.type = type
        self.place = place
        self.rcode = rcode
        self.values = values
        self.count = count
        self.service = service
    }
}
