import CNetlink
import PodlabModel

#if canImport(Glibc)
    import Glibc
#endif

/// One ctnetlink socket (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_CTNETLINK) that lists and deletes conntrack
/// entries of the netns it was opened in, as `conntrack -L` / `conntrack -D` do, without the tool or
/// libnetfilter_conntrack. It speaks the wire format itself (`CTNetlinkMessage`), so the bytes are testable
/// without root.
///
/// A socket belongs to the netns of the thread that creates it, so it is opened on a `NetnsThread` inside
/// `perform`, used there and closed before the closure returns. Not Sendable: one thread uses it.
final class ConntrackSocket {
    private let fd: Int32
    /// The namespace this socket was opened in, for error messages.
    let netns: String
    private var sequence: UInt32 = 1
    /// Reused between receives; grown when the kernel sends a larger datagram.
    private var buffer = [UInt8](repeating: 0, count: 65536)

    /// How long one receive may wait for the kernel. ctnetlink answers at once; the bound only keeps a
    /// namespace thread from hanging forever if it does not.
    static let receiveTimeoutSeconds = 5

    /// Opens a NETLINK_NETFILTER socket in the calling thread's current netns, asking for extended acks (the
    /// kernel's own error text) and capped acks (errors do not echo the whole request back).
    init(netns: String) throws {
        let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_NETFILTER)
        if s < 0 { throw KernelError.fromErrno("socket(AF_NETLINK, NETLINK_NETFILTER)", "netns \(netns)") }
        fd = s
        self.netns = netns
        var one: Int32 = 1
        // Both are best effort (Linux 4.3 / 4.12): without them errors are still reported, only less precisely.
        _ = setsockopt(fd, Self.solNetlink, Self.netlinkCapAck, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, Self.solNetlink, Self.netlinkExtAck, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: Self.receiveTimeoutSeconds, tv_usec: 0)
        if setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            let e = KernelError.fromErrno("setsockopt(SO_RCVTIMEO)", "ctnetlink socket in netns \(netns)")
            close(s)
            throw e
        }
    }

    deinit { close(fd) }

    // <linux/socket.h> and <linux/netlink.h>; Glibc's module does not export these socket options.
    private static let solNetlink: Int32 = 270
    private static let netlinkCapAck: Int32 = 10
    private static let netlinkExtAck: Int32 = 11

    // MARK: - Requests

    /// Every IPv4 conntrack entry whose IP protocol is `protocolNumber` (IPCTNL_MSG_CT_GET dump). The kernel
    /// filters by family; the protocol is filtered here, which works on every kernel (in-kernel protocol
    /// filtering, CTA_FILTER, needs Linux 5.8).
    ///
    /// The table changes while it is dumped: an entry may be missed or seen twice (duplicates are dropped).
    /// That is harmless for cleanup, which deletes by exact tuple and id and runs again on the next sync.
    func flows(protocolNumber: UInt8) throws -> [ConntrackFlow] {
        let call = "IPCTNL_MSG_CT_GET dump"
        let subject = "IPv4 conntrack table in netns \(netns)"
        let seq = nextSequence()
        try send(CTNetlinkMessage.dumpRequest(sequence: seq), call: call, subject: subject)
        var flows: [ConntrackFlow] = []
        var seen = Set<ConntrackFlow>()
        while true {
            for message in try CTNetlinkMessage.split(try receive(call: call, subject: subject)) {
                guard message.sequence == seq else { continue }  // a late answer to an earlier request
                switch message.type {
                case CTNetlinkMessage.typeDone:
                    // NLMSG_DONE carries the dump's final status: negative errno if it stopped early.
                    if let status = message.doneStatus, status < 0 {
                        throw KernelError(call: call, subject: subject, errno: -status)
                    }
                    return flows
                case CTNetlinkMessage.typeError:
                    let ack = try CTNetlinkMessage.ack(message)
                    if ack.errno != 0 {
                        throw KernelError(call: call, subject: subject, errno: ack.errno, detail: ack.text)
                    }
                default:
                    guard let flow = CTNetlinkMessage.flow(message), flow.protocolNumber == protocolNumber,
                        seen.insert(flow).inserted
                    else { continue }
                    flows.append(flow)
                }
            }
        }
    }

    /// Deletes the entry `flow` names (IPCTNL_MSG_CT_DELETE with its original tuple, zone and, when listed from
    /// the kernel, id). Returns true when the kernel deleted it, false when it was already gone (ENOENT: it
    /// timed out, someone else deleted it, or a newer entry now holds the tuple and the id does not match).
    /// Throws `KernelError` for any other refusal.
    func delete(_ flow: ConntrackFlow) throws -> Bool {
        let call = "IPCTNL_MSG_CT_DELETE"
        let subject = "conntrack entry \(flow) in netns \(netns)"
        let seq = nextSequence()
        let ack = try acknowledged(CTNetlinkMessage.deleteRequest(flow, sequence: seq), call: call, subject: subject)
        if ack.errno == 0 { return true }
        if ack.errno == ENOENT { return false }
        throw KernelError(call: call, subject: subject, errno: ack.errno, detail: ack.text)
    }

    /// Sends `request` (which must ask for an ack, with the sequence number of `nextSequence()`) and returns the
    /// kernel's answer to it, success or error.
    func acknowledged(_ request: [UInt8], call: String, subject: String) throws -> CTNetlinkMessage.Ack {
        let seq = CTNetlinkMessage.hostU32(request[...], 8)
        try send(request, call: call, subject: subject)
        while true {
            for message in try CTNetlinkMessage.split(try receive(call: call, subject: subject))
            where message.sequence == seq && message.type == CTNetlinkMessage.typeError {
                return try CTNetlinkMessage.ack(message)
            }
        }
    }

    // MARK: - Socket I/O

    /// A fresh nlmsg_seq: answers are matched to requests by it, so a late answer to an abandoned request (after a
    /// receive timeout) is never taken for the current one.
    func nextSequence() -> UInt32 {
        defer { sequence &+= 1 }
        return sequence
    }

    private func send(_ bytes: [UInt8], call: String, subject: String) throws {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)  // nl_pid 0: the kernel
        while true {
            let n = bytes.withUnsafeBytes { buf in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
            if n >= 0 { return }
            let code = errno
            if code == EINTR { continue }
            throw KernelError(call: "\(call) (sendto)", subject: subject, errno: code)
        }
    }

    /// The next datagram from the kernel, whatever its size: its length is peeked first (MSG_PEEK|MSG_TRUNC
    /// returns the full length), so a large dump batch is never cut. Datagrams from other sockets are dropped.
    private func receive(call: String, subject: String) throws -> [UInt8] {
        while true {
            let peeked = buffer.withUnsafeMutableBytes {
                recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK | MSG_TRUNC))
            }
            if peeked < 0 {
                let code = errno
                if code == EINTR { continue }
                let detail =
                    code == EAGAIN || code == EWOULDBLOCK
                    ? "no answer from the kernel within \(Self.receiveTimeoutSeconds) s" : nil
                throw KernelError(call: "\(call) (recv)", subject: subject, errno: code, detail: detail)
            }
            if peeked > buffer.count { buffer = [UInt8](repeating: 0, count: peeked) }
            var from = sockaddr_nl()
            var fromLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
            let n = buffer.withUnsafeMutableBytes { buf in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, buf.baseAddress, buf.count, 0, $0, &fromLength)
                    }
                }
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw KernelError(call: "\(call) (recvfrom)", subject: subject, errno: code)
            }
            guard from.nl_pid == 0 else { continue }  // only the kernel answers requests
            return Array(buffer[0..<n])
        }
    }
}

