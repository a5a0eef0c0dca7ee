import Foundation
import Logging
import PodlabModel
import Testing

@testable import PodlabNet

#if canImport(Glibc)
    import Glibc
#endif

/// ctnetlink: the wire format without root (`Codec`), then real flows in a throwaway netns (`Kernel`).
@Suite("conntrack over ctnetlink")
struct ConntrackPrivilegedTests {
    static func ip(_ text: String) -> IPv4Address {
        guard let a = IPv4Address(text) else { preconditionFailure("bad address \(text)") }
        return a
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined(separator: " ") }

    /// Bytes from hex with spaces, newlines and `#` comments (one comment per struct or attribute).
    static func bytes(_ text: String) -> [UInt8] {
        text.split(separator: "\n").flatMap { line in
            line.prefix { $0 != "#" }.split(separator: " ").compactMap { UInt8($0, radix: 16) }
        }
    }

    // MARK: - Wire format (no root)

    /// Golden bytes for a little-endian host (x86_64, aarch64): netlink's own header fields are host order.
    @Suite("ctnetlink codec")
    struct Codec {
        typealias M = CTNetlinkMessage

        static let flow = ConntrackFlow(
            protocolNumber: ConntrackFlow.udp,
            original: ConntrackTuple(
                source: ip("10.244.1.7"), destination: ip("10.96.0.10"), sourcePort: 40000, destinationPort: 53),
            reply: ConntrackTuple(
                source: ip("10.244.2.5"), destination: ip("10.244.1.7"), sourcePort: 53, destinationPort: 40000),
            id: 0xDEAD_BEEF)

        @Test("the dump request is IPCTNL_MSG_CT_GET with NLM_F_DUMP for AF_INET and no attributes")
        func dumpRequest() {
            let expected = bytes(
                """
                14 00 00 00   # nlmsg_len 20
                01 01         # nlmsg_type NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET
                01 03         # nlmsg_flags NLM_F_REQUEST | NLM_F_DUMP
                07 00 00 00   # nlmsg_seq 7
                00 00 00 00   # nlmsg_pid
                02 00 00 00   # nfgenmsg: AF_INET, NFNETLINK_V0, res_id 0
                """)
            #expect(hex(M.dumpRequest(sequence: 7)) == hex(expected))
        }

        @Test("a delete names the entry by its original tuple and id, ports and addresses in network order")
        func deleteRequest() {
            let expected = bytes(
                """
                50 00 00 00   # nlmsg_len 80
                02 01         # nlmsg_type NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE
                05 00         # nlmsg_flags NLM_F_REQUEST | NLM_F_ACK
                09 00 00 00   # nlmsg_seq 9
                00 00 00 00   # nlmsg_pid
                02 00 00 00   # nfgenmsg: AF_INET
                34 00 01 80   # CTA_TUPLE_ORIG, nested, 52 bytes
                14 00 01 80   #   CTA_TUPLE_IP, nested
                08 00 01 00 0a f4 01 07   # CTA_IP_V4_SRC 10.244.1.7
                08 00 02 00 0a 60 00 0a   # CTA_IP_V4_DST 10.96.0.10
                1c 00 02 80   #   CTA_TUPLE_PROTO, nested
                05 00 01 00 11 00 00 00   # CTA_PROTO_NUM 17, padded
                06 00 02 00 9c 40 00 00   # CTA_PROTO_SRC_PORT 40000
                06 00 03 00 00 35 00 00   # CTA_PROTO_DST_PORT 53
                08 00 0c 00 de ad be ef   # CTA_ID
                """)
            #expect(hex(M.deleteRequest(Self.flow, sequence: 9)) == hex(expected))
        }

