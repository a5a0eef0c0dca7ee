#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Name resolution through libc's `getaddrinfo`, so a pod's /etc/resolv.conf (cluster DNS, search domains,
/// ndots) and /etc/hosts apply exactly as they would to the real image's runtime.
enum SystemResolver {
    /// Addresses for `host`:`port` in getaddrinfo's (RFC 6724) order. Blocks: call it on a thread pool.
    /// Throws `FetchFailure.resolve` with getaddrinfo's own message (`Name or service not known`).
    static func resolve(_ host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0, let list else {
            let reason = code == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(code))
            throw FetchFailure.resolve(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var found: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ai_next }
            guard let address = entry.pointee.ai_addr else { continue }
            switch entry.pointee.ai_family {
            case AF_INET:
                found.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { .init($0.pointee, host: host) })
            case AF_INET6:
                found.append(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { .init($0.pointee, host: host) })
            default:
                continue
            }
        }
        guard !found.isEmpty else { throw FetchFailure.resolve(host: host, reason: "no IPv4 or IPv6 address") }
        return found
    }
}
