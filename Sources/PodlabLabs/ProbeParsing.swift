import Foundation

/// One HTTP request's end as the probe script prints it.
public struct HTTPAnswer: Sendable, Hashable {
    /// curl's exit code: 0 answered, 7 refused, 28 timed out, 6 name not resolved.
    public var curlExit: Int
    public var status: Int?
    public var body: String

    public var outcome: String {
        switch curlExit {
        case 0: return "HTTP \(status.map(String.init) ?? "?")"
        case 6: return "name not resolved (curl 6)"
        case 7: return "connection refused (curl 7)"
        case 28: return "timed out (curl 28)"
        default: return "curl exit \(curlExit)" + (body.isEmpty ? "" : ": \(body.prefix(120))")
        }
    }
}

/// The shell text that probes run and the parsers for what they print. Pure, so tested without a cluster.
public enum ProbeScript {
    /// A bash loop of `requests` curls, each printed as `@@request RC`, the body, then `@@status CODE`.
    public static func http(url: String, requests: Int, curlOptions: String, timeoutSeconds: Int) -> String {
        let opts = curlOptions.isEmpty ? "" : curlOptions + " "
        return "for i in $(seq 1 \(requests)); do out=$(curl -sS --connect-timeout \(timeoutSeconds) -m \(timeoutSeconds + 2) "
            + "\(opts)-w '\\n@@status %{http_code}' \(shellQuote(url)) 2>&1); rc=$?; printf '@@request %d\\n%s\\n' \"$rc\" \"$out\"; done"
    }

    public static func parseHTTP(_ text: String) -> [HTTPAnswer] {
        var answers: [HTTPAnswer] = []
        var current: HTTPAnswer?
        var body: [Substring] = []
        func finish() {
            guard var a = current else { return }
            a.body = body.joined(separator: "\n")
            answers.append(a)
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.hasPrefix("@@request ") {
                finish()
                current = HTTPAnswer(curlExit: Int(line.dropFirst("@@request ".count)) ?? -1, status: nil, body: "")
                body = []
            } else if line.hasPrefix("@@status "), current != nil {
                let code = Int(line.dropFirst("@@status ".count)) ?? 0
                current?.status = code == 0 ? nil : code
            } else if current != nil {
                body.append(line)
            }
        }
        finish()
        for i in answers.indices {
            // The loop's printf adds one newline after curl's output: drop the empty line it leaves.
            while answers[i].body.hasSuffix("\n") { answers[i].body.removeLast() }
        }
        return answers
    }

    /// dig with the pod's search list, printing the header comments (for the status) and the answer section.
    public static func dns(name: String, type: String) -> String {
        "dig +search +noall +comments +answer +tries=3 +time=3 \(shellQuote(name)) \(shellQuote(type))"
    }

    public struct DNSAnswer: Sendable, Hashable {
        public var rcode: String?
        /// (owner name, type, value) of each answer record.
        public var records: [(name: String, type: String, value: String)]

        public static func == (a: DNSAnswer, b: DNSAnswer) -> Bool {
            a.rcode == b.rcode && a.records.map { [$0.name, $0.type, $0.value] } == b.records.map { [$0.name, $0.type, $0.value] }
        }
        public func hash(into h: inout Hasher) {
            h.combine(rcode)
            for r in records { h.combine(r.name); h.combine(r.type); h.combine(r.value) }
        }
    }

    public static func parseDig(_ text: String) -> DNSAnswer {
        var rcode: String?
        var records: [(String, String, String)] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix(";;"), let r = line.range(of: "status: ") {
                rcode = String(line[r.upperBound...].prefix { $0.isLetter })
                continue
            }
            if line.hasPrefix(";") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 5, fields[2] == "IN" else { continue }
            records.append((String(fields[0]), String(fields[3]), fields[4...].joined(separator: " ")))
        }
        return DNSAnswer(rcode: rcode, records: records)
    }

    /// Single-quotes a word for bash.
    public static func shellQuote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension TextExpectation {
    /// nil when `text` meets the expectation, else what is wrong.
    public func failure(for text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let equals, trimmed != equals {
            return "expected \(equals.debugDescription), got \(Self.short(trimmed).debugDescription)"
        }
        for c in contains where !text.contains(c) {
            return "expected it to contain \(c.debugDescription), got \(Self.short(trimmed).debugDescription)"
        }
        if let matches, let re = try? NSRegularExpression(pattern: matches),
            re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
        {
            return "expected a match for /\(matches)/, got \(Self.short(trimmed).debugDescription)"
        }
        for c in notContains where text.contains(c) {
            return "expected no \(c.debugDescription), got \(Self.short(trimmed).debugDescription)"
        }
        return nil
    }

    static func short(_ s: String) -> String { s.count > 200 ? String(s.prefix(200)) + "…" : s }
}

/// Which pods answered a series of requests.
public enum Spread {
    /// The pod name captured by `identity`'s first group in each body (nil where it does not match).
    public static func identities(_ answers: [HTTPAnswer], identity: String) -> [String?] {
        guard let re = try? NSRegularExpression(pattern: identity) else { return answers.map { _ in nil } }
        return answers.map { a in
            guard let m = re.firstMatch(in: a.body, range: NSRange(a.body.startIndex..., in: a.body)),
                m.numberOfRanges > 1, let r = Range(m.range(at: 1), in: a.body)
            else { return nil }
            return String(a.body[r])
        }
    }

    /// nil when the answering pods are all among `expected` and at least `min` of them (all when nil) answered.
    public static func failure(identities: [String?], expected: Set<String>, min: Int?) -> String? {
        var counts: [String: Int] = [:]
        for case let id? in identities { counts[id, default: 0] += 1 }
        let unknown = counts.keys.filter { !expected.contains($0) }.sorted()
        if !unknown.isEmpty {
            return "answers came from \(unknown.joined(separator: ", ")), which are not among the ready pods "
                + "\(expected.sorted().joined(separator: ", "))"
        }
        let needed = min ?? expected.count
        if counts.count < needed {
            let seen = counts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
            return "\(identities.count) requests were answered by \(counts.count) pod(s) (\(seen.isEmpty ? "none" : seen)); "
                + "expected at least \(needed) of \(expected.count)"
        }
        return nil
    }

    /// `pod-a×7, pod-b×6` for a progress line.
    public static func summary(_ identities: [String?]) -> String {
        var counts: [String: Int] = [:]
        for case let id? in identities { counts[id, default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
    }
}