        @Test("a delete carries CTA_ZONE only for a non-default zone, and no CTA_ID when the id is unknown")
        func deleteZone() {
            var f = Self.flow
            f.id = nil
            let plain = M.deleteRequest(f, sequence: 1)
            #expect(plain.count == 72)
            #expect(!hex(plain).contains("08 00 0c 00"))
            f.zone = 7
            let zoned = M.deleteRequest(f, sequence: 1)
            #expect(hex(Array(zoned.suffix(8))) == "06 00 12 00 00 07 00 00")  // CTA_ZONE 7, padded
            #expect(zoned[0] == 80)
        }

        /// One entry as the kernel dumps it (family AF_INET), with attributes podlab ignores around the ones
        /// it reads. Written by hand from nfnetlink_conntrack.h, not by `Writer`, so the parser is checked
        /// against the layout rather than against itself.
        static let dumped = bytes(
            """
            9c 00 00 00   # nlmsg_len 156
            00 01         # NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW
            02 00         # NLM_F_MULTI
            05 00 00 00   # nlmsg_seq 5
            e8 03 00 00   # nlmsg_pid
            02 00 00 00   # nfgenmsg: AF_INET
            34 00 01 80   # CTA_TUPLE_ORIG
            14 00 01 80 08 00 01 00 0a f4 01 07 08 00 02 00 0a 60 00 0a
            1c 00 02 80 05 00 01 00 11 00 00 00 06 00 02 00 9c 40 00 00 06 00 03 00 00 35 00 00
            34 00 02 80   # CTA_TUPLE_REPLY
            14 00 01 80 08 00 01 00 0a f4 02 05 08 00 02 00 0a f4 01 07
            1c 00 02 80 05 00 01 00 11 00 00 00 06 00 02 00 00 35 00 00 06 00 03 00 9c 40 00 00
            08 00 03 00 00 00 01 88   # CTA_STATUS
            08 00 07 00 00 00 00 1e   # CTA_TIMEOUT 30
            08 00 0c 00 12 34 56 78   # CTA_ID
            06 00 12 00 00 02 00 00   # CTA_ZONE 2
            """)

        @Test("a dumped entry parses into both tuples, its zone and its id")
        func parseEntry() throws {
            let messages = try M.split(Self.dumped)
            #expect(messages.count == 1)
            let flow = try #require(messages.first.flatMap(M.flow))
            #expect(messages.first?.sequence == 5)
            #expect(
                flow.description
                    == "udp src=10.244.1.7 dst=10.96.0.10 sport=40000 dport=53"
                    + " src=10.244.2.5 dst=10.244.1.7 sport=53 dport=40000 zone=2")
            #expect(flow.id == 0x1234_5678)
            #expect(flow.isDNATed)
        }

        @Test("entries of another family or without a reply tuple are skipped, not guessed")
        func parseSkips() throws {
            var ipv6 = Self.dumped
            ipv6[16] = 10  // nfgen_family AF_INET6
            #expect(try M.split(ipv6).first.flatMap(M.flow) == nil)
            // The same entry cut after CTA_TUPLE_ORIG (nlmsg_len 72).
            var onlyOriginal = Array(Self.dumped.prefix(72))
            onlyOriginal[0] = 72
            #expect(try M.split(onlyOriginal).first.flatMap(M.flow) == nil)
        }

        @Test("a datagram splits into aligned messages, and a length past its end is an error")
        func split() throws {
            let done = bytes("14 00 00 00 03 00 02 00 05 00 00 00 00 00 00 00 00 00 00 00")  // NLMSG_DONE, status 0
            let messages = try M.split(Self.dumped + done)
            #expect(messages.map(\.type) == [0x100, M.typeDone])
            #expect(messages.last?.doneStatus == 0)
            var broken = done
            broken[0] = 0x40
            let error = #expect(throws: KernelError.self) { try M.split(broken) }
            #expect(error?.errno == EBADMSG)
            #expect(error?.description.contains("length 64 in a 20-byte datagram") == true)
        }

