/// How a query arrived, which decides how large the reply may be.
public enum DNSTransport: Sendable, Hashable {
    /// At most 512 bytes, or the EDNS payload size the client offered (capped by `DNSConfig.maxUDPPayloadSize`).
    case udp
    /// The whole answer, up to 65535 bytes. The 2-byte length prefix is the server's (see `DNSTCPFraming`).
    case tcp
}

/// A query that parsed: what the responder answers from, and what the server relays when the answer is
/// `.forward`.
public struct DNSQuery: Sendable, Hashable {
    public var id: UInt16
    /// The query's header flags, as received.
    public var flags: UInt16
    public var question: DNSQuestion
    /// The query's EDNS values, if it had an OPT record.
    public var edns: DNSEDNS?
    public var transport: DNSTransport

    public init(id: UInt16, flags: UInt16, question: DNSQuestion, edns: DNSEDNS? = nil, transport: DNSTransport) {
        self.id = id
        self.flags = flags
        self.question = question
        self.edns = edns
        self.transport = transport
    }

    public var recursionDesired: Bool { flags & DNSHeader.rdBit != 0 }
    public var checkingDisabled: Bool { flags & DNSHeader.cdBit != 0 }

    /// The largest reply this query may get: 65535 over TCP; over UDP 512 without EDNS (RFC 1035 §4.2.1), else the
    /// client's EDNS size, at least 512 (RFC 6891 §6.2.5) and at most `maxUDPPayloadSize`.
    public func maxReplySize(maxUDPPayloadSize: UInt16) -> Int {
        switch transport {
        case .tcp: return DNSLimits.maxMessageSize
        case .udp:
            guard let edns else { return DNSLimits.classicUDPSize }
            return max(DNSLimits.classicUDPSize, min(edns.effectivePayloadSize, Int(maxUDPPayloadSize)))
        }
    }
}

/// What to do with a received packet.
public enum DNSOutcome: Sendable, Hashable {
    /// Send `bytes` back to the client (over TCP, behind the 2-byte length). `rcode` is the reply's full response
    /// code, for metrics.
    case reply(bytes: [UInt8], rcode: DNSRcode)
    /// The name is not podlab's: relay the query to the upstream resolver and pass its reply back with the
    /// client's id. `DNSRelay` has the helpers; `DNSResponder.serverFailure(for:)` is the reply when the
    /// upstream does not answer.
    case forward(DNSQuery)
    /// Send nothing. Only for a packet with QR set: a response arriving at a server is never a question, and
    /// answering it could start a loop between two servers (or reflect traffic at a spoofed source). CoreDNS's DNS
    /// library drops these too.
    case drop
}
