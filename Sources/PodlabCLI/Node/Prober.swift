import Foundation
import PodlabModel

/// Readiness and liveness probes as kubelet runs them: a TCP connect or an HTTP GET to the pod IP, from the
/// pod's node (the socket is opened on a thread inside the node's network namespace).
enum Prober {
    enum Result: Equatable {
        case success
        case failure(String)
    }

    enum Dial {
        /// A connected socket; the caller closes it.
        case connected(Int32)
        /// connect failed with this errno.
        case refused(Int32)
        /// No socket, or an address that does not parse: the probe's message.
        case failed(String)
    }

    /// A TCP connection to ip:port with send and receive timeouts of `timeout` seconds, for both probe kinds.
    static func dial(ip: String, port: Int, timeout: Double) -> Dial {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failed("socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else {
            close(fd)
            return .failed("bad address \(ip)")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            return .refused(e)
        }
        return .connected(fd)
    }

    /// Opens a TCP connection to ip:port within `timeout`. Must run on a thread in the node's netns.
    static func tcp(ip: String, port: Int, timeout: Double) -> Result {
        switch dial(ip: ip, port: port, timeout: timeout) {
        case .failed(let why): return .failure(why)
        case .refused(let e):
            return .failure("dial tcp \(ip):\(port): connect: \(e == EINPROGRESS || e == EAGAIN ? "i/o timeout" : String(cString: strerror(e)).lowercased())")
        case .connected(let fd):
            close(fd)
            return .success
        }
    }

    /// GET http://ip:port/path; 200-399 is success, as kubelet's HTTP prober counts it.
    static func http(ip: String, port: Int, path: String, host: String?, timeout: Double) -> Result {
        let fd: Int32
        switch dial(ip: ip, port: port, timeout: timeout) {
        case .failed(let why): return .failure(why)
        case .refused(let e):
            return .failure("Get \"http://\(ip):\(port)\(path)\": dial tcp \(ip):\(port): connect: \(String(cString: strerror(e)).lowercased())")
        case .connected(let connected): fd = connected
        }
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host ?? "\(ip):\(port)")\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var buf = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 12 else { return .failure("Get \"http://\(ip):\(port)\(path)\": context deadline exceeded") }
        let line = String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { return .failure("malformed HTTP response") }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }

    /// Runs `probe` against a container, resolving named ports from its containerPorts.
    /// Returns nil for an exec probe, which the agent runs inside the container through nsexec.
    static func run(_ probe: Probe, container: Container, ip: String) -> Result? {
        let timeout = Double(probe.timeoutSeconds ?? 1)
        func port(_ p: IntOrString?) -> Int? {
            switch p {
            case .int(let n): return Int(n)
            case .string(let name):
                if let n = Int(name) { return n }
                return (container.ports ?? []).first { $0.name == name }.map { Int($0.containerPort ?? 0) }
            case nil: return nil
            }
        }
        if let h = probe.httpGet {
            guard let p = port(h.port) else { return .failure("unknown port in httpGet probe") }
            let host = h.httpHeaders?.first { $0.name?.lowercased() == "host" }?.value
            return http(ip: h.host ?? ip, port: p, path: h.path ?? "/", host: host, timeout: timeout)
        }
        if let t = probe.tcpSocket {
            guard let p = port(t.port) else { return .failure("unknown port in tcpSocket probe") }
            return tcp(ip: t.host ?? ip, port: p, timeout: timeout)
        }
        if probe.exec != nil { return nil }
        return .failure("podlab runs httpGet, tcpSocket and exec probes; this probe has none of them")
    }
}