        @Test("an ack, a plain error and an extended-ack error read back errno and the kernel's text")
        func acks() throws {
            func error(_ errno: Int32, flags: UInt16, tail: [UInt8] = []) throws -> M.Ack {
                var w = M.Writer()
                w.host(UInt32(16 + 20 + tail.count))
                w.host(M.typeError)
                w.host(flags)
                w.host(UInt32(3))
                w.host(UInt32(0))
                w.host(-errno)  // struct nlmsgerr.error
                w.host(UInt32(80))  // the echoed request header: nlmsg_len 80 ...
                w.bytes += [0x02, 0x01, 0x05, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0]
                w.bytes += tail
                return try M.ack(try #require(try M.split(w.bytes).first))
            }
            #expect(try error(0, flags: 0x100) == M.Ack(errno: 0, text: nil))
            #expect(try error(ENOENT, flags: 0x100) == M.Ack(errno: ENOENT, text: nil))
            // NLM_F_CAPPED | NLM_F_ACK_TLVS, then NLMSGERR_ATTR_MSG "missing tuple\0".
            let tlv = bytes("12 00 01 00") + Array("missing tuple".utf8) + [0, 0, 0]
            #expect(try error(EINVAL, flags: 0x300, tail: tlv) == M.Ack(errno: EINVAL, text: "missing tuple"))
        }
    }

    // MARK: - Real flows (root)

    /// Flows in a pinned `pltest-<pid>-ct-node` namespace: lo up with 10.96.0.10/32, a test nft table that
    /// DNATs UDP 10.96.0.10:53 to 127.0.0.1:5353 in the output hook (which also turns conntrack on there), and
    /// datagrams sent over loopback. The netns is removed, and its thread stopped, even when a check fails.
    @Suite(.enabled(if: getuid() == 0), .serialized)
    struct Kernel {
        let logger = Logger(label: "podlab.conntrack.test")

        static let serviceIP = ip("10.96.0.10")
        static let loopback = ip("127.0.0.1")

        static let nat = """
            table ip pltest-conntrack {
            \tchain output {
            \t\ttype nat hook output priority -100; policy accept;
            \t\tip daddr 10.96.0.10 udp dport 53 dnat to 127.0.0.1:5353
            \t}
            }
            """

        func withNode(_ tag: String, _ body: (NetworkManager, NetnsName) throws -> Void) throws {
            let prefix = "pltest-\(getpid())-\(tag)"
            let state = NSTemporaryDirectory() + "/\(prefix)-state.json"
            let manager = try NetworkManager(prefix: prefix, stateFile: state, logger: logger)
            defer {
                manager.shutdown()
                let report = NetworkManager.removeAll(prefix: prefix, stateFile: state, logger: logger)
                #expect(report.errors.isEmpty, "\(report.errors)")
                try? FileManager.default.removeItem(atPath: state)
            }
            let node = try NetnsName("\(prefix)-node")
            try NetnsPin.create(node)
            try manager.thread(node).perform { ctx in try ctx.netlink.setLink(.loopback, up: true) }
            try manager.setLoopbackAddresses([Self.serviceIP], in: node)
            try manager.applyNft(Self.nat, in: node)
            try body(manager, node)
        }

        /// A UDP socket made inside `netns` (it belongs there wherever it is used), bound to 127.0.0.1:`port`
        /// (0: any free port), with a 2 s receive timeout. Returns the fd and the bound port.
        static func udpSocket(in netns: NetnsName, _ manager: NetworkManager, port: UInt16 = 0) throws
            -> (fd: Int32, port: UInt16)
        {
            try manager.run(in: netns) {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                if fd < 0 { throw KernelError.fromErrno("socket(AF_INET, SOCK_DGRAM)", "test") }
                var timeout = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var addr = address(loopback, port)
                let bound = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                if bound != 0 {
                    let e = KernelError.fromErrno("bind", "127.0.0.1:\(port)")
                    close(fd)
                    throw e
                }
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
                return (fd, UInt16(bigEndian: addr.sin_port))
            }
        }

        static func address(_ ip: IPv4Address, _ port: UInt16) -> sockaddr_in {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = ip.value.bigEndian
            return a
        }

