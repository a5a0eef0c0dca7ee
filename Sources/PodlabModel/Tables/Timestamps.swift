import Foundation

/// RFC 3339 timestamps as the API writes them (`metav1.Time`, `metav1.MicroTime`), without locale-dependent
/// formatters: parsing and printing are plain civil-calendar arithmetic in UTC.
public enum Timestamps {
    /// Parses `2026-11-23T08:03:55Z`, with optional fractional seconds and a `Z` or `±hh:mm` offset.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var v = 0
            for i in start..<(start + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        func byte(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
            let day = digits(8, 2), byte(10, "T") || byte(10, "t") || byte(10, " "),
            let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"),
            let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if byte(i, ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            let sign = byte(i, "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), byte(i + 3, ":"), let om = digits(i + 4, 2) else { return nil }
            offset = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let epoch = Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: epoch)
    }

    /// `2026-11-23T08:03:55Z`: whole seconds in UTC, as `metav1.Time` serialises.
    public static func format(_ date: Date) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        return civil(total) + "Z"
    }

    /// `2026-11-23T08:03:55.123456Z`: microseconds in UTC, as `metav1.MicroTime` serialises.
    public static func formatMicro(_ date: Date) -> String {
        let micros = Int((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let secs = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let frac = micros - secs * 1_000_000
        return civil(secs) + "." + pad(frac, 6) + "Z"
    }

    private static func civil(_ total: Int) -> String {
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secs = total - days * 86400
        let (y, m, d) = civilFromDays(days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    // Howard Hinnant's days-from-civil / civil-from-days (proleptic Gregorian, day 0 = 1970-01-01).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
