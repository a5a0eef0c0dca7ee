/// host-local IPAM for one node's pod CIDR, as the CNI host-local plugin hands out addresses: the network's
/// first address is the `cni0` gateway, the last is broadcast, and a pod gets the lowest free one after a
/// rotating cursor so that an address freed by a deleted pod is not handed to the very next pod.
public struct PodIPAM: Sendable, Hashable {
    public let cidr: IPv4CIDR
    public private(set) var lastAllocated: UInt64

    public init(cidr: IPv4CIDR, lastAllocated: UInt64 = 1) {
        self.cidr = cidr
        self.lastAllocated = lastAllocated
    }

    /// The gateway (`cni0`'s address): the first usable address.
    public var gateway: IPv4Address { cidr.address(at: 1) ?? cidr.network }

    /// The next free address, or nil when every one of the CIDR's pod addresses is in `used`.
    public mutating func allocate(used: Set<IPv4Address>) -> IPv4Address? {
        let first = 2
        let last = Int(cidr.size) - 2  // the broadcast address is cidr.size - 1
        guard last >= first else { return nil }
        let count = last - first + 1
        let cursor = max(Int(lastAllocated), first - 1)
        for step in 1...count {
            let offset = UInt64(first + (cursor - first + step + count) % count)
            guard let ip = cidr.address(at: offset) else { continue }
            if !used.contains(ip) {
                lastAllocated = offset
                return ip
            }
        }
        return nil
    }
}