        static func send(_ fd: Int32, _ text: String, to ip: IPv4Address, _ port: UInt16) throws {
            var to = address(ip, port)
            let bytes = Array(text.utf8)
            let n = withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if n != bytes.count { throw KernelError.fromErrno("sendto", "\(ip):\(port)") }
        }

        /// The next datagram on `fd`, or nil after the socket's 2 s timeout.
        static func receive(_ fd: Int32) -> String? {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
        }

        static func tuple(_ src: IPv4Address, _ sport: UInt16, _ dst: IPv4Address, _ dport: UInt16) -> ConntrackTuple {
            ConntrackTuple(source: src, destination: dst, sourcePort: sport, destinationPort: dport)
        }

        @Test("UDP flows are listed with both tuples; stale ones are deleted, by id, and ENOENT is success")
        func listAndDelete() throws {
            try withNode("ct1") { manager, node in
                let server = try Self.udpSocket(in: node, manager, port: 5353)
                let dnated = try Self.udpSocket(in: node, manager)
                let blackHoled = try Self.udpSocket(in: node, manager)
                let direct = try Self.udpSocket(in: node, manager)
                defer { for s in [server, dnated, blackHoled, direct] { close(s.fd) } }

                // Through the DNAT rule; to a Service port with no rule (not DNATed); straight to the server.
                try Self.send(dnated.fd, "via service", to: Self.serviceIP, 53)
                try Self.send(blackHoled.fd, "no rule", to: Self.serviceIP, 54)
                try Self.send(direct.fd, "direct", to: Self.loopback, 5353)
                // Both datagrams for 5353 arrive: the DNAT really happened.
                let received = Set([Self.receive(server.fd), Self.receive(server.fd)].compactMap { $0 })
                #expect(received == ["via service", "direct"])

                let listed = try manager.udpConntrackFlows(in: node)
                #expect(listed.allSatisfy { $0.protocolNumber == ConntrackFlow.udp })
                func listedFlow(from port: UInt16) -> ConntrackFlow? {
                    listed.first { $0.original.source == Self.loopback && $0.original.sourcePort == port }
                }
                let a = try #require(listedFlow(from: dnated.port), "\(listed)")
                let b = try #require(listedFlow(from: blackHoled.port), "\(listed)")
                let c = try #require(listedFlow(from: direct.port), "\(listed)")
                #expect(a.original == Self.tuple(Self.loopback, dnated.port, Self.serviceIP, 53))
                #expect(a.reply == Self.tuple(Self.loopback, 5353, Self.loopback, dnated.port))
                #expect(a.isDNATed)
                #expect(b.original == Self.tuple(Self.loopback, blackHoled.port, Self.serviceIP, 54))
                #expect(b.reply == Self.tuple(Self.serviceIP, 54, Self.loopback, blackHoled.port))
                #expect(!b.isDNATed)
                #expect(c.reply == Self.tuple(Self.loopback, 5353, Self.loopback, direct.port))
                #expect([a, b, c].allSatisfy { $0.zone == 0 && $0.id != nil })

                // The model's decision: a Service 10.96.0.10 with ports 53 and 54 whose endpoint is 127.0.0.2.
                // Flow a went to 127.0.0.1 (no longer an endpoint), flow b was never DNATed, c is no Service's.
                let service = Service(
                    metadata: ObjectMeta(name: "dns", namespace: "kube-system"),
                    spec: {
                        var spec = ServiceSpec(
                            ports: [
                                ServicePort(name: "dns", protocol: "UDP", port: 53),
                                ServicePort(name: "alt", protocol: "UDP", port: 54),
                            ], selector: ["app": "dns"])
                        spec.clusterIP = "10.96.0.10"
                        return spec
                    }())
                func slice(_ endpoint: String) -> EndpointSlice {
                    EndpointSlice(
                        metadata: ObjectMeta(
                            name: "dns-1", namespace: "kube-system", labels: ["kubernetes.io/service-name": "dns"]),
                        addressType: "IPv4", endpoints: [EndpointSlice.Endpoint(addresses: [endpoint])],
                        ports: [
                            EndpointSlice.Port(name: "dns", protocol: "UDP", port: 5353),
                            EndpointSlice.Port(name: "alt", protocol: "UDP", port: 54),
                        ])
                }
                let config = KubeProxyConfig(nodeName: "node", nodeIPs: [ConntrackPrivilegedTests.ip("172.18.0.3")])
                let stillServing = ConntrackCleanup(
                    services: [service], endpointSlices: [slice("127.0.0.1")], node: config)
                #expect(stillServing.staleFlows([a, c]).isEmpty)
                let moved = ConntrackCleanup(services: [service], endpointSlices: [slice("127.0.0.2")], node: config)
                #expect(moved.staleFlows([a, b, c]) == [a, b])

                let deleted = try manager.deleteStaleConntrackFlows(moved, in: node)
                #expect(Set(deleted.map(\.original)) == [a.original, b.original])
                let after = try manager.udpConntrackFlows(in: node).map(\.original)
                #expect(!after.contains(a.original) && !after.contains(b.original))
                #expect(after.contains(c.original))

                // Gone already: ENOENT counts as done, nothing is deleted, nothing is thrown.
                #expect(try manager.deleteConntrackFlows([a, b], in: node) == 0)
                #expect(try manager.deleteStaleConntrackFlows(moved, in: node).isEmpty)

                // The id guards the delete: a wrong id leaves the entry alone, the right one deletes it.
                var wrongID = c
                wrongID.id = (c.id ?? 0) &+ 1
                #expect(try manager.deleteConntrackFlows([wrongID], in: node) == 0)
                #expect(try manager.udpConntrackFlows(in: node).contains { $0.original == c.original })
                #expect(try manager.deleteConntrackFlows([c], in: node) == 1)
                #expect(try !manager.udpConntrackFlows(in: node).contains { $0.original == c.original })

                // The next datagram through the DNAT rule makes a new entry for the same tuple. (Its id is usually
                // new too, but the kernel derives ids from the entry's address, which slab reuse can repeat, so
                // the old id is not asserted to miss it.)
                try Self.send(dnated.fd, "again", to: Self.serviceIP, 53)
                #expect(Self.receive(server.fd) == "again")
                let again = try #require(try manager.udpConntrackFlows(in: node).first { $0.original == a.original })
                #expect(again.reply == a.reply)
                #expect(try manager.deleteConntrackFlows([again], in: node) == 1)
                #expect(try manager.udpConntrackFlows(in: node).isEmpty)
            }
        }

