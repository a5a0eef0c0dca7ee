import PodlabModel

extension SnapshotBuilder {
    /// One ready address of a Service's endpoints, with the name CoreDNS gives it and its slice's ports.
    struct ReadyEndpoint {
        var address: IPAddress
        /// The endpoint's `hostname`, else its dashed address.
        var label: String
        var ports: [EndpointPort]
    }

    /// A port of an EndpointSlice or a Service. `number` is nil for CoreDNS's "no port" sentinel: a slice without
    /// ports (a headless Service without ports) still makes A records, but no SRV.
    struct EndpointPort {
        var name: String
        /// Lower case: `tcp`, `udp`, `sctp`.
        var proto: String
        var number: UInt16?

        func matches(name: String, proto: String) -> Bool {
            self.name.lowercased() == name && self.proto == proto
        }
    }

    /// One (target, port, address) an SRV question matched, before weights are set and duplicates merged.
    struct SRVEntry {
        var target: DNSName
        var port: UInt16?
        var address: IPAddress
    }

    // MARK: - Services

    mutating func addServices(_ services: [Service], slicesByService: [String: [EndpointSlice]]) {
        // A cluster IP's PTR names its Service; an endpoint address that is also a cluster IP gets no endpoint PTR,
        // as CoreDNS looks at Services first and stops there (plugin/kubernetes/reverse.go).
        var clusterAddresses: Set<IPAddress> = []
        for service in services where service.spec?.type != "ExternalName" {
            clusterAddresses.formUnion(Self.clusterIPs(of: service))
        }
        for service in services {
            guard let serviceName = service.metadata.name else { continue }
            let namespace = service.metadata.namespace ?? "default"
            guard let owner = name(serviceName, namespace, "svc") else { continue }
            if service.spec?.type == "ExternalName" {
                addExternalName(service, at: owner)
                continue
            }
            let endpoints = Self.readyEndpoints(
                of: service, slices: slicesByService["\(namespace)/\(serviceName)"] ?? [])
            if Self.isHeadless(service) {
                addHeadless(endpoints, at: owner, service: serviceName, namespace: namespace)
            } else {
                addClusterIP(service, at: owner, service: serviceName, namespace: namespace)
            }
            addEndpointNames(endpoints, service: serviceName, namespace: namespace, clusterAddresses: clusterAddresses)
        }
    }

    /// ExternalName: a CNAME to `spec.externalName`. CoreDNS makes none when the value is an IP address (it only
    /// aliases names), and neither does podlab; nor for a value that is not a valid name.
    mutating func addExternalName(_ service: Service, at owner: DNSName) {
        guard let external = service.spec?.externalName, !external.isEmpty, IPAddress(external) == nil,
            let target = DNSName(external), target.labelCount > 0
        else { return }
        setCNAME(target, at: owner)
    }

    /// A Service with cluster IPs: A/AAAA, SRV for all ports at its name and per named port, PTR per address.
    mutating func addClusterIP(_ service: Service, at owner: DNSName, service serviceName: String, namespace: String) {
        let addresses = Self.clusterIPs(of: service)
        guard !addresses.isEmpty else { return }  // not allocated yet: the name does not exist
        for address in addresses {
            add(address.rdata, at: owner, to: .address(address))
            let reverse = address.reverseName
            // Two Services cannot share a cluster IP; if they seem to (a stale object), the first in order wins.
            if nodes[reverse.key]?.ptr.isEmpty ?? true {
                add(.ptr(owner), at: reverse, to: .ptr, zone: address.reverseZone)
            }
        }
        let ports = (service.spec?.ports ?? []).map { port in
            EndpointPort(
                name: port.name ?? "", proto: (port.protocol ?? "TCP").lowercased(),
                number: port.port.flatMap { (1...65535).contains($0) ? UInt16($0) : nil })
        }
        // CoreDNS answers SRV at the Service's own name with every port, named or not.
        addSRV(
            ports.flatMap { port in addresses.map { SRVEntry(target: owner, port: port.number, address: $0) } },
            at: owner)
        for (portName, proto) in Self.namedPorts(ports) {
            guard let portOwner = name("_" + portName, "_" + proto, serviceName, namespace, "svc") else { continue }
            let matching = ports.filter { $0.matches(name: portName, proto: proto) }
            addSRV(
                matching.flatMap { port in addresses.map { SRVEntry(target: owner, port: port.number, address: $0) } },
                at: portOwner)
            // CoreDNS also answers A/AAAA at the SRV name with the Service's addresses (it looks the name up as a
            // Service filtered by port, whatever the type asked).
            for address in addresses { add(address.rdata, at: portOwner, to: .address(address)) }
        }
    }

    /// A headless Service: its name lists the ready endpoints' addresses, and exists only while one is ready.
    mutating func addHeadless(_ endpoints: [ReadyEndpoint], at owner: DNSName, service: String, namespace: String) {
        guard !endpoints.isEmpty else { return }  // Kubernetes DNS spec 2.4.1: NXDOMAIN without ready endpoints
        var entries: [SRVEntry] = []
        for endpoint in endpoints {
            add(endpoint.address.rdata, at: owner, to: .address(endpoint.address))
            guard let target = name(endpoint.label, service, namespace, "svc") else { continue }
            for port in endpoint.ports {
                entries.append(SRVEntry(target: target, port: port.number, address: endpoint.address))
            }
        }
        addSRV(entries, at: owner)
        for (portName, proto) in Self.namedPorts(endpoints.flatMap(\.ports)) {
            guard let portOwner = name("_" + portName, "_" + proto, service, namespace, "svc") else { continue }
            var matching: [SRVEntry] = []
            for endpoint in endpoints {
                guard let target = name(endpoint.label, service, namespace, "svc") else { continue }
                for port in endpoint.ports where port.matches(name: portName, proto: proto) {
                    matching.append(SRVEntry(target: target, port: port.number, address: endpoint.address))
                }
            }
            addSRV(matching, at: portOwner)
            for entry in matching { add(entry.address.rdata, at: portOwner, to: .address(entry.address)) }
        }
    }

