import Foundation
import PodlabModel
import PodlabNet

/// A TCP listening socket opened inside a node's network namespace. A socket belongs to the namespace it was
/// created in, so the daemon (in the root namespace) can serve it like any other: this is how the API answers
/// on the control-plane node's wire address, the endpoint of the `kubernetes` Service, as on a kubeadm node.
enum NodeListener {
    static func open(_ manager: NetworkManager, netns: NetnsName, address: IPv4Address, port: Int) throws -> Int32 {
        let (fd, failure): (Int32, String?) = try manager.run(in: netns) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return (-1, "socket in \(netns): \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            sin.sin_addr.s_addr = address.value.bigEndian
            let bound = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 128) == 0 else {
                let why = String(cString: strerror(errno))
                close(fd)
                return (-1, "cannot listen on \(address):\(port) in \(netns): \(why)")
            }
            return (fd, nil)
        }
        if let failure { throw CLIError(failure) }
        return fd
    }
}