        @Test("a refused request names the call, the entry and the errno; a missing netns fails before any socket")
        func errors() throws {
            try withNode("ct2") { manager, node in
                // An empty CTA_TUPLE_ORIG: the kernel cannot parse a tuple and answers EINVAL. (A delete with no
                // tuple attribute at all would flush the table, which is why deleteRequest always sends one.)
                let ack = try manager.thread(node).perform { ctx in
                    let socket = try ConntrackSocket(netns: ctx.netns.rawValue)
                    var w = CTNetlinkMessage.Writer()
                    w.nested(CTNetlinkMessage.ctaTupleOrig) { _ in }
                    let request = CTNetlinkMessage.message(
                        op: CTNetlinkMessage.opDelete, flags: CTNetlinkMessage.flagRequest | CTNetlinkMessage.flagAck,
                        sequence: socket.nextSequence(), attributes: w.bytes)
                    return try socket.acknowledged(request, call: "IPCTNL_MSG_CT_DELETE", subject: "test")
                }
                #expect(ack.errno == EINVAL)

                let missing = try NetnsName("pltest-\(getpid())-ct2-missing")
                let error = #expect(throws: KernelError.self) { try manager.udpConntrackFlows(in: missing) }
                #expect(error?.description.hasPrefix("open on /run/netns/\(missing.rawValue): ") == true)
                #expect(error?.errno == ENOENT)
            }
        }
    }
}
