import CNetlink
import PodlabModel

#if canImport(Glibc)
    import Glibc
#endif

/// What `links()` reports about one interface.
public struct LinkSnapshot: Sendable, Hashable, CustomStringConvertible {
    public var index: Int32
    public var name: String
    /// The rtnl link kind (`veth`, `bridge`) or nil for devices without one (lo).
    public var kind: String?
    /// The ifindex of the bridge this link is a port of, or 0.
    public var masterIndex: Int32
    /// Administratively up (IFF_UP).
    public var isUp: Bool

    public var description: String {
        "\(index): \(name)" + (kind.map { " \($0)" } ?? "") + (masterIndex != 0 ? " master \(masterIndex)" : "")
            + (isUp ? " UP" : "")
    }
}

/// One rtnetlink socket (libnl `nl_sock`). It acts on the netns it was opened in, whatever thread uses
/// it later, so it is opened on a `NetnsThread` right after setns.
///
/// Not Sendable: used only by the thread that opened it.
final class NetlinkSocket {
    let sock: OpaquePointer
    /// The namespace this socket was opened in, for error messages.
    let netns: String

    /// Opens and connects a NETLINK_ROUTE socket in the calling thread's current netns.
    init(netns: String) throws {
        guard let s = nl_socket_alloc() else {
            throw KernelError(call: "nl_socket_alloc", subject: "netns \(netns)", errno: ENOMEM)
        }
        let rc = nl_connect(s, NETLINK_ROUTE)
        if rc < 0 {
            nl_socket_free(s)
            throw NetlinkSocket.error(rc, "nl_connect(NETLINK_ROUTE)", "netns \(netns)")
        }
        sock = s
        self.netns = netns
    }

    deinit { nl_socket_free(sock) }  // closes the fd too

    static func error(_ rc: Int32, _ call: String, _ subject: String) -> KernelError {
        let code = rc < 0 ? -rc : rc
        let text = String(cString: nl_geterror(rc))
        // libnl folds the kernel's errno into NLE_* codes; map back the ones callers test for.
        let mapped: Int32? =
            switch code {
            case NLE_EXIST: EEXIST
            case NLE_OBJ_NOTFOUND: ENOENT
            case NLE_NODEV: ENODEV
            case NLE_PERM: EPERM
            case NLE_INVAL: EINVAL
            case NLE_BUSY: EBUSY
            case NLE_NOADDR: EADDRNOTAVAIL
            case NLE_RANGE: ERANGE
            case NLE_OPNOTSUPP: EOPNOTSUPP
            default: nil
            }
        return KernelError(call: call, subject: subject, errno: mapped, detail: text, netlinkCode: code)
    }

    private func subject(_ what: String) -> String { "\(what) in netns \(netns)" }

    // MARK: - Links

    /// The link called `name`, or nil when there is none. The caller must `rtnl_link_put` it.
    private func getLink(_ name: InterfaceName) throws -> OpaquePointer? {
        var link: OpaquePointer?
        let rc = rtnl_link_get_kernel(sock, 0, name.rawValue, &link)
        if rc < 0 {
            let e = NetlinkSocket.error(rc, "RTM_GETLINK", subject(name.rawValue))
            if e.isNotFound { return nil }
            throw e
        }
        return link
    }

    /// The ifindex of `name`, or nil when it does not exist.
    func index(of name: InterfaceName) throws -> Int32? {
        guard let link = try getLink(name) else { return nil }
        defer { rtnl_link_put(link) }
        return rtnl_link_get_ifindex(link)
    }

    /// The ifindex of `name`; throws ENODEV when it does not exist.
    func requireIndex(of name: InterfaceName, for call: String) throws -> Int32 {
        guard let i = try index(of: name) else {
            throw KernelError(call: call, subject: subject(name.rawValue), errno: ENODEV)
        }
        return i
    }

