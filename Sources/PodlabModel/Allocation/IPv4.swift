/// An IPv4 address as a 32-bit number, parsed from and printed as dotted quads.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses `a.b.c.d` (decimal, no leading zeros beyond a lone 0, as Go's net.ParseIP); nil otherwise.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                !(p.count > 1 && p.hasPrefix("0")), let octet = UInt32(p), octet <= 255
            else { return nil }
            v = v << 8 | octet
        }
        value = v
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}

/// An IPv4 network in CIDR notation (`10.96.0.0/12`); the address is masked to the network.
public struct IPv4CIDR: Sendable, Hashable, CustomStringConvertible {
    public var network: IPv4Address
    public var prefixLength: Int

    /// A CIDR from a network address and prefix length (0...32); host bits of `address` are cleared.
    public init?(address: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        self.network = IPv4Address(address.value & IPv4CIDR.mask(prefixLength))
    }

    /// A CIDR from an address and a prefix length clamped to 0...32; host bits of `address` are cleared.
    public init(clamping address: IPv4Address, prefixLength: Int) {
        self.prefixLength = min(max(prefixLength, 0), 32)
        self.network = IPv4Address(address.value & IPv4CIDR.mask(self.prefixLength))
    }

    /// Parses `a.b.c.d/n`. With `strict`, host bits must be zero (as Go's ParseCIDR network compare does).
    public init?(_ text: some StringProtocol, strict: Bool = false) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let addr = IPv4Address(parts[0]), !parts[1].isEmpty,
            parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), parts[1].count <= 2, let n = Int(parts[1])
        else { return nil }
        self.init(address: addr, prefixLength: n)
        if strict && network != addr { return nil }
    }

    static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }

    /// The number of addresses in the network (2^(32-n)).
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    /// Whether `address` is inside this network (network and broadcast addresses included).
    public func contains(_ address: IPv4Address) -> Bool {
        address.value & IPv4CIDR.mask(prefixLength) == network.value
    }

    /// Whether `other` lies entirely inside this network.
    public func contains(_ other: IPv4CIDR) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    /// The address `offset` places after the network address, or nil outside the network.
    public func address(at offset: UInt64) -> IPv4Address? {
        guard offset < size else { return nil }
        return IPv4Address(network.value + UInt32(offset))
    }

    /// How far `address` is from the network address, or nil when it is outside.
    public func offset(of address: IPv4Address) -> UInt64? {
        contains(address) ? UInt64(address.value - network.value) : nil
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
