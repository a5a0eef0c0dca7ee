#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The addresses of this network namespace's interfaces, as Go's `net.Interfaces()` + `Addrs()` list them
/// (whoami prints these): interfaces by index, IPv4 before IPv6 within each, link-local IPv6 without zone.
enum InterfaceAddresses {
    /// Reads `getifaddrs`; an empty list when it fails.
    static func current() -> [String] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0, let first else { return [] }
        defer { freeifaddrs(first) }
        var found: [(index: UInt32, family: Int32, order: Int, text: String)] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch family {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var a = sin.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var a = sin6.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
                }
            default:
                continue
            }
            let index = if_nametoindex(entry.pointee.ifa_name)
            let string = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            found.append((index, family, found.count, string))
        }
        found.sort {
            ($0.index, $0.family == AF_INET ? 0 : 1, $0.order) < ($1.index, $1.family == AF_INET ? 0 : 1, $1.order)
        }
        return found.map(\.text)
    }
}
