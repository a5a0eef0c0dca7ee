/// Helpers for relaying a `.forward` query to an upstream resolver and its reply back to the client.
public enum DNSRelay {
    /// The id in the first two bytes of a message; nil when fewer arrived.
    public static func id(of message: [UInt8]) -> UInt16? {
        guard message.count >= 2 else { return nil }
        return UInt16(message[0]) << 8 | UInt16(message[1])
    }

    /// `message` with its id replaced: the server sends the query upstream under an id of its own choosing, and
    /// gives the reply back the client's id. A message shorter than 2 bytes is returned as it is.
    public static func settingID(_ id: UInt16, in message: [UInt8]) -> [UInt8] {
        guard message.count >= 2 else { return message }
        var out = message
        out.setUInt16(id, at: 0)
        return out
    }

    /// An upstream reply made to fit the client's transport: unchanged when it fits, else re-encoded with whole
    /// records cut and TC set (`DNSMessage.encoded(maxSize:)`). A reply that does not parse and does not fit is
    /// cut to its header with TC set, so the client retries over TCP.
    public static func fitting(_ reply: [UInt8], to query: DNSQuery, config: DNSConfig) -> [UInt8] {
        let limit = query.maxReplySize(
            maxUDPPayloadSize: max(config.maxUDPPayloadSize, UInt16(DNSLimits.classicUDPSize)))
        guard reply.count > limit else { return reply }
        if let message = try? DNSMessage(parsing: reply) { return message.encoded(maxSize: limit) }
        var header = Array(reply.prefix(DNSLimits.headerSize))
        guard header.count == DNSLimits.headerSize else { return header }
        header[2] |= 0x02
        for i in 4..<DNSLimits.headerSize { header[i] = 0 }
        return header
    }
}
