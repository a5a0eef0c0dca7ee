import Foundation

/// Kubernetes' `duration.HumanDuration` (apimachinery/pkg/util/duration): the AGE strings kubectl shows.
///
/// About two or three significant figures: "119s", "3m10s", "70m", "3h1m", "47h", "2d1h", "8d", "2y1d", "8y".
/// A duration more than one second in the future is "<invalid>"; up to one second ahead counts as "0s" so
/// that small clock skew between writers still reads as "just now".
public enum HumanDuration {
    private static let second: Int64 = 1_000_000_000
    private static let minute: Int64 = 60 * second
    private static let hour: Int64 = 60 * minute

    /// The human form of `seconds` (which may be negative).
    public static func string(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite else { return "<invalid>" }
        // Timestamps carry at most microseconds: rounding there keeps 120 s minus float noise from
        // reading as "119s" while still truncating the way Go's integer nanoseconds do.
        let micros = (seconds * 1_000_000).rounded()
        guard abs(micros) < 9.0e15 else { return seconds < 0 ? "<invalid>" : "\(Int64(seconds / 86400 / 365))y" }
        return string(nanoseconds: Int64(micros) * 1000)
    }

    /// The human form of a duration in nanoseconds, following upstream branch for branch.
    public static func string(nanoseconds d: Int64) -> String {
        // Go's int(d.Seconds()) truncates toward zero, so -1.9 s is -1 and still "0s".
        let seconds = d / second
        if seconds < -1 { return "<invalid>" }
        if d < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = d / minute
        if minutes < 10 {
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = d / hour
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let dy = (hours / 24) % 365
            return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d"
        }
        return "\(hours / 24 / 365)y"
    }
}
