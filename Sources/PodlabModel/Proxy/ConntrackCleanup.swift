/// Which UDP conntrack entries on one node are stale after Services or endpoints changed, as kube-proxy's conntrack
/// reconciler decides it (upstream `pkg/proxy/conntrack/cleanup.go`, `CleanStaleEntries`, 1.32 and later). Pure:
/// PodlabNet lists the node's flows and deletes the ones this returns.
///
/// Why UDP needs this: conntrack decides a flow's NAT once, on its first packet. A UDP client that keeps sending
/// from the same socket (DNS resolvers, statsd) refreshes its entry with every datagram, so it goes on being
/// DNATed to a pod that is gone, or, if it started while the Service had no endpoints, goes on not being DNATed at
/// all, long after the rules changed. TCP flows end with their connection and are left alone, as upstream does.
///
/// The decision: a UDP flow whose original destination is a Service frontend (ClusterIP, external IP or
/// LoadBalancer IP with the Service port, or a NodePort of this node) is stale when its reply source, the address
/// and port the kernel actually sends to, is not one of that Service port's *serving* endpoints. This covers:
/// - a flow DNATed to an endpoint that was removed, or stopped serving, or whose port changed;
/// - a flow that was never DNATed (its reply source is the frontend itself) because it began before the Service
///   had endpoints or before its rules were written: it must go, so the next datagram is DNATed.
/// Traffic policies, topology and the terminating state are ignored, as upstream ignores them: a change to the
/// Service must not cut flows that still reach a serving pod.
///
/// Where podlab differs from upstream, and why:
/// - A NodePort frontend is the NodePort on this node's addresses (`KubeProxyConfig.nodeIPs`, plus 127.0.0.0/8
///   when `localhostNodePorts` is on), not the port on any address. Upstream's `*:NodePort` filter also catches
///   flows that merely pass through the node to another host's port of the same number (a pod calling another
///   node's NodePort, or some unrelated server), which were never DNATed here, and deletes them on every sync.
///   With no node IPs configured (NodePorts on every local address), podlab falls back to upstream's any-address
///   match, leaving out 127.0.0.0/8 when localhost NodePorts are off.
/// - When two Service ports claim the same frontend (the same external IP and port), a flow is kept if it goes
///   to a serving endpoint of either; upstream keeps whichever its map iteration wrote last.
/// - Flows are matched one by one and returned whole, so the caller deletes exactly them by their original
///   tuple; upstream turns each into a filter (original destination + reply source) that the kernel dump is
///   matched against again.
/// - A Service port with no serving endpoints is not skipped: every flow to it is stale. This follows upstream
///   since kubernetes/kubernetes#139629; 1.32 to that fix skipped such ports, so flows DNATed to the last, now
///   deleted, pod lived on as long as clients kept sending.
public struct ConntrackCleanup: Sendable, Hashable {
    /// The serving endpoints of each Service IP and port.
    private var byAddress: [AddressPort: Set<AddressPort>] = [:]
    /// The serving endpoints behind each UDP NodePort.
    private var byNodePort: [UInt16: Set<AddressPort>] = [:]
    /// The destinations a NodePort answers on; nil means any address (no node IPs configured).
    private var nodePortAddresses: Set<IPv4Address>?
    /// Whether 127.0.0.0/8 destinations reach NodePorts (`KubeProxyConfig.localhostNodePorts`).
    private var localhostNodePorts: Bool

    /// The UDP Service frontends of `config.nodeName` and their serving endpoints, from the same Services and
    /// EndpointSlices `KubeProxyRules.desired` is given. Headless and ExternalName Services, non-UDP ports and
    /// IPv6 addresses have no entries, so their flows are never stale.
    public init(services: [Service], endpointSlices: [EndpointSlice], node config: KubeProxyConfig) {
        nodePortAddresses = config.nodeIPs.isEmpty ? nil : Set(config.nodeIPs)
        localhostNodePorts = config.localhostNodePorts
        let slicesByService = KubeProxyRules.slicesByService(endpointSlices)
        for service in services {
            let ports = ProxyServicePort.ports(of: service).filter { $0.name.protocol == .udp }
            guard let first = ports.first else { continue }
            let key = "\(first.name.namespace)/\(first.name.name)"
            let endpoints = ProxyEndpoint.byServicePort(
                namespace: first.name.namespace, service: first.name.name, slices: slicesByService[key] ?? [],
                nodeName: config.nodeName)
            for port in ports { add(port, endpoints: endpoints[port.name] ?? []) }
        }
    }

    /// The same from objects as the store holds them; objects that do not decode are skipped, as in
    /// `KubeProxyRules.desired(services:endpointSlices:node:)`.
    public init(services: [JSONValue], endpointSlices: [JSONValue], node config: KubeProxyConfig) {
        self.init(
            services: services.compactMap { try? $0.decode(as: Service.self) },
            endpointSlices: endpointSlices.compactMap { try? $0.decode(as: EndpointSlice.self) }, node: config)
    }

