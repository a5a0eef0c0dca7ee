/// A reply's content before encoding.
struct Reply: Hashable {
    var rcode: DNSRcode
    var authoritative: Bool
    var answers: [DNSRecord] = []
    /// Rotate the answers by the query id (A/AAAA with `rotateAnswers`).
    var rotate = false
    var authority: [DNSRecord] = []
    var additional: [DNSRecord] = []
}

/// What the lookup decided: a reply, or "not ours, relay it".
enum LookupResult: Hashable {
    case answer(Reply)
    case forward
}

extension DNSResponder {
    /// CNAME chains inside the cluster zone are followed at most this far (CoreDNS stops at 10 records).
    static let maxCNAMEHops = 8

    static func lookup(_ query: DNSQuery, snapshot: DNSSnapshot) -> LookupResult {
        let config = snapshot.config
        let question = query.question
        if let edns = query.edns, edns.version != 0 {
            return .answer(Reply(rcode: .badVersion, authoritative: false))
        }
        guard question.qclass == .in || question.qclass == .any else {
            return .answer(Reply(rcode: .refused, authoritative: false))
        }
        if question.type == .axfr || question.type == .ixfr {
            return .answer(Reply(rcode: .refused, authoritative: false))
        }
        if let node = snapshot.nodes[question.name.key] {
            return .answer(answer(from: node, type: question.type, snapshot: snapshot))
        }
        switch zone(of: question.name, snapshot: snapshot) {
        case .cluster:
            if config.podRecords == .insecure, let reply = insecurePodAnswer(question, snapshot: snapshot) {
                return .answer(reply)
            }
            return .answer(negative(.nameError, zone: .cluster, snapshot: snapshot))
        case .some(let reverse):
            // kubeadm's `fallthrough in-addr.arpa ip6.arpa`: addresses podlab does not know belong upstream.
            if config.hasUpstream { return .forward }
            return .answer(negative(.nameError, zone: reverse, snapshot: snapshot))
        case nil:
            if config.hasUpstream { return .forward }
            return .answer(Reply(rcode: .refused, authoritative: false))
        }
    }

    /// The zone podlab serves `name` from, or nil for names outside all of them.
    static func zone(of name: DNSName, snapshot: DNSSnapshot) -> DNSZoneKind? {
        if name.isSubdomain(of: snapshot.clusterZone) { return .cluster }
        if name.isSubdomain(of: ReverseName.inAddrArpa) { return .reverseIPv4 }
        if name.isSubdomain(of: ReverseName.ip6Arpa) { return .reverseIPv6 }
        return nil
    }

    /// The answer from a stored name: its records of the type, a CNAME (followed inside the zone), or NODATA.
    static func answer(from node: DNSNode, type: DNSType, snapshot: DNSSnapshot) -> Reply {
        if let cname = node.cname, type != .cname {
            return Reply(rcode: .noError, authoritative: true, answers: chase(cname, type: type, snapshot: snapshot))
        }
        let (answers, additional) = node.records(for: type)
        guard !answers.isEmpty else { return negative(.noError, zone: node.zone, snapshot: snapshot) }
        return Reply(
            rcode: .noError, authoritative: true, answers: answers,
            rotate: snapshot.config.rotateAnswers && (type == .a || type == .aaaa), additional: additional)
    }

    /// `cname` followed by the records its target has of `type`, through further CNAMEs, while the targets stay
    /// inside podlab's data. A loop or a long chain just ends the list.
    static func chase(_ cname: DNSRecord, type: DNSType, snapshot: DNSSnapshot) -> [DNSRecord] {
        var answers = [cname]
        var current = cname
        for _ in 0..<maxCNAMEHops {
            guard case .cname(let target) = current.data, let node = snapshot.nodes[target.key] else { break }
            if let next = node.cname {
                guard !answers.contains(next) else { break }
                answers.append(next)
                current = next
                continue
            }
            answers.append(contentsOf: node.records(for: type).answer)
            break
        }
        return answers
    }

    /// NXDOMAIN or NODATA: no answers, the zone's SOA in the authority section (RFC 2308 §3).
    static func negative(_ rcode: DNSRcode, zone: DNSZoneKind, snapshot: DNSSnapshot) -> Reply {
        Reply(rcode: rcode, authoritative: true, authority: snapshot.soa(for: zone))
    }

    /// `pods insecure`: `<a-b-c-d>.<ns>.pod.<zone>` for an existing namespace answers with the address the first
    /// label spells, without checking that a pod has it. Nil when the name is not of that shape, so the caller
    /// answers NXDOMAIN.
    static func insecurePodAnswer(_ question: DNSQuestion, snapshot: DNSSnapshot) -> Reply? {
        let name = question.name
        guard name.labelCount == snapshot.clusterZone.labelCount + 3 else { return nil }
        // The namespace's `<ns>.pod.<zone>` node exists exactly when the namespace does.
        let labels = name.labels
        guard DNSName.equalIgnoringCase(labels[2], ArraySlice("pod".utf8)),
            snapshot.nodes[name.droppingFirst(1).key] != nil, let address = IPAddress.fromDashedLabel(labels[0])
        else { return nil }
        let record = DNSRecord(name: name, ttl: snapshot.config.ttl, data: address.rdata)
        switch (question.type, address) {
        case (.a, .v4), (.aaaa, .v6):
            return Reply(rcode: .noError, authoritative: true, answers: [record])
        default:
            return negative(.noError, zone: .cluster, snapshot: snapshot)
        }
    }
}
