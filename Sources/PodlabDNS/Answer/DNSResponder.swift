/// Answers cluster DNS queries: bytes in, bytes out, no sockets. The server (PodlabCLI) owns the sockets and
/// calls this for every packet it receives.
///
/// ## The API the server uses
/// ```swift
/// let config = DNSConfig(clusterDomain: "cluster.local", ttl: 30, hasUpstream: true, dnsServiceIP: "10.96.0.10")
/// // On every change of Services, EndpointSlices, Pods or Namespaces (objects as the store holds them):
/// let snapshot: DNSSnapshot = DNSRecordsBuilder.snapshot(
///     services: services, endpointSlices: slices, pods: pods, namespaces: namespaces,
///     config: config, serial: UInt32(lastChangeUnixTime))
/// // For every packet (UDP datagram, or one TCP message without its 2-byte length):
/// switch DNSResponder.respond(to: packet, over: .udp, snapshot: snapshot) {   // or snapshot.respond(to:over:)
/// case .reply(let bytes, let rcode): send(bytes); metrics.count(rcode.description)   // "NOERROR", "NXDOMAIN", …
/// case .forward(let query): relay(packet) to the upstream, with a fresh id; on its reply, restore query.id
///                           (DNSRelay.settingID) and fit it to the client (DNSRelay.fitting);
///                           on timeout send DNSResponder.reply(to: query, rcode: .serverFailure, config: config)
/// case .drop: break   // a response (QR=1) sent to us: never answered
/// }
/// ```
/// `respond` also takes an `UnsafeRawBufferPointer` (a NIO `ByteBuffer`'s readable bytes) without copying.
/// Over TCP wrap replies with `DNSTCPFraming.framed`; `DNSTCPFraming.nextMessage(in:)` splits a TCP stream.
///
/// ## Behaviour, and the choices made where the spec or CoreDNS left room
/// - Every packet gets a reply except a response (QR=1), which is dropped (`.drop`); CoreDNS's miekg/dns drops
///   these too, and answering could loop between servers. Malformed queries get FORMERR with the query's id
///   (id 0 when fewer than 2 bytes arrived; miekg/dns stays silent for a short header, podlab does not),
///   the question only if it parsed, and no OPT. Opcodes other than QUERY get NOTIMP (NOTIFY included, as
///   podlab keeps no secondary zones). QDCOUNT other than 1 is FORMERR. Every section count must be matched by
///   whole records; bytes after the last record are ignored. Two OPT records, or an OPT not owned by the root,
///   are FORMERR (RFC 6891 §6.1.1); an EDNS version above 0 gets BADVERS (RFC 6891 §6.1.3).
/// - Classes: IN and ANY are answered (records are IN); any other class is REFUSED: podlab serves no CHAOS or
///   Hesiod zone. AXFR and IXFR are REFUSED, as CoreDNS's kubernetes plugin does without `transfer`.
/// - Names in `<zone>`, `in-addr.arpa` and `ip6.arpa` are answered with AA set. A name that exists but lacks the
///   type is NODATA (NOERROR, empty answer) with the zone's SOA in the authority section; a name that does not
///   exist is NXDOMAIN with the SOA. Empty non-terminals exist (RFC 8020): `svc.<zone>`, `<ns>.svc.<zone>` of
///   an existing namespace, `_tcp.<svc>.<ns>.svc.<zone>`. CoreDNS answers NXDOMAIN for `_tcp.<svc>…` (it
///   reads the label as an endpoint name) and for `dns.<zone>`; podlab answers NODATA, which keeps resolvers
///   doing QNAME minimisation (RFC 9156) from giving up on the SRV names below.
/// - Only the types a name has are answered. CoreDNS quirks kept: SRV at `<svc>.<ns>.svc.<zone>` lists every
///   port; A/AAAA at `_<port>._<proto>.<svc>…` give the Service's (or matching endpoints') addresses; endpoint
///   names exist for ClusterIP Services as well as headless ones. Quirks not kept: SOA at a non-apex name is
///   NODATA, and for a missing name NXDOMAIN (CoreDNS says NOERROR for any SOA query in the zone); a TXT-only
///   name such as `dns-version.<zone>` is NODATA for A (CoreDNS: NXDOMAIN); labels below a pod name
///   (`x.10-0-0-1.<ns>.pod.<zone>`) are NXDOMAIN (CoreDNS ignores them and answers the pod).
/// - ANY queries get NODATA, as CoreDNS's kubernetes plugin gives them (RFC 8482 lets a server answer less).
/// - A CNAME (ExternalName Service) is returned for every type but CNAME itself, as RFC 1034 §3.6.2 asks
///   (CoreDNS returns it for A, AAAA, TXT and CNAME only). A target inside `<zone>` is followed, and its records
///   of the asked type are appended, as CoreDNS does; a target outside is left for the client's resolver to
///   chase: podlab does not query upstreams from here.
/// - Wildcards (`*`), deprecated by the spec, are not expanded: `*.<ns>.svc.<zone>` is NXDOMAIN.
/// - Pod names with `pods insecure` (the default): `a-b-c-d.<ns>.pod.<zone>` answers A a.b.c.d (IPv6 with `-`
///   for `:`) when `<ns>` exists; an unknown namespace or a label that is not an address is NXDOMAIN, as CoreDNS.
/// - Outside names: `.forward` when `config.hasUpstream`, else REFUSED. Reverse names without a PTR follow
///   kubeadm's `fallthrough in-addr.arpa ip6.arpa`: `.forward` with an upstream, else NXDOMAIN with the reverse
///   zone's SOA (`in-addr.arpa. … SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. …`).
/// - Owner names echo the question's case: records owned by the question's name (or SOA owned by its zone
///   suffix) are written as compression pointers into the question, as CoreDNS writes `state.QName()`.
/// - Header: QR, AA for podlab's zones, RD and CD copied, RA set when an upstream exists (recursion is then
///   available; CoreDNS leaves RA clear on its own answers, which makes dig warn).
/// - Size: over UDP at most 512 bytes, or the client's EDNS size capped at `config.maxUDPPayloadSize` (1232 by
///   default). Records that do not fit are left out whole; TC is set when an answer or authority record was
///   left out, not when only additional records (SRV glue) were (RFC 2181 §9). Over TCP the whole answer.
///   A query with an OPT gets one back: our payload size, version 0, the DO bit copied (RFC 3225 §3), no options.
/// - TTLs: `config.ttl` (30) everywhere; SOA TTL min(ttl, 300) and minimum = ttl, as CoreDNS; the
///   `dns-version` TXT 28800, as CoreDNS.
/// - A/AAAA answers with several records are rotated by the query id (`config.rotateAnswers`), standing in for
///   kubeadm's `loadbalance` plugin while keeping each reply a function of its query.
public enum DNSResponder {
    /// The outcome for one received packet. Never throws and never traps, whatever the bytes.
    public static func respond(to packet: [UInt8], over transport: DNSTransport, snapshot: DNSSnapshot) -> DNSOutcome {
        packet.withUnsafeBytes { respond(to: $0, over: transport, snapshot: snapshot) }
    }