// MARK: - Wire format

/// The ctnetlink messages podlab sends and reads, as bytes: a netlink header (host byte order), the
/// nfnetlink header `nfgenmsg`, then netlink attributes (TLVs padded to 4 bytes; addresses and ports inside
/// them in network byte order). Constants are from <linux/netlink.h>, <linux/netfilter/nfnetlink.h> and
/// <linux/netfilter/nfnetlink_conntrack.h>, written out because Swift cannot import the netfilter headers here.
enum CTNetlinkMessage {
    /// One netlink message of a datagram.
    struct Message {
        var type: UInt16
        var flags: UInt16
        var sequence: UInt32
        /// The bytes after the 16-byte netlink header.
        var payload: ArraySlice<UInt8>

        /// NLMSG_DONE's payload: the dump's final status (0, or a negative errno).
        var doneStatus: Int32? { payload.count >= 4 ? Int32(bitPattern: CTNetlinkMessage.hostU32(payload, 0)) : nil }
    }

    /// What an NLMSG_ERROR message says: 0 for an ack, else the errno, and the kernel's extended-ack text.
    struct Ack: Equatable {
        var errno: Int32
        var text: String?
    }

    // <linux/netlink.h>
    static let typeError: UInt16 = 2  // NLMSG_ERROR
    static let typeDone: UInt16 = 3  // NLMSG_DONE
    static let flagRequest: UInt16 = 0x1  // NLM_F_REQUEST
    static let flagAck: UInt16 = 0x4  // NLM_F_ACK
    static let flagDump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH
    static let flagCapped: UInt16 = 0x100  // NLM_F_CAPPED, on an error: the request was not echoed whole
    static let flagAckTLVs: UInt16 = 0x200  // NLM_F_ACK_TLVS, on an error: extended-ack attributes follow
    static let errorAttributeMessage: UInt16 = 1  // NLMSGERR_ATTR_MSG
    static let attributeTypeMask: UInt16 = 0x3FFF  // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
    static let attributeNested: UInt16 = 0x8000  // NLA_F_NESTED

