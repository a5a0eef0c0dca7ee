import Foundation
import Testing

@testable import PodlabModel

@Suite("HumanDuration and Timestamps")
struct TableHumanDurationTests {
    private static let second: Int64 = 1_000_000_000
    private static let millisecond: Int64 = 1_000_000
    private static let minute = 60 * second
    private static let hour = 60 * minute
    private static let day = 24 * hour

    // Upstream's TestHumanDurationBoundaries, case for case (apimachinery/pkg/util/duration).
    static let boundaries: [(Int64, String)] = [
        (-2 * second, "<invalid>"),
        (-2 * second + 1, "0s"),
        (0, "0s"),
        (second - millisecond, "0s"),
        (2 * minute - millisecond, "119s"),
        (2 * minute, "2m"),
        (2 * minute + second, "2m1s"),
        (10 * minute - millisecond, "9m59s"),
        (10 * minute, "10m"),
        (10 * minute + second, "10m"),
        (3 * hour - millisecond, "179m"),
        (3 * hour, "3h"),
        (3 * hour + minute, "3h1m"),
        (8 * hour - millisecond, "7h59m"),
        (8 * hour, "8h"),
        (8 * hour + 59 * minute, "8h"),
        (2 * day - millisecond, "47h"),
        (2 * day, "2d"),
        (2 * day + hour, "2d1h"),
        (8 * day - millisecond, "7d23h"),
        (8 * day, "8d"),
        (8 * day + 23 * hour, "8d"),
        (2 * 365 * day - millisecond, "729d"),
        (2 * 365 * day, "2y"),
        (2 * 365 * day + 23 * hour, "2y"),
        (2 * 365 * day + 24 * hour - millisecond, "2y"),
        (2 * 365 * day + 24 * hour, "2y1d"),
        (3 * 365 * day, "3y"),
        (8 * 365 * day - millisecond, "7y364d"),
        (8 * 365 * day, "8y"),
        (8 * 365 * day + 364 * day, "8y"),
        (9 * 365 * day, "9y"),
    ]

    @Test("HumanDuration matches upstream's boundary table", arguments: boundaries)
    func boundary(nanoseconds: Int64, expected: String) {
        #expect(HumanDuration.string(nanoseconds: nanoseconds) == expected)
    }

    @Test("HumanDuration matches upstream's examples when given seconds")
    func examples() {
        #expect(HumanDuration.string(1) == "1s")
        #expect(HumanDuration.string(70) == "70s")
        #expect(HumanDuration.string(190) == "3m10s")
        #expect(HumanDuration.string(70 * 60) == "70m")
        #expect(HumanDuration.string(47 * 3600) == "47h")
        #expect(HumanDuration.string(49 * 3600) == "2d1h")
        #expect(HumanDuration.string(Double(8 * 24 + 2) * 3600) == "8d")
        #expect(HumanDuration.string(Double(367 * 24) * 3600) == "367d")
        #expect(HumanDuration.string(Double(365 * 2 * 24 + 25) * 3600) == "2y1d")
        #expect(HumanDuration.string(Double(365 * 8 * 24 + 2) * 3600) == "8y")
    }

    @Test("a difference of two whole-second dates at exactly two minutes reads 2m, not 119s")
    func floatNoiseAtBoundary() throws {
        let created = try #require(Timestamps.parse("2026-11-23T08:03:55Z"))
        let now = created.addingTimeInterval(120)
        #expect(HumanDuration.string(now.timeIntervalSince(created)) == "2m")
        #expect(HumanDuration.string(-1.5) == "0s")
        #expect(HumanDuration.string(-2) == "<invalid>")
        #expect(HumanDuration.string(.nan) == "<invalid>")
    }

    @Test("RFC 3339 parsing accepts Z, offsets and fractions and rejects malformed text")
    func parse() throws {
        let z = try #require(Timestamps.parse("2026-11-23T08:03:55Z"))
        #expect(z.timeIntervalSince1970 == 1_795_421_035)
        let offset = try #require(Timestamps.parse("2026-11-23T09:03:55+01:00"))
        #expect(offset == z)
        let micro = try #require(Timestamps.parse("2026-11-23T08:03:55.250000Z"))
        #expect(abs(micro.timeIntervalSince(z) - 0.25) < 1e-6)
        #expect(Timestamps.parse("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(Timestamps.parse("2024-02-29T12:00:00Z") != nil)
        for bad in ["", "2026-11-23", "2026-11-23T08:03:55", "2026-13-01T00:00:00Z", "2026-11-23T08:03:55Zjunk",
            "2026-11-23T08:03:55.Z", "yesterday"]
        {
            #expect(Timestamps.parse(bad) == nil, "\(bad) should not parse")
        }
    }

    @Test("formatting writes whole seconds or microseconds in UTC and round-trips")
    func format() throws {
        let date = try #require(Timestamps.parse("2026-11-23T08:03:55Z"))
        #expect(Timestamps.format(date) == "2026-11-23T08:03:55Z")
        #expect(Timestamps.format(date.addingTimeInterval(0.9)) == "2026-11-23T08:03:55Z")
        #expect(Timestamps.formatMicro(date.addingTimeInterval(0.25)) == "2026-11-23T08:03:55.250000Z")
        #expect(Timestamps.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamps.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(Timestamps.format(try #require(Timestamps.parse("2024-02-29T23:59:59Z"))) == "2024-02-29T23:59:59Z")
        #expect(Timestamps.format(try #require(Timestamps.parse("2000-03-01T00:00:00Z"))) == "2000-03-01T00:00:00Z")
    }
}
