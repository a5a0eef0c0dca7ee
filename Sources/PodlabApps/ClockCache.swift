#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The current second in the forms responders print: the HTTP `Date` header, nginx's `$time_local` and Go's
/// `log` prefix. Formatted once per second and shared, so the per-request cost is a clock read and a lock.
struct ClockStamp: Sendable {
    /// Seconds since the epoch this stamp describes.
    let second: Int
    /// RFC 9110 §5.6.7 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, as bytes ready to copy into a header.
    let httpDate: [UInt8]
    /// nginx's `$time_local` (pods run in UTC): `23/Nov/2026:10:15:02 +0000`.
    let commonLog: String
    /// Go's `log` package prefix without the trailing space: `2026/11/23 10:15:02`.
    let goLog: String

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    init(second: Int) {
        self.second = second
        var t = time_t(second)
        var parts = tm()
        gmtime_r(&t, &parts)
        let year = Int(parts.tm_year) + 1900
        let month = Int(parts.tm_mon)
        let day = Self.two(Int(parts.tm_mday))
        let clock = "\(Self.two(Int(parts.tm_hour))):\(Self.two(Int(parts.tm_min))):\(Self.two(Int(parts.tm_sec)))"
        let weekday = Self.days[Int(parts.tm_wday)]
        httpDate = Array("\(weekday), \(day) \(Self.months[month]) \(year) \(clock) GMT".utf8)
        commonLog = "\(day)/\(Self.months[month])/\(year):\(clock) +0000"
        goLog = "\(year)/\(Self.two(month + 1))/\(day) \(clock)"
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// Hands out the `ClockStamp` of the current second, reformatting only when the second changes.
final class ClockCache: Sendable {
    /// The process-wide cache every connection reads.
    static let shared = ClockCache()

    private let latest = Mutex(ClockStamp(second: 0))

    /// The stamp for now; the only syscall is `time`, which the vDSO answers without entering the kernel.
    func now() -> ClockStamp {
        let second = Int(time(nil))
        return latest.withLock { stamp in
            if stamp.second != second { stamp = ClockStamp(second: second) }
            return stamp
        }
    }
}
