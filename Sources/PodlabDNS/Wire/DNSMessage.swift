/// A whole message, decoded: the general-purpose codec. The answer path (`DNSResponder`) does not build one per
/// query; it reads the question with `DNSReader` and writes the reply with `DNSWriter` directly. This type is for
/// tests, tools and the server's dealings with an upstream.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authorities: [DNSRecord]
    /// The additional section, the OPT record included where one was sent.
    public var additionals: [DNSRecord]

    public init(
        header: DNSHeader, questions: [DNSQuestion] = [], answers: [DNSRecord] = [], authorities: [DNSRecord] = [],
        additionals: [DNSRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    /// Decodes `bytes`. Every count in the header must be matched by records actually present; bytes after the
    /// last record are ignored (RFC 1035 does not forbid padding, and some stacks add it).
    /// Throws `DNSWireError` saying what was wrong and at which offset.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { raw in Result { () throws(DNSWireError) in try DNSMessage(parsing: raw) } }
        self = try result.get()
    }

    /// Decodes a message from raw bytes (a NIO `ByteBuffer`'s readable bytes, for one). The bytes are not kept.
    public init(parsing raw: UnsafeRawBufferPointer) throws(DNSWireError) {
        var reader = DNSReader(raw)
        header = try reader.readHeader()
        questions = []
        answers = []
        authorities = []
        additionals = []
        // Counts come from the sender: reserve no more than the bytes could possibly hold.
        questions.reserveCapacity(min(Int(header.questionCount), raw.count / 5))
        for _ in 0..<header.questionCount { questions.append(try reader.readQuestion()) }
        for _ in 0..<header.answerCount { answers.append(try reader.readRecord()) }
        for _ in 0..<header.authorityCount { authorities.append(try reader.readRecord()) }
        var sawOPT = false
        for _ in 0..<header.additionalCount {
            let at = reader.offset
            let record = try reader.readRecord()
            if record.type == .opt {
                guard !sawOPT, record.name.wire == [0] else { throw .badOPT(offset: at) }
                sawOPT = true
            }
            additionals.append(record)
        }
    }

    /// The EDNS values of the message's OPT record, if it has one.
    public var edns: DNSEDNS? { additionals.lazy.compactMap(DNSEDNS.init).first }

    /// The full rcode: the header's 4 bits, extended by the OPT record's 8 when there is one.
    public var rcode: DNSRcode {
        DNSRcode(UInt16(edns?.extendedRcode ?? 0) << 4 | header.rcodeBits)
    }

    /// Encodes the message. Records that would take it past `maxSize` are left out whole (with TC set when an
    /// answer or authority record had to go, see `DNSWriter.writeSections`); the header's counts say what was
    /// written. The first OPT record in `additionals` is always kept, and written last.
    public func encoded(maxSize: Int = DNSLimits.maxMessageSize) -> [UInt8] {
        var writer = DNSWriter(capacity: min(maxSize, 512))
        writer.writeHeader(header)
        for question in questions { writer.writeQuestion(question) }
        // The first OPT is kept whatever the size; anything else (a second OPT included: this encodes what it is
        // given) is ordinary additional data.
        let optIndex = additionals.firstIndex { $0.type == .opt }
        var rest = additionals
        if let optIndex { rest.remove(at: optIndex) }
        let counts = writer.writeSections(
            answers: answers, authority: authorities, additional: rest, opt: optIndex.map { additionals[$0] },
            limit: maxSize)
        writer.setCounts(
            question: questions.count, answer: counts.answer, authority: counts.authority,
            additional: counts.additional)
        if counts.truncated { writer.setTruncated(true) }
        return writer.bytes
    }
}