    // <linux/netfilter/nfnetlink.h>: the message type is subsystem << 8 | operation.
    static let subsystemCTNetlink: UInt16 = 1  // NFNL_SUBSYS_CTNETLINK
    static let version: UInt8 = 0  // NFNETLINK_V0

    // <linux/netfilter/nfnetlink_conntrack.h>
    static let opGet: UInt16 = 1  // IPCTNL_MSG_CT_GET
    static let opDelete: UInt16 = 2  // IPCTNL_MSG_CT_DELETE
    static let ctaTupleOrig: UInt16 = 1
    static let ctaTupleReply: UInt16 = 2
    static let ctaID: UInt16 = 12
    static let ctaZone: UInt16 = 18
    static let ctaTupleIP: UInt16 = 1
    static let ctaTupleProto: UInt16 = 2
    static let ctaIPv4Src: UInt16 = 1
    static let ctaIPv4Dst: UInt16 = 2
    static let ctaIPv6Src: UInt16 = 3
    static let ctaIPv6Dst: UInt16 = 4
    static let ctaProtoNum: UInt16 = 1
    static let ctaProtoSrcPort: UInt16 = 2
    static let ctaProtoDstPort: UInt16 = 3

    static let familyIPv4 = UInt8(AF_INET)

    // MARK: Building

    /// IPCTNL_MSG_CT_GET with NLM_F_DUMP for family AF_INET: the kernel answers with one message per IPv4 entry
    /// (in several datagrams), then NLMSG_DONE.
    static func dumpRequest(sequence: UInt32) -> [UInt8] {
        message(op: opGet, flags: flagRequest | flagDump, sequence: sequence, attributes: [])
    }

    /// IPCTNL_MSG_CT_DELETE for `flow`, acked. It always carries CTA_TUPLE_ORIG: a delete with no tuple at all
    /// would flush the whole table. CTA_ZONE is sent when the zone is not the default, CTA_ID when known.
    static func deleteRequest(_ flow: ConntrackFlow, sequence: UInt32) -> [UInt8] {
        var attributes = Writer()
        attributes.nested(ctaTupleOrig) { tuple(&$0, flow.original, protocolNumber: flow.protocolNumber) }
        if flow.zone != 0 { attributes.attribute(ctaZone, bigEndian: flow.zone) }
        if let id = flow.id { attributes.attribute(ctaID, bigEndian: id) }
        return message(op: opDelete, flags: flagRequest | flagAck, sequence: sequence, attributes: attributes.bytes)
    }