    /// Every link in this netns (RTM_GETLINK dump).
    func links() throws -> [LinkSnapshot] {
        var cache: OpaquePointer?
        let rc = rtnl_link_alloc_cache(sock, AF_UNSPEC, &cache)
        if rc < 0 { throw NetlinkSocket.error(rc, "RTM_GETLINK dump", "netns \(netns)") }
        defer { nl_cache_free(cache) }
        var result: [LinkSnapshot] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            let link = o
            result.append(
                LinkSnapshot(
                    index: rtnl_link_get_ifindex(link),
                    name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
                    kind: rtnl_link_get_type(link).map { String(cString: $0) },
                    masterIndex: rtnl_link_get_master(link),
                    isUp: rtnl_link_get_flags(link) & UInt32(IFF_UP) != 0))
            obj = nl_cache_get_next(o)
        }
        return result
    }

    /// Adds bridge `name`, with `address` as its MAC when given (then set on an existing bridge too, so the
    /// kernel keeps it instead of following its ports'). EEXIST is success when the existing link is a bridge.
    /// Idempotent.
    func ensureBridge(_ name: InterfaceName, address: MACAddress? = nil) throws {
        guard let link = rtnl_link_alloc() else {
            throw KernelError(call: "rtnl_link_alloc", subject: "", errno: ENOMEM)
        }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name.rawValue)
        _ = rtnl_link_set_type(link, "bridge")
        let lladdr = try address.map(Self.linkAddress)
        defer { if let lladdr { nl_addr_put(lladdr) } }
        if let lladdr { rtnl_link_set_addr(link, lladdr) }
        let rc = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        if rc < 0 {
            let e = NetlinkSocket.error(rc, "RTM_NEWLINK bridge", subject(name.rawValue))
            guard e.isAlreadyExists else { throw e }
            let kind = try links().first { $0.name == name.rawValue }?.kind
            guard kind == "bridge" else {
                throw KernelError(
                    call: "RTM_NEWLINK bridge", subject: subject(name.rawValue), errno: EEXIST,
                    detail: "a \(kind ?? "non-bridge") link has that name")
            }
            if let address { try setLinkAddress(name, address) }
        }
    }

    private static func linkAddress(_ mac: MACAddress) throws -> OpaquePointer {
        var bytes = mac.bytes
        guard let addr = bytes.withUnsafeMutableBytes({ nl_addr_build(AF_LLC, $0.baseAddress, $0.count) }) else {
            throw KernelError(call: "nl_addr_build", subject: mac.description, errno: ENOMEM)
        }
        return addr
    }

    /// Sets `name`'s MAC address (the kernel then counts it as set by the user).
    func setLinkAddress(_ name: InterfaceName, _ mac: MACAddress) throws {
        let lladdr = try Self.linkAddress(mac)
        defer { nl_addr_put(lladdr) }
        try changeLink(name, call: "RTM_NEWLINK change address", subject: "\(name.rawValue) to \(mac)") { change in
            rtnl_link_set_addr(change, lladdr)
        }
    }

    /// Adds a veth pair: `name` here and `peer` created directly inside the netns open at `peerNetnsFD`
    /// (the kernel checks the peer's name there, so `eth0` is fine even if this netns has one).
    /// Throws EEXIST when `name` exists; not idempotent on its own (callers check first).
    func addVeth(_ name: InterfaceName, peer: InterfaceName, peerNetnsFD: Int32, peerNetns: String) throws {
        guard let link = rtnl_link_veth_alloc() else {
            throw KernelError(call: "rtnl_link_veth_alloc", subject: "", errno: ENOMEM)
        }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name.rawValue)
        if let p = rtnl_link_veth_get_peer(link) {
            rtnl_link_set_name(p, peer.rawValue)
            rtnl_link_set_ns_fd(p, peerNetnsFD)
            rtnl_link_put(p)  // get_peer took a reference
        }
        let rc = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL)
        if rc < 0 {
            throw NetlinkSocket.error(
                rc, "RTM_NEWLINK veth", subject("\(name.rawValue) (peer \(peer.rawValue) in netns \(peerNetns))"))
        }
    }

    /// Changes `name`: sets it up and/or makes it a port of `master`. Idempotent.
    func setLink(_ name: InterfaceName, up: Bool = true, master: InterfaceName? = nil) throws {
        let call = "RTM_NEWLINK change"
        let masterIndex = try master.map { try requireIndex(of: $0, for: call) }
        try changeLink(name, call: call, subject: name.rawValue) { change in
            if up { rtnl_link_set_flags(change, UInt32(IFF_UP)) }
            if let masterIndex { rtnl_link_set_master(change, masterIndex) }
        }
    }

    /// Sends `name`'s current link with the changes `edit` makes to an empty one (RTM_NEWLINK).
    private func changeLink(_ name: InterfaceName, call: String, subject what: String, _ edit: (OpaquePointer) throws -> Void)
        throws
    {
        guard let orig = try getLink(name) else {
            throw KernelError(call: call, subject: subject(name.rawValue), errno: ENODEV)
        }
        defer { rtnl_link_put(orig) }
        guard let change = rtnl_link_alloc() else {
            throw KernelError(call: "rtnl_link_alloc", subject: "", errno: ENOMEM)
        }
        defer { rtnl_link_put(change) }
        try edit(change)
        let rc = rtnl_link_change(sock, orig, change, 0)
        if rc < 0 { throw NetlinkSocket.error(rc, call, subject(what)) }
    }

    /// Sets `isolated on` for bridge port `port` (IFLA_BRPORT_ISOLATED): isolated ports cannot talk to
    /// each other through the bridge, so every pod packet is routed by the node. Idempotent.
    ///
    /// libnl 3.7 has no RTNL_BRIDGE_ISOLATED, so the message is built by hand: RTM_SETLINK, family
    /// AF_BRIDGE, IFLA_PROTINFO with NLA_F_NESTED (without the flag, br_setlink reads a flat u8 as the
    /// port *state*), holding the u8 IFLA_BRPORT_ISOLATED.
    func setBridgePortIsolated(_ port: InterfaceName, _ isolated: Bool = true) throws {
        let call = "RTM_SETLINK AF_BRIDGE IFLA_BRPORT_ISOLATED"
        let index = try requireIndex(of: port, for: call)
        guard let msg = nlmsg_alloc_simple(Int32(RTM_SETLINK), 0) else {
            throw KernelError(call: "nlmsg_alloc_simple", subject: "", errno: ENOMEM)
        }
        defer { nlmsg_free(msg) }
        var ifi = ifinfomsg()
        ifi.ifi_family = UInt8(AF_BRIDGE)
        ifi.ifi_index = index
        var rc = nlmsg_append(msg, &ifi, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO))
        if rc >= 0 {
            if let nest = nla_nest_start(msg, Int32(IFLA_PROTINFO) | NLA_F_NESTED) {
                rc = nla_put_u8(msg, Int32(IFLA_BRPORT_ISOLATED), isolated ? 1 : 0)
                if rc >= 0 { rc = nla_nest_end(msg, nest) }
            } else {
                rc = -NLE_NOMEM
            }
        }
        if rc < 0 { throw NetlinkSocket.error(rc, call, subject(port.rawValue)) }
        // nl_send_auto completes the header (REQUEST|ACK); nl_wait_for_ack reads the kernel's answer.
        rc = nl_send_auto(sock, msg)
        if rc >= 0 { rc = nl_wait_for_ack(sock) }
        if rc < 0 { throw NetlinkSocket.error(rc, call, subject(port.rawValue)) }
    }

    /// Deletes link `name` (a veth takes its peer with it). "Already gone" is success.
    func deleteLink(_ name: InterfaceName) throws {
        guard let link = rtnl_link_alloc() else {
            throw KernelError(call: "rtnl_link_alloc", subject: "", errno: ENOMEM)
        }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name.rawValue)
        let rc = rtnl_link_delete(sock, link)
        if rc < 0 {
            let e = NetlinkSocket.error(rc, "RTM_DELLINK", subject(name.rawValue))
            if !e.isNotFound { throw e }
        }
    }

    // MARK: - Addresses and routes

    private func parse(_ text: String) throws -> OpaquePointer {
        var addr: OpaquePointer?
        let rc = nl_addr_parse(text, AF_INET, &addr)
        guard rc >= 0, let addr else { throw NetlinkSocket.error(rc, "nl_addr_parse", text) }
        return addr
    }

    /// Adds `address/prefixLength` on `device`. EEXIST (the same address already there) is success.
    func ensureAddress(_ address: IPv4Address, prefixLength: Int, on device: InterfaceName) throws {
        try changeAddress("RTM_NEWADDR", address, prefixLength, device, done: \.isAlreadyExists) {
            rtnl_addr_add(sock, $0, NLM_F_EXCL)
        }
    }

    /// Removes `address/prefixLength` from `device`. An address that is not there is success.
    func removeAddress(_ address: IPv4Address, prefixLength: Int, on device: InterfaceName) throws {
        try changeAddress("RTM_DELADDR", address, prefixLength, device, done: { $0.isNotFound || $0.isAddressNotAvailable }) {
            rtnl_addr_delete(sock, $0, 0)
        }
    }

    /// Builds the rtnl address object for `address/prefixLength` on `device` and sends it with `send`; an
    /// error for which `done` holds means the address is already as wanted.
    private func changeAddress(
        _ call: String, _ address: IPv4Address, _ prefixLength: Int, _ device: InterfaceName,
        done: (KernelError) -> Bool, _ send: (OpaquePointer) -> Int32
    ) throws {
        let what = subject("\(address)/\(prefixLength) on \(device.rawValue)")
        let index = try requireIndex(of: device, for: call)
        guard let addr = rtnl_addr_alloc() else {
            throw KernelError(call: "rtnl_addr_alloc", subject: "", errno: ENOMEM)
        }
        defer { rtnl_addr_put(addr) }
        let local = try parse("\(address)/\(prefixLength)")
        defer { nl_addr_put(local) }
        rtnl_addr_set_ifindex(addr, index)
        _ = rtnl_addr_set_local(addr, local)
        let rc = send(addr)
        if rc < 0 {
            let e = NetlinkSocket.error(rc, call, what)
            if !done(e) { throw e }
        }
    }

    /// The IPv4 addresses on `device`, as `a.b.c.d/n`.
    func addresses(on device: InterfaceName) throws -> [String] {
        guard let index = try index(of: device) else { return [] }
        var cache: OpaquePointer?
        let rc = rtnl_addr_alloc_cache(sock, &cache)
        if rc < 0 { throw NetlinkSocket.error(rc, "RTM_GETADDR dump", "netns \(netns)") }
        defer { nl_cache_free(cache) }
        var result: [String] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            let a = o
            if rtnl_addr_get_ifindex(a) == index, rtnl_addr_get_family(a) == AF_INET, let local = rtnl_addr_get_local(a)
            {
                var buf = [CChar](repeating: 0, count: 64)
                if let s = nl_addr2str(local, &buf, buf.count) { result.append(String(cString: s)) }
            }
            obj = nl_cache_get_next(o)
        }
        return result
    }

    /// Adds `route` in the main table. EEXIST (the same route already there) is success.
    func ensureRoute(_ route: RoutePlan) throws {
        let call = "RTM_NEWROUTE"
        let what = subject(route.description)
        let index = try requireIndex(of: route.device, for: call)
        guard let r = rtnl_route_alloc(), let nh = rtnl_route_nh_alloc() else {
            throw KernelError(call: "rtnl_route_alloc", subject: "", errno: ENOMEM)
        }
        defer { rtnl_route_put(r) }
        let dst = try parse(route.destination.description)
        defer { nl_addr_put(dst) }
        let gw = try parse(route.gateway.description)
        defer { nl_addr_put(gw) }
        rtnl_route_set_family(r, UInt8(AF_INET))
        rtnl_route_set_table(r, UInt32(RT_TABLE_MAIN.rawValue))
        rtnl_route_set_scope(r, UInt8(RT_SCOPE_UNIVERSE.rawValue))
        rtnl_route_set_protocol(r, UInt8(RTPROT_BOOT))
        _ = rtnl_route_set_type(r, UInt8(RTN_UNICAST))
        _ = rtnl_route_set_dst(r, dst)
        rtnl_route_nh_set_ifindex(nh, index)
        rtnl_route_nh_set_gateway(nh, gw)
        if route.onLink { rtnl_route_nh_set_flags(nh, UInt32(RTNH_F_ONLINK)) }
        rtnl_route_add_nexthop(r, nh)  // the route owns nh now
        let rc = rtnl_route_add(sock, r, NLM_F_EXCL)
        if rc < 0 {
            let e = NetlinkSocket.error(rc, call, what)
            if !e.isAlreadyExists { throw e }
        }
    }
}