    private mutating func add(_ svc: ProxyServicePort, endpoints: [ProxyEndpoint]) {
        // Serving, not ready: a terminating pod that still serves keeps its flows until it is gone, as upstream
        // keeps them (and as TCP connections to it would survive).
        let serving = Set(
            endpoints.filter(\.isServing).compactMap { ep in UInt16(exactly: ep.port).map { AddressPort(ep.ip, $0) } })
        guard let port = UInt16(exactly: svc.port) else { return }
        for ip in [svc.clusterIP] + svc.externalIPs + svc.loadBalancerIPs {
            byAddress[AddressPort(ip, port), default: []].formUnion(serving)
        }
        if let nodePort = UInt16(exactly: svc.nodePort), nodePort != 0 {
            byNodePort[nodePort, default: []].formUnion(serving)
        }
    }

    /// Whether `flow` must be deleted: UDP, sent to one of this node's Service frontends, and answered from
    /// something that is not a serving endpoint of that Service port (including the frontend itself, when the
    /// flow was never DNATed).
    public func isStale(_ flow: ConntrackFlow) -> Bool {
        guard flow.protocolNumber == ConntrackFlow.udp else { return false }
        let answeredBy = AddressPort(flow.reply.source, flow.reply.sourcePort)
        let frontend = AddressPort(flow.original.destination, flow.original.destinationPort)
        if let serving = byAddress[frontend], !serving.contains(answeredBy) { return true }
        if isNodePortDestination(flow.original.destination), let serving = byNodePort[frontend.port],
            !serving.contains(answeredBy)
        {
            return true
        }
        return false
    }

    /// The stale flows among `flows`, in their order: what `NetworkManager.deleteConntrackFlows` should be given.
    public func staleFlows(_ flows: [ConntrackFlow]) -> [ConntrackFlow] { flows.filter(isStale) }

    /// How many Service IP:port frontends and NodePorts are known (for logs: "0" means nothing can be stale).
    public var frontendCount: Int { byAddress.count + byNodePort.count }

    private func isNodePortDestination(_ address: IPv4Address) -> Bool {
        if address.value >> 24 == 127 { return localhostNodePorts }
        return nodePortAddresses?.contains(address) ?? true
    }

    /// An IPv4 address and a port: a Service frontend or an endpoint as a flow's reply source shows it.
    private struct AddressPort: Sendable, Hashable {
        var address: IPv4Address
        var port: UInt16
        init(_ address: IPv4Address, _ port: UInt16) {
            self.address = address
            self.port = port
        }
    }
}

// MARK: - Flows

/// One direction of a conntrack entry: addresses and ports as the kernel's tuple holds them (IPv4 only).
public struct ConntrackTuple: Sendable, Hashable, CustomStringConvertible {
    public var source: IPv4Address
    public var destination: IPv4Address
    /// The source port, or 0 for protocols without ports.
    public var sourcePort: UInt16
    /// The destination port, or 0 for protocols without ports.
    public var destinationPort: UInt16

    public init(source: IPv4Address, destination: IPv4Address, sourcePort: UInt16, destinationPort: UInt16) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// `src=10.244.1.3 dst=10.96.0.10 sport=40000 dport=53`, as `conntrack -L` prints a tuple.
    public var description: String {
        "src=\(source) dst=\(destination) sport=\(sourcePort) dport=\(destinationPort)"
    }
}

/// A conntrack entry as far as Service cleanup needs it: the protocol, both tuples, and what identifies the
/// entry to the kernel when it is deleted (the original tuple, its zone and its id).
///
/// The reply tuple tells what NAT did: a DNATed flow's reply comes from the endpoint (`reply.source` differs from
/// `original.destination`), and a masqueraded one's goes back to the node (`reply.destination` differs from
/// `original.source`).
public struct ConntrackFlow: Sendable, Hashable, CustomStringConvertible {
    /// The IP protocol number (`IPPROTO_UDP` 17, `IPPROTO_TCP` 6).
    public var protocolNumber: UInt8
    /// The tuple of the first packet, as the client sent it (before DNAT).
    public var original: ConntrackTuple
    /// The tuple replies are expected with (after NAT, reversed).
    public var reply: ConntrackTuple
    /// The conntrack zone (CTA_ZONE); 0 is the default zone everything uses unless a rule sets `ct zone`.
    public var zone: UInt16
    /// The kernel's id of the entry (CTA_ID), when it was listed from the kernel. A delete that carries it removes
    /// only this entry, not a newer one that reuses the tuple (the kernel answers ENOENT instead).
    public var id: UInt32?

    public init(
        protocolNumber: UInt8, original: ConntrackTuple, reply: ConntrackTuple, zone: UInt16 = 0, id: UInt32? = nil
    ) {
        self.protocolNumber = protocolNumber
        self.original = original
        self.reply = reply
        self.zone = zone
        self.id = id
    }

    /// IANA protocol numbers.
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17

    /// Whether the destination was rewritten (DNAT): the reply does not come from where the client sent to.
    public var isDNATed: Bool {
        reply.source != original.destination || reply.sourcePort != original.destinationPort
    }

    /// `udp src=10.244.1.3 dst=10.96.0.10 sport=40000 dport=53 src=10.244.2.5 dst=10.244.1.3 sport=53
    /// dport=40000`, the two tuples in `conntrack -L` order.
    public var description: String {
        let name =
            switch protocolNumber {
            case Self.udp: "udp"
            case Self.tcp: "tcp"
            default: "proto \(protocolNumber)"
            }
        return "\(name) \(original) \(reply)" + (zone != 0 ? " zone=\(zone)" : "")
    }
}