    /// CTA_TUPLE_IP { CTA_IP_V4_SRC, CTA_IP_V4_DST } and CTA_TUPLE_PROTO { CTA_PROTO_NUM, ports }.
    private static func tuple(_ w: inout Writer, _ t: ConntrackTuple, protocolNumber: UInt8) {
        w.nested(ctaTupleIP) {
            $0.attribute(ctaIPv4Src, bigEndian: t.source.value)
            $0.attribute(ctaIPv4Dst, bigEndian: t.destination.value)
        }
        w.nested(ctaTupleProto) {
            $0.attribute(ctaProtoNum, [protocolNumber])
            $0.attribute(ctaProtoSrcPort, bigEndian: t.sourcePort)
            $0.attribute(ctaProtoDstPort, bigEndian: t.destinationPort)
        }
    }

    /// nlmsghdr + nfgenmsg { AF_INET, NFNETLINK_V0, res_id 0 } + `attributes`.
    static func message(op: UInt16, flags: UInt16, sequence: UInt32, attributes: [UInt8]) -> [UInt8] {
        var w = Writer()
        w.host(UInt32(16 + 4 + attributes.count))  // nlmsg_len
        w.host(subsystemCTNetlink << 8 | op)  // nlmsg_type
        w.host(flags)  // nlmsg_flags
        w.host(sequence)  // nlmsg_seq
        w.host(UInt32(0))  // nlmsg_pid: the kernel fills in ours
        w.bytes += [familyIPv4, version, 0, 0]  // nfgenmsg
        w.bytes += attributes
        return w.bytes
    }

    /// Appends netlink attributes: 2-byte length and type in host order, the value, padding to 4 bytes.
    struct Writer {
        var bytes: [UInt8] = []

