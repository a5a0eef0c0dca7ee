/// One NetworkPolicy reduced to what decides packets: whom it isolates and, per direction, the rules that allow.
///
/// `ingress`/`egress` are nil when the policy does not apply in that direction (its policyTypes, defaulted as
/// the API server does, leave it out), and an empty array when it isolates without allowing anything.
public struct CompiledPolicy: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// Which pods of `namespace` it selects (an empty podSelector selects them all).
    public var podSelector: LabelSelectorQuery
    public var ingress: [Rule]?
    public var egress: [Rule]?

    /// `namespace/name`.
    public var key: String { "\(namespace)/\(name)" }

    /// One ingress or egress rule: traffic from/to any of `peers` on any of `ports` is allowed.
    public struct Rule: Sendable, Hashable {
        /// nil: every peer (an empty or missing `from`/`to`).
        public var peers: [Peer]?
        /// Empty: every port of every protocol.
        public var ports: [Port]
        public init(peers: [Peer]?, ports: [Port]) {
            self.peers = peers
            self.ports = ports
        }
    }

    /// A NetworkPolicyPeer.
    public enum Peer: Sendable, Hashable {
        /// Pods matching `pods` in the namespaces matching `namespaces`; `namespaces` nil means the policy's own.
        case pods(namespaces: LabelSelectorQuery?, pods: LabelSelectorQuery)
        /// Addresses in `cidr` but in none of `except`.
        case ipBlock(cidr: IPv4CIDR, except: [IPv4CIDR])
    }

    /// A NetworkPolicyPort: a protocol and nothing else (all its ports), a range, or a named port.
    public struct Port: Sendable, Hashable {
        public enum Match: Sendable, Hashable {
            case all
            case range(Int, Int)
            case named(String)
        }
        public var `protocol`: String
        public var match: Match
        public init(protocol: String, match: Match) {
            self.protocol = `protocol`
            self.match = match
        }
    }
}

/// A NetworkPolicy that cannot be compiled: what and where (`x/deny.spec.ingress[0].from[1].ipBlock.cidr`).
public struct PolicyError: Error, Equatable, CustomStringConvertible {
    public var policy: String
    public var field: String
    public var problem: String
    public var description: String { "networkpolicy \(policy): \(field): \(problem)" }
}

extension CompiledPolicy {
    /// Compiles `policy`: selectors become matchers, policyTypes are defaulted (Ingress always; Egress when
    /// the policy has egress rules), ports default to TCP. Throws `PolicyError` naming the field at fault
    /// (the API server validates first, so this guards objects written around it).
    public init(_ policy: NetworkPolicy) throws {
        let ns = policy.metadata.namespace ?? "default"
        let name = policy.metadata.name ?? ""
        let key = "\(ns)/\(name)"
        func fail(_ field: String, _ problem: String) -> PolicyError {
            PolicyError(policy: key, field: field, problem: problem)
        }
        func selector(_ s: LabelSelector?, _ field: String) throws -> LabelSelectorQuery {
            do { return try LabelSelectorQuery(s ?? LabelSelector()) } catch { throw fail(field, "\(error)") }
        }
        let spec = policy.spec ?? NetworkPolicySpec()
        let types: Set<String>
        if let given = spec.policyTypes, !given.isEmpty {
            for (i, t) in given.enumerated() where t != "Ingress" && t != "Egress" {
                throw fail("spec.policyTypes[\(i)]", "must be Ingress or Egress, got \"\(t)\"")
            }
            types = Set(given)
        } else {
            types = (spec.egress ?? []).isEmpty ? ["Ingress"] : ["Ingress", "Egress"]
        }
        func peers(_ list: [NetworkPolicyPeer]?, _ field: String) throws -> [Peer]? {
            guard let list, !list.isEmpty else { return nil }
            return try list.enumerated().map { i, p in
                let at = "\(field)[\(i)]"
                if let block = p.ipBlock {
                    guard p.podSelector == nil, p.namespaceSelector == nil else {
                        throw fail(at, "ipBlock cannot be combined with podSelector or namespaceSelector")
                    }
                    guard let text = block.cidr, let cidr = IPv4CIDR(text) else {
                        throw fail("\(at).ipBlock.cidr", "must be an IPv4 CIDR, got \"\(block.cidr ?? "")\"")
                    }
                    let except = try (block.except ?? []).enumerated().map { j, e in
                        guard let c = IPv4CIDR(e), cidr.contains(c) else {
                            throw fail("\(at).ipBlock.except[\(j)]", "must be an IPv4 CIDR inside \(cidr), got \"\(e)\"")
                        }
                        return c
                    }
                    return .ipBlock(cidr: cidr, except: except)
                }
                guard p.podSelector != nil || p.namespaceSelector != nil else {
                    throw fail(at, "must have a podSelector, a namespaceSelector or an ipBlock")
                }
                return .pods(
                    namespaces: try p.namespaceSelector.map { try selector($0, "\(at).namespaceSelector") },
                    pods: try selector(p.podSelector, "\(at).podSelector"))
            }
        }
        func ports(_ list: [NetworkPolicyPort]?, _ field: String) throws -> [Port] {
            try (list ?? []).enumerated().map { i, p in
                let at = "\(field)[\(i)]"
                let proto = p.protocol ?? "TCP"
                guard ["TCP", "UDP", "SCTP"].contains(proto) else {
                    throw fail("\(at).protocol", "must be TCP, UDP or SCTP, got \"\(proto)\"")
                }
                switch p.port {
                case nil:
                    return Port(protocol: proto, match: .all)
                case .int(let n)?:
                    let end = p.endPort.map(Int.init) ?? Int(n)
                    guard (1...65535).contains(Int(n)), (Int(n)...65535).contains(end) else {
                        throw fail(at, "port \(n) and endPort \(end) must be 1-65535 with port <= endPort")
                    }
                    return Port(protocol: proto, match: .range(Int(n), end))
                case .string(let s)?:
                    if p.endPort != nil { throw fail("\(at).endPort", "may not be used with a named port") }
                    return Port(protocol: proto, match: .named(s))
                }
            }
        }
        self.namespace = ns
        self.name = name
        self.podSelector = try selector(spec.podSelector, "spec.podSelector")
        self.ingress = types.contains("Ingress")
            ? try (spec.ingress ?? []).enumerated().map { i, r in
                Rule(peers: try peers(r.from, "spec.ingress[\(i)].from"), ports: try ports(r.ports, "spec.ingress[\(i)].ports"))
            } : nil
        self.egress = types.contains("Egress")
            ? try (spec.egress ?? []).enumerated().map { i, r in
                Rule(peers: try peers(r.to, "spec.egress[\(i)].to"), ports: try ports(r.ports, "spec.egress[\(i)].ports"))
            } : nil
    }
}