    /// The outcome for one received packet, read in place (the bytes are not kept).
    public static func respond(
        to packet: UnsafeRawBufferPointer, over transport: DNSTransport, snapshot: DNSSnapshot
    ) -> DNSOutcome {
        switch intake(packet, transport: transport) {
        case .drop:
            return .drop
        case .reject(let rejection):
            return .reply(
                bytes: rejection.encoded(recursionAvailable: snapshot.config.hasUpstream), rcode: rejection.rcode)
        case .query(let query):
            return answer(query, snapshot: snapshot)
        }
    }

    /// A reply with no records and `rcode` to a query that parsed: SERVFAIL when the upstream does not answer
    /// a forwarded query, for instance. Not authoritative; OPT echoed when the query had one.
    public static func reply(to query: DNSQuery, rcode: DNSRcode, config: DNSConfig) -> [UInt8] {
        encode(Reply(rcode: rcode, authoritative: false), for: query, config: config)
    }

    // MARK: - Answering

    static func answer(_ query: DNSQuery, snapshot: DNSSnapshot) -> DNSOutcome {
        let config = snapshot.config
        let reply = lookup(query, snapshot: snapshot)
        switch reply {
        case .forward:
            return .forward(query)
        case .answer(let reply):
            return .reply(bytes: encode(reply, for: query, config: config), rcode: reply.rcode)
        }
    }
}

extension DNSSnapshot {
    /// `DNSResponder.respond(to:over:snapshot:)` with this snapshot.
    public func respond(to packet: [UInt8], over transport: DNSTransport) -> DNSOutcome {
        DNSResponder.respond(to: packet, over: transport, snapshot: self)
    }

    /// `DNSResponder.respond(to:over:snapshot:)` with this snapshot, reading the bytes in place.
    public func respond(to packet: UnsafeRawBufferPointer, over transport: DNSTransport) -> DNSOutcome {
        DNSResponder.respond(to: packet, over: transport, snapshot: self)
    }
}