        mutating func host<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value) { bytes += $0 }
        }

        mutating func attribute(_ type: UInt16, _ value: [UInt8]) {
            host(UInt16(4 + value.count))
            host(type)
            bytes += value
            pad()
        }

        mutating func attribute<T: FixedWidthInteger>(_ type: UInt16, bigEndian value: T) {
            attribute(type, withUnsafeBytes(of: value.bigEndian) { Array($0) })
        }

        /// A nested attribute (NLA_F_NESTED set, as libmnl's mnl_attr_nest_start does) holding what `body` writes.
        mutating func nested(_ type: UInt16, _ body: (inout Writer) -> Void) {
            var inner = Writer()
            body(&inner)
            host(UInt16(4 + inner.bytes.count))
            host(type | attributeNested)
            bytes += inner.bytes
        }

        private mutating func pad() {
            while bytes.count % 4 != 0 { bytes.append(0) }
        }
    }

    // MARK: Parsing

    /// Splits a datagram into its messages. Throws on a length that runs past the datagram (a truncated
    /// or corrupt answer), rather than guessing.
    static func split(_ datagram: [UInt8]) throws -> [Message] {
        var messages: [Message] = []
        var offset = 0
        while datagram.count - offset >= 16 {
            let length = Int(hostU32(datagram[...], offset))
            guard length >= 16, offset + length <= datagram.count else {
                throw KernelError(
                    call: "ctnetlink recv", subject: "netlink message at byte \(offset)", errno: EBADMSG,
                    detail: "length \(length) in a \(datagram.count)-byte datagram")
            }
            messages.append(
                Message(
                    type: hostU16(datagram[...], offset + 4), flags: hostU16(datagram[...], offset + 6),
                    sequence: hostU32(datagram[...], offset + 8),
                    payload: datagram[(offset + 16)..<(offset + length)]))
            offset += (length + 3) & ~3
        }
        return messages
    }

    /// The errno and extended-ack text of an NLMSG_ERROR message: struct nlmsgerr { int error; struct nlmsghdr
    /// msg; } followed by the rest of the request unless capped, then attributes when NLM_F_ACK_TLVS is set.
    static func ack(_ message: Message) throws -> Ack {
        let p = message.payload
        guard p.count >= 20 else {
            throw KernelError(
                call: "ctnetlink recv", subject: "NLMSG_ERROR", errno: EBADMSG, detail: "\(p.count)-byte payload")
        }
        let code = -Int32(bitPattern: hostU32(p, 0))
        var text: String?
        if message.flags & flagAckTLVs != 0 {
            // Capped: only the request's header was echoed. Otherwise its whole length was.
            let echoed = message.flags & flagCapped != 0 ? 16 : max(16, Int(hostU32(p, 4)))
            let start = p.startIndex + 4 + ((echoed + 3) & ~3)
            if start <= p.endIndex {
                for (type, value) in attributes(p[start...]) where type == errorAttributeMessage {
                    text = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
                }
            }
        }
        return Ack(errno: code, text: text)
    }

    /// The conntrack entry in a dump message, or nil when it is not an IPv4 entry with both tuples.
    static func flow(_ message: Message) -> ConntrackFlow? {
        guard message.type >> 8 == subsystemCTNetlink, message.payload.count >= 4,
            message.payload[message.payload.startIndex] == familyIPv4
        else { return nil }
        var original: (ConntrackTuple, UInt8)?
        var reply: (ConntrackTuple, UInt8)?
        var zone: UInt16 = 0
        var id: UInt32?
        for (type, value) in attributes(message.payload.dropFirst(4)) {
            switch type {
            case ctaTupleOrig: original = tuple(value)
            case ctaTupleReply: reply = tuple(value)
            case ctaZone where value.count >= 2: zone = bigU16(value, 0)
            case ctaID where value.count >= 4: id = bigU32(value, 0)
            default: break
            }
        }
        guard let (o, proto) = original, let (r, _) = reply else { return nil }
        return ConntrackFlow(protocolNumber: proto, original: o, reply: r, zone: zone, id: id)
    }

    /// A CTA_TUPLE_* value: IPv4 addresses and the protocol with its ports (0 for protocols without ports).
    private static func tuple(_ bytes: ArraySlice<UInt8>) -> (ConntrackTuple, UInt8)? {
        var source: IPv4Address?
        var destination: IPv4Address?
        var proto: UInt8?
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        for (type, value) in attributes(bytes) {
            switch type {
            case ctaTupleIP:
                for (ipType, address) in attributes(value) where address.count == 4 {
                    if ipType == ctaIPv4Src { source = IPv4Address(bigU32(address, 0)) }
                    if ipType == ctaIPv4Dst { destination = IPv4Address(bigU32(address, 0)) }
                }
            case ctaTupleProto:
                for (protoType, v) in attributes(value) {
                    switch protoType {
                    case ctaProtoNum where v.count >= 1: proto = v[v.startIndex]
                    case ctaProtoSrcPort where v.count >= 2: sourcePort = bigU16(v, 0)
                    case ctaProtoDstPort where v.count >= 2: destinationPort = bigU16(v, 0)
                    default: break
                    }
                }
            default: break
            }
        }
        guard let source, let destination, let proto else { return nil }
        return (
            ConntrackTuple(
                source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort),
            proto
        )
    }

    /// The attributes in `bytes` as (type without the nested/byte-order flags, value). Stops at a malformed
    /// length, as the kernel's nla_ok does.
    static func attributes(_ bytes: ArraySlice<UInt8>) -> [(UInt16, ArraySlice<UInt8>)] {
        var result: [(UInt16, ArraySlice<UInt8>)] = []
        var i = bytes.startIndex
        while bytes.endIndex - i >= 4 {
            let length = Int(hostU16(bytes, i - bytes.startIndex))
            guard length >= 4, i + length <= bytes.endIndex else { break }
            let type = hostU16(bytes, i - bytes.startIndex + 2) & attributeTypeMask
            result.append((type, bytes[(i + 4)..<(i + length)]))
            i += (length + 3) & ~3
        }
        return result
    }

    // Integer reads at an offset from the slice's start: host order for netlink's own fields, big-endian
    // (network order) for addresses, ports, ids and zones.
    static func hostU16(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt16 {
        b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) }
    }
    static func hostU32(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
        b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
    }
    static func bigU16(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt16 {
        let i = b.startIndex + at
        return UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }
    static func bigU32(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
        let i = b.startIndex + at
        return UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}
