/// The answer to "would this new connection be allowed, and by which policies".
public struct PolicyTrace: Sendable, Hashable, CustomStringConvertible {
    /// One direction's side of the answer.
    public struct Side: Sendable, Hashable {
        /// The policies isolating the pod in this direction (empty: not isolated, so allowed).
        public var isolatedBy: [String]
        /// The isolating policies with a rule that allows the connection.
        public var allowedBy: [String]
        public var allowed: Bool { isolatedBy.isEmpty || !allowedBy.isEmpty }
    }

    public var source: String
    public var destination: String
    /// The source pod's egress side (nil when the source is not a pod, or the connection is a pod to itself).
    public var egress: Side?
    /// The destination pod's ingress side (nil when the destination is not a pod, or a pod to itself).
    public var ingress: Side?
    public var allowed: Bool { (egress?.allowed ?? true) && (ingress?.allowed ?? true) }

    public var description: String {
        func line(_ name: String, _ side: Side?) -> String {
            guard let side else { return "\(name): not a pod (no policy applies)" }
            if side.isolatedBy.isEmpty { return "\(name): not isolated, allowed" }
            return "\(name): isolated by \(side.isolatedBy.joined(separator: ", ")); "
                + (side.allowedBy.isEmpty ? "no rule allows it, DENIED" : "allowed by \(side.allowedBy.joined(separator: ", "))")
        }
        if egress == nil && ingress == nil && source == destination { return "\(source) -> itself: always allowed" }
        return "\(source) -> \(destination): \(allowed ? "ALLOWED" : "DENIED")\n  " + line("egress", egress) + "\n  "
            + line("ingress", ingress)
    }
}

extension PolicyModel {
    /// Traces a new connection from `source` to `destination`:`port` over `proto` (TCP, UDP or SCTP): the source
    /// pod's egress policies and the destination pod's ingress policies, each allowing when not isolated or when
    /// one rule of one isolating policy matches the peer and the port. The source port plays no part in policy.
    /// A pod's traffic to itself is always allowed.
    public func trace(from source: IPv4Address, to destination: IPv4Address, port: Int, protocol proto: String)
        -> PolicyTrace
    {
        let src = pod(at: source)
        let dst = pod(at: destination)
        let srcName = src?.key ?? source.description
        let dstName = (dst?.key ?? destination.description) + ":\(port)/\(proto)"
        if let src, src == dst {
            return PolicyTrace(source: src.key, destination: src.key, egress: nil, ingress: nil)
        }
        func side(_ pod: PolicyPod, egress: Bool) -> PolicyTrace.Side {
            let isolating = isolating(pod, egress: egress)
            let allowedBy = isolating.filter { policy in
                (egress ? policy.egress : policy.ingress)?.contains { rule in
                    allows(rule, policy: policy, peer: egress ? destination : source,
                           portOwner: dst, port: port, protocol: proto)
                } ?? false
            }
            return PolicyTrace.Side(isolatedBy: isolating.map(\.key), allowedBy: allowedBy.map(\.key))
        }
        return PolicyTrace(
            source: srcName, destination: dstName, egress: src.map { side($0, egress: true) },
            ingress: dst.map { side($0, egress: false) })
    }

    /// Whether `rule` of `policy` allows the peer at `address` on `port`/`proto`; named ports are looked up in
    /// the destination pod `portOwner` (a named port never matches an address that is not a pod).
    func allows(
        _ rule: CompiledPolicy.Rule, policy: CompiledPolicy, peer address: IPv4Address, portOwner: PolicyPod?,
        port: Int, protocol proto: String
    ) -> Bool {
        let portOK = rule.ports.isEmpty || rule.ports.contains { p in
            guard p.protocol == proto else { return false }
            switch p.match {
            case .all: return true
            case .range(let lo, let hi): return (lo...hi).contains(port)
            case .named(let name): return portOwner?.port(named: name, protocol: proto) == port
            }
        }
        guard portOK else { return false }
        guard let peers = rule.peers else { return true }
        let peerPod = pod(at: address)
        return peers.contains { peer in
            switch peer {
            case .pods(let nsSel, let podSel):
                guard let peerPod else { return false }
                return matches(namespaces: nsSel, pods: podSel, policyNamespace: policy.namespace, pod: peerPod)
            case .ipBlock(let cidr, let except):
                return cidr.contains(address) && !except.contains { $0.contains(address) }
            }
        }
    }
}
