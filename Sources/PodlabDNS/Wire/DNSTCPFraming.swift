/// RFC 1035 §4.2.2 / RFC 7766 §8: over TCP each message is preceded by its length as two big-endian bytes.
public enum DNSTCPFraming {
    /// `message` with its 2-byte length in front. Messages over 65535 bytes cannot be framed; the responder never
    /// makes one, so this clips rather than traps.
    public static func framed(_ message: [UInt8]) -> [UInt8] {
        let body = message.prefix(DNSLimits.maxMessageSize)
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 2)
        out.appendUInt16(UInt16(body.count))
        out.append(contentsOf: body)
        return out
    }

    /// The first whole message at the front of `buffer` (the bytes read from a connection so far), and how many
    /// bytes it used, length prefix included. Nil until the message is complete.
    public static func nextMessage(in buffer: [UInt8]) -> (message: [UInt8], consumed: Int)? {
        guard buffer.count >= 2 else { return nil }
        let length = Int(buffer[0]) << 8 | Int(buffer[1])
        guard buffer.count >= 2 + length else { return nil }
        return (Array(buffer[2..<(2 + length)]), 2 + length)
    }
}
