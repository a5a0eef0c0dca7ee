import Foundation

/// The CRI container log format kubelet reads (`<RFC3339Nano> <stdout|stderr> <P|F> <text>`, one record per
/// line), written by the container shim into `container.log` and served by pods/log.
public enum CRILog {
    /// One record: a whole line (`F`) or a piece of a longer one (`P`, the runtime's buffer filled first).
    public struct Record: Equatable, Sendable {
        public var timestamp: String
        public var stream: String
        public var partial: Bool
        public var content: [UInt8]
        public init(timestamp: String, stream: String, partial: Bool, content: [UInt8]) {
            self.timestamp = timestamp
            self.stream = stream
            self.partial = partial
            self.content = content
        }
    }

    /// A log line as kubectl sees it: partial records joined, the timestamp of its first piece.
    public struct Line: Equatable, Sendable {
        public var timestamp: String
        public var stream: String
        public var content: [UInt8]
        /// The time, parsed once for `sinceSeconds`/`sinceTime`; nil when the timestamp is malformed.
        public var date: Date?
    }

    /// Formats one record, newline included.
    public static func format(_ content: some Collection<UInt8>, stream: String, partial: Bool, at date: Date)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(34 + stream.utf8.count + content.count)
        appendTimestamp(date, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: stream.utf8)
        out.append(UInt8(ascii: " "))
        out.append(partial ? UInt8(ascii: "P") : UInt8(ascii: "F"))
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: content)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// RFC 3339 with nanoseconds in UTC, as containerd writes them: `2025-01-02T03:04:05.123456789Z`.
    public static func timestamp(_ date: Date) -> String {
        var out: [UInt8] = []
        appendTimestamp(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `timestamp(date)`'s bytes, digit by digit (a log line per request must not cost a dozen strings).
    static func appendTimestamp(_ date: Date, to out: inout [UInt8]) {
        let t = date.timeIntervalSince1970
        var secs = time_t(t.rounded(.down))
        let nanos = Int(((t - Double(secs)) * 1e9).rounded(.down))
        var parts = tm()
        gmtime_r(&secs, &parts)
        func digits(_ v: Int, _ n: Int) {
            var divisor = 1
            for _ in 1..<n { divisor *= 10 }
            var rest = max(0, v)
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8((rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        digits(min(nanos, 999_999_999), 9)
        out.append(UInt8(ascii: "Z"))
    }

    /// Parses an RFC 3339 timestamp with or without fractional seconds (`sinceTime` has none; log records have
    /// nanoseconds). Only `Z` and `±hh:mm` offsets, which is what Go's time.RFC3339 formats.
    public static func parseTimestamp(_ text: some StringProtocol) -> Date? {
        let b = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count else { return nil }
            var v = 0
            for c in b[r] {
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
            let mi = num(14..<16), let s = num(17..<19)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count,
            let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6)
        {
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(y - 1900)
        parts.tm_mon = Int32(mo - 1)
        parts.tm_mday = Int32(d)
        parts.tm_hour = Int32(h)
        parts.tm_min = Int32(mi)
        parts.tm_sec = Int32(s)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }

    /// Parses one record (without its newline); nil for a line that is not in CRI format.
    public static func parseRecord(_ line: some Collection<UInt8>) -> Record? {
        let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3 else { return nil }
        let tag = String(decoding: fields[2], as: UTF8.self)
        guard tag == "P" || tag == "F" else { return nil }
        return Record(
            timestamp: String(decoding: fields[0], as: UTF8.self), stream: String(decoding: fields[1], as: UTF8.self),
            partial: tag == "P", content: fields.count > 3 ? Array(fields[3]) : [])
    }

    /// Splits `bytes` into complete log lines (partial records joined). Bytes after the last newline, or a run
    /// of P records not yet closed by an F, stay unconsumed: `consumed` says how far the caller may advance.
    public static func parseLines(_ bytes: [UInt8]) -> (lines: [Line], consumed: Int) {
        var lines: [Line] = []
        var consumed = 0
        var pending: Line?
        var start = 0
        while let nl = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let raw = bytes[start..<nl]
            start = nl + 1
            guard let record = parseRecord(raw) else {
                // Not CRI: pass it through whole, so a hand-written log still reads.
                if pending == nil {
                    lines.append(Line(timestamp: "", stream: "stdout", content: Array(raw), date: nil))
                    consumed = start
                }
                continue
            }
            if var p = pending {
                p.content.append(contentsOf: record.content)
                pending = p
            } else {
                pending = Line(
                    timestamp: record.timestamp, stream: record.stream, content: record.content,
                    date: parseTimestamp(record.timestamp))
            }
            if !record.partial, let p = pending {
                lines.append(p)
                pending = nil
                consumed = start
            }
        }
        return (lines, consumed)
    }

    /// What pods/log was asked for (kube-apiserver's PodLogOptions).
    public struct Options: Equatable, Sendable {
        public var tailLines: Int?
        public var since: Date?
        public var timestamps = false
        public var limitBytes: Int?
        public init(tailLines: Int? = nil, since: Date? = nil, timestamps: Bool = false, limitBytes: Int? = nil) {
            self.tailLines = tailLines
            self.since = since
            self.timestamps = timestamps
            self.limitBytes = limitBytes
        }
    }

    /// The lines kept by `since` and then `tailLines`, as kubelet applies them (since first, then the tail).
    public static func select(_ lines: [Line], _ options: Options) -> [Line] {
        var kept = lines
        if let since = options.since {
            kept = kept.filter { ($0.date ?? .distantFuture) >= since }
        }
        if let tail = options.tailLines, tail >= 0, kept.count > tail {
            kept = Array(kept.suffix(tail))
        }
        return kept
    }

    /// The bytes pods/log sends for `lines`: each line's text and newline, the timestamp first when asked.
    public static func render(_ lines: [Line], timestamps: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for line in lines {
            if timestamps, !line.timestamp.isEmpty {
                out.append(contentsOf: line.timestamp.utf8)
                out.append(UInt8(ascii: " "))
            }
            out.append(contentsOf: line.content)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
