import PodlabModel

/// An address from a Service or an EndpointSlice, either family, with the records and names it makes.
enum IPAddress: Hashable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 dotted quads or IPv6 text; nil for anything else (`None`, empty, a hostname).
    init?(_ text: String) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if text.contains(":"), let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// The A or AAAA record data for this address.
    var rdata: DNSRData {
        switch self {
        case .v4(let ip): .a(ip)
        case .v6(let ip): .aaaa(ip)
        }
    }

    /// The in-addr.arpa or ip6.arpa name of this address.
    var reverseName: DNSName {
        switch self {
        case .v4(let ip): ReverseName.of(ip)
        case .v6(let ip): ReverseName.of(ip)
        }
    }

    var reverseZone: DNSZoneKind {
        switch self {
        case .v4: .reverseIPv4
        case .v6: .reverseIPv6
        }
    }

    /// The label CoreDNS gives an endpoint without a hostname: the address as written, with `.` or `:` turned
    /// into `-`, and a `0` added when an IPv6 address ends in `::` (a label cannot end with `-`).
    static func dashedLabel(_ text: String) -> String {
        if text.contains(".") { return String(text.map { $0 == "." ? "-" : $0 }) }
        let dashed = String(text.map { $0 == ":" ? "-" : $0 })
        return dashed.hasSuffix("-") ? dashed + "0" : dashed
    }

    /// The address a pod name's first label spells (`10-244-1-5`, `fd00--5`), read as CoreDNS reads it: with
    /// exactly three dashes and no `--` it is IPv4 with dots, otherwise IPv6 with colons.
    static func fromDashedLabel(_ label: some Collection<UInt8>) -> IPAddress? {
        guard !label.isEmpty, label.count <= 45 else { return nil }
        var dashes = 0
        var doubled = false
        var previousDash = false
        for byte in label {
            let isDash = byte == UInt8(ascii: "-")
            if isDash {
                dashes += 1
                if previousDash { doubled = true }
            }
            previousDash = isDash
        }
        if dashes == 3 && !doubled {
            let text = String(decoding: label.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
            return IPv4Address(text).map(IPAddress.v4)
        }
        let text = String(decoding: label.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ":") : $0 }, as: UTF8.self)
        return IPv6Address(text).map(IPAddress.v6)
    }
}