    /// `<hostname>.<svc>.<ns>.svc.<zone>` for each ready endpoint (several endpoints may share a hostname), with
    /// SRV per port, and the PTR of each address unless a cluster IP already owns it.
    mutating func addEndpointNames(
        _ endpoints: [ReadyEndpoint], service: String, namespace: String, clusterAddresses: Set<IPAddress>
    ) {
        var order: [String] = []
        var groups: [String: [ReadyEndpoint]] = [:]
        for endpoint in endpoints {
            let key = endpoint.label.lowercased()
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(endpoint)
        }
        for key in order {
            guard let group = groups[key], let owner = name(key, service, namespace, "svc") else { continue }
            var entries: [SRVEntry] = []
            for endpoint in group {
                add(endpoint.address.rdata, at: owner, to: .address(endpoint.address))
                for port in endpoint.ports {
                    entries.append(SRVEntry(target: owner, port: port.number, address: endpoint.address))
                }
                if !clusterAddresses.contains(endpoint.address) {
                    add(.ptr(owner), at: endpoint.address.reverseName, to: .ptr, zone: endpoint.address.reverseZone)
                }
            }
            addSRV(entries, at: owner)
        }
    }

    /// SRV records at `owner` for `entries`, with the targets' addresses as glue. Priority 0; weight ⌊100/n⌋ with
    /// n the number of entries, the "no port" ones included (CoreDNS's plugin.SRV computes it this way, then drops
    /// those); records with the same target and port, and glue with the same target and address, are merged.
    mutating func addSRV(_ entries: [SRVEntry], at owner: DNSName) {
        guard !entries.isEmpty else { return }
        let weight = UInt16(max(1, 100 / entries.count))
        for entry in entries {
            guard let port = entry.port else { continue }
            add(.srv(priority: 0, weight: weight, port: port, target: entry.target), at: owner, to: .srv)
            add(DNSRecord(name: entry.target, ttl: ttl, data: entry.address.rdata), to: .srvAdditional, of: owner)
        }
    }

    // MARK: - Pods

    /// `.verified` pod names: `<dashed-ip>.<ns>.pod.<zone>` for each address of each pod in an existing namespace.
    mutating func addPods(_ pods: [Pod], namespaces: Set<String>) {
        for pod in pods {
            let namespace = pod.metadata.namespace ?? "default"
            guard namespaces.contains(namespace) else { continue }
            var texts = pod.status?.podIPs?.compactMap(\.ip) ?? []
            if texts.isEmpty, let ip = pod.status?.podIP { texts = [ip] }
            for text in texts {
                guard let address = IPAddress(text), let owner = name(IPAddress.dashedLabel(text), namespace, "pod")
                else { continue }
                add(address.rdata, at: owner, to: .address(address))
            }
        }
    }

    // MARK: - Reading the objects

    /// Headless as CoreDNS decides it: the first cluster IP is `None`.
    static func isHeadless(_ service: Service) -> Bool {
        (service.spec?.clusterIPs?.first ?? service.spec?.clusterIP) == "None"
    }

    /// The ready addresses of a Service's EndpointSlices, slices in name order and endpoints in slice order.
    static func readyEndpoints(of service: Service, slices: [EndpointSlice]) -> [ReadyEndpoint] {
        let publishAll =
            service.spec?.publishNotReadyAddresses == true
            || service.metadata.annotations?[DNSRecordsBuilder.tolerateUnreadyAnnotation] == "true"
        var out: [ReadyEndpoint] = []
        for slice in slices.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            guard slice.addressType != "FQDN" else { continue }  // deprecated, and CoreDNS ignores it too
            var ports = (slice.ports ?? []).map { port in
                EndpointPort(
                    name: port.name ?? "", proto: (port.protocol ?? "TCP").lowercased(),
                    number: port.port.flatMap { (1...65535).contains($0) ? UInt16($0) : nil })
            }
            if ports.isEmpty { ports = [EndpointPort(name: "", proto: "", number: nil)] }
            for endpoint in slice.endpoints ?? [] {
                guard publishAll || endpoint.conditions?.ready ?? true else { continue }
                for text in endpoint.addresses ?? [] {
                    guard let address = IPAddress(text) else { continue }
                    let hostname = endpoint.hostname.flatMap { Self.isLabel($0) ? $0 : nil }
                    out.append(
                        ReadyEndpoint(address: address, label: hostname ?? IPAddress.dashedLabel(text), ports: ports))
                }
            }
        }
        return out
    }

    /// The distinct (name, protocol) pairs of the named ports, lower case, in first-seen order. Unnamed ports
    /// have no `_<port>._<proto>` name (Kubernetes DNS spec 2.3.2).
    static func namedPorts(_ ports: [EndpointPort]) -> [(String, String)] {
        var seen: Set<String> = []
        var out: [(String, String)] = []
        for port in ports where !port.name.isEmpty && !port.proto.isEmpty {
            let name = port.name.lowercased()
            if seen.insert(name + "/" + port.proto).inserted { out.append((name, port.proto)) }
        }
        return out
    }

    static func isLabel(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= DNSLimits.maxLabelLength && !text.contains(".")
    }
}
