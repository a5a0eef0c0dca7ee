/// Where Service cluster IPs and node ports come from.
public struct ServiceNetworkConfig: Sendable, Hashable {
    /// The Service CIDR (kube-apiserver's --service-cluster-ip-range).
    public var serviceCIDR: IPv4CIDR
    /// The node port range (kube-apiserver's --service-node-port-range).
    public var nodePortRange: ClosedRange<Int>

    /// 10.96.0.0/12 and 30000-32767, kubeadm's and kind's defaults.
    public init(
        serviceCIDR: IPv4CIDR = IPv4CIDR(clamping: IPv4Address(0x0A60_0000), prefixLength: 12),
        nodePortRange: ClosedRange<Int> = 30000...32767
    ) {
        self.serviceCIDR = serviceCIDR
        self.nodePortRange = nodePortRange
    }

    /// The `kubernetes` Service's address: the first host of the CIDR (10.96.0.1).
    public var kubernetesServiceIP: IPv4Address { IPv4Address(serviceCIDR.network.value + 1) }
    /// The `kube-dns` Service's address: the tenth host of the CIDR (10.96.0.10).
    public var dnsServiceIP: IPv4Address { IPv4Address(serviceCIDR.network.value + 10) }
}

/// Cluster IP and node port allocation for Services, as kube-apiserver's service registry does it. Pure.
public enum ServiceAllocation {
    /// Assigns `svc` its cluster IP and node ports, keeping those of `old` on update.
    ///
    /// `existing` is every stored Service (any namespace; `svc`'s own stored copy is recognised by namespace and
    /// name and ignored). Requested values are checked against the ranges and against what others hold; free values
    /// are picked at random from the upper part of each range (the lower part is left for explicit requests, as
    /// upstream's allocators do), never the `kubernetes` (.1) or `kube-dns` (.10) addresses.
    /// Returns the errors, worded as kube-apiserver's; `svc` is only meaningful when there are none.
    public static func allocate(
        _ svc: inout JSONValue, old: JSONValue?, existing: [JSONValue], config: ServiceNetworkConfig,
        using rng: inout some RandomNumberGenerator
    ) -> [FieldError] {
        var spec = svc["spec"]
        if spec.isNull { spec = [:] }
        let others = existing.filter { !sameObject($0, svc) }
        let oldSpec = old?["spec"] ?? .null
        if old != nil { patchFromOld(&spec, oldSpec) }

        var errors: [FieldError] = []
        allocateClusterIP(&spec, oldSpec: oldSpec, others: others, config: config, rng: &rng, errors: &errors)
        allocateNodePorts(&spec, oldSpec: oldSpec, others: others, config: config, rng: &rng, errors: &errors)
        svc["spec"] = spec
        return errors
    }

    // MARK: - Update: carry over what was allocated

    static func needsClusterIP(_ spec: JSONValue) -> Bool { (spec["type"].string ?? "ClusterIP") != "ExternalName" }

    static func needsNodePort(_ spec: JSONValue) -> Bool {
        let t = spec["type"].string ?? "ClusterIP"
        return t == "NodePort" || t == "LoadBalancer"
    }

    static func needsHealthCheck(_ spec: JSONValue) -> Bool {
        spec["type"].string == "LoadBalancer" && spec["externalTrafficPolicy"].string == "Local"
    }

    /// The registry's patchAllocatedValues and dropTypeDependentFields: a PUT or patch that leaves out allocated
    /// values keeps them; a type change drops the values the new type does not use.
    static func patchFromOld(_ spec: inout JSONValue, _ oldSpec: JSONValue) {
        if needsClusterIP(oldSpec) && needsClusterIP(spec) {
            if spec["clusterIP"].string?.isEmpty ?? true, !oldSpec["clusterIP"].isNull {
                spec["clusterIP"] = oldSpec["clusterIP"]
            }
            if (spec["clusterIPs"].array ?? []).isEmpty, !(oldSpec["clusterIPs"].array ?? []).isEmpty {
                spec["clusterIPs"] = oldSpec["clusterIPs"]
            }
            if !oldSpec["ipFamilyPolicy"].isNull, spec["ipFamilyPolicy"].isNull {
                spec["ipFamilyPolicy"] = oldSpec["ipFamilyPolicy"]
            }
        } else if needsClusterIP(oldSpec) && !needsClusterIP(spec) {
            // Becoming ExternalName: the IP goes back to the pool, unless the user set a different one (an error
            // validation reports).
            let same = spec["clusterIP"].isNull || spec["clusterIP"] == oldSpec["clusterIP"]
            if same {
                for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] { spec[key] = .null }
                spec = .object((spec.object ?? [:]).filter { !$0.value.isNull })
            }
        }

        let oldPorts = oldSpec["ports"].array ?? []
        let oldNodePorts = Set(oldPorts.compactMap { $0["nodePort"].int }.filter { $0 != 0 })
        if needsNodePort(oldSpec) && needsNodePort(spec) {
            // Matched by port name, as upstream does: other properties of the port may have changed.
            var byName: [String: Int] = [:]
            for p in oldPorts { if let np = p["nodePort"].int { byName[p["name"].string ?? ""] = np } }
            let newPorts = spec["ports"].array ?? []
            let usedByNew = Set(newPorts.compactMap { $0["nodePort"].int }).intersection(oldNodePorts)
            Defaulting.eachElement(&spec, "ports") { p in
                guard p["nodePort"].int ?? 0 == 0, let np = byName[p["name"].string ?? ""], !usedByNew.contains(np)
                else { return }
                p["nodePort"] = .int(Int64(np))
            }
        } else if needsNodePort(oldSpec) && !needsNodePort(spec) {
            Defaulting.eachElement(&spec, "ports") { p in
                if let np = p["nodePort"].int, oldNodePorts.contains(np) { p = removing(p, "nodePort") }
            }
        }
        if needsHealthCheck(oldSpec) && needsHealthCheck(spec) {
            if spec["healthCheckNodePort"].int ?? 0 == 0, !oldSpec["healthCheckNodePort"].isNull {
                spec["healthCheckNodePort"] = oldSpec["healthCheckNodePort"]
            }
        } else if needsHealthCheck(oldSpec) && !needsHealthCheck(spec),
            spec["healthCheckNodePort"] == oldSpec["healthCheckNodePort"]
        {
            spec = removing(spec, "healthCheckNodePort")
        }
    }

    static func removing(_ v: JSONValue, _ key: String) -> JSONValue {
        guard var o = v.object else { return v }
        o[key] = nil
        return .object(o)
    }

    static func sameObject(_ a: JSONValue, _ b: JSONValue) -> Bool {
        a.at("metadata.name") == b.at("metadata.name")
            && (a.at("metadata.namespace").string ?? "default") == (b.at("metadata.namespace").string ?? "default")
    }

    // MARK: - Cluster IP

    static func allocateClusterIP(
        _ spec: inout JSONValue, oldSpec: JSONValue, others: [JSONValue], config: ServiceNetworkConfig,
        rng: inout some RandomNumberGenerator, errors: inout [FieldError]
    ) {
        guard needsClusterIP(spec) else { return }
        // clusterIP and clusterIPs[0] are one value; whichever is set fills the other.
        var ips = (spec["clusterIPs"].array ?? []).compactMap(\.string)
        if ips.isEmpty, let ip = spec["clusterIP"].string, !ip.isEmpty { ips = [ip] }
        let requested = ips.first ?? ""

        if requested == "None" {
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
            return
        }
        let oldIPs = (oldSpec["clusterIPs"].array ?? []).compactMap(\.string)
        let oldIP = oldIPs.first ?? oldSpec["clusterIP"].string ?? ""
        var chosen: IPv4Address
        if !requested.isEmpty {
            guard let ip = IPv4Address(requested) else {
                errors.append(FieldError(.invalid, "spec.clusterIPs[0]", .string(requested), "must be a valid IP address"))
                return
            }
            chosen = ip
            if requested != oldIP {
                let range = config.serviceCIDR
                // Upstream's ipallocator keeps the network and broadcast addresses out of its range.
                let inRange =
                    range.contains(ip) && ip != range.network && UInt64(ip.value - range.network.value) != range.size - 1
                if !inRange {
                    errors.append(
                        allocationError(
                            ips,
                            "failed to allocate IP \(requested): the provided IP (\(requested)) is not in the valid "
                                + "range. The range of valid IPs is \(range)"))
                    return
                }
                if usedClusterIPs(others).contains(ip) {
                    errors.append(
                        allocationError(ips, "failed to allocate IP \(requested): provided IP is already allocated"))
                    return
                }
            }
        } else {
            guard let ip = randomFreeIP(used: usedClusterIPs(others), config: config, rng: &rng) else {
                errors.append(
                    FieldError(.invalid, "spec.clusterIPs", nil, "failed to allocate a serviceIP: range is full"))
                return
            }
            chosen = ip
        }
        var newIPs = ips
        if newIPs.isEmpty { newIPs = [chosen.description] } else { newIPs[0] = chosen.description }
        spec["clusterIP"] = .string(chosen.description)
        spec["clusterIPs"] = .array(newIPs.map { .string($0) })
        if (spec["ipFamilies"].array ?? []).isEmpty { spec["ipFamilies"] = ["IPv4"] }
    }

    /// An allocation failure on `spec.clusterIPs`, the value shown as Go prints a `[]string`.
    static func allocationError(_ ips: [String], _ detail: String) -> FieldError {
        var e = FieldError(.invalid, "spec.clusterIPs", nil, detail)
        e.badValue = "[]string{" + ips.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
        return e
    }

    /// Every cluster IP held by `services`.
    public static func usedClusterIPs(_ services: [JSONValue]) -> Set<IPv4Address> {
        var used: Set<IPv4Address> = []
        for s in services {
            for ip in s.at("spec.clusterIPs").array ?? [] { if let a = ip.string.flatMap(IPv4Address.init) { used.insert(a) } }
            if let a = s.at("spec.clusterIP").string.flatMap(IPv4Address.init) { used.insert(a) }
        }
        return used
    }

    /// A random free host address: first from the upper (dynamic) band, then anywhere; never .1 or .10.
    static func randomFreeIP(
        used: Set<IPv4Address>, config: ServiceNetworkConfig, rng: inout some RandomNumberGenerator
    ) -> IPv4Address? {
        let range = config.serviceCIDR
        guard range.size >= 4 else { return nil }
        let first: UInt64 = 1
        let last = range.size - 2
        // Upstream's static band: min(max(16, size/16), 256) addresses at the bottom, for explicit requests.
        let band = min(max(16, range.size / 16), 256)
        let reserved: Set<UInt64> = [1, 10]
        let isFree = { (o: UInt64) -> Bool in
            guard !reserved.contains(o), let a = range.address(at: o) else { return false }
            return !used.contains(a)
        }
        for (lo, hi) in [(min(band + 1, last), last), (first, last)] where lo <= hi {
            if let o = randomFree(in: lo...hi, isFree: isFree, rng: &rng) { return range.address(at: o) }
        }
        return nil
    }

    /// A random start, then a linear scan (wrapping) to the first free value in `range`.
    static func randomFree(
        in range: ClosedRange<UInt64>, isFree: (UInt64) -> Bool, rng: inout some RandomNumberGenerator
    ) -> UInt64? {
        let count = range.upperBound - range.lowerBound + 1
        let start = UInt64.random(in: 0..<count, using: &rng)
        for i in 0..<count {
            let o = range.lowerBound + (start + i) % count
            if isFree(o) { return o }
        }
        return nil
    }

    // MARK: - Node ports

    /// Every node port (and health check node port) held by `services`.
    public static func usedNodePorts(_ services: [JSONValue]) -> Set<Int> {
        var used: Set<Int> = []
        for s in services {
            for p in s.at("spec.ports").array ?? [] { if let np = p["nodePort"].int, np != 0 { used.insert(np) } }
            if let hc = s.at("spec.healthCheckNodePort").int, hc != 0 { used.insert(hc) }
        }
        return used
    }

    static func allocateNodePorts(
        _ spec: inout JSONValue, oldSpec: JSONValue, others: [JSONValue], config: ServiceNetworkConfig,
        rng: inout some RandomNumberGenerator, errors: inout [FieldError]
    ) {
        guard needsNodePort(spec) else { return }
        var used = usedNodePorts(others)
        // This service's own old ports may be kept or moved between its ports.
        let mine = Set(
            (oldSpec["ports"].array ?? []).compactMap { $0["nodePort"].int } + [oldSpec["healthCheckNodePort"].int ?? 0])
        let allocateNew = spec["type"].string == "NodePort" || spec["allocateLoadBalancerNodePorts"].bool != false
        var ports = spec["ports"].array ?? []

        func take(_ np: Int, field: String) -> Bool {
            if !config.nodePortRange.contains(np) {
                errors.append(
                    FieldError(
                        .invalid, field, .int(Int64(np)),
                        "provided port is not in the valid range. The range of valid ports is "
                            + "\(config.nodePortRange.lowerBound)-\(config.nodePortRange.upperBound)"))
                return false
            }
            if used.contains(np) && !mine.contains(np) {
                errors.append(FieldError(.invalid, field, .int(Int64(np)), "provided port is already allocated"))
                return false
            }
            used.insert(np)
            return true
        }

        // One node port per service port number: TCP and UDP on the same port share it (upstream's initNodePorts).
        var byPort: [Int: Int] = [:]
        for i in ports.indices {
            let requested = ports[i]["nodePort"].int ?? 0
            if requested == 0 && !allocateNew { continue }
            let port = ports[i]["port"].int ?? 0
            let field = "spec.ports[\(i)].nodePort"
            if let shared = byPort[port] {
                if requested == 0 {
                    ports[i]["nodePort"] = .int(Int64(shared))
                } else if requested != shared, !take(requested, field: field) {
                    return
                }
                continue
            }
            // A later port with the same number may carry the user's request.
            let wanted =
                requested != 0
                ? requested
                : ports[i...].first { $0["port"].int == port && ($0["nodePort"].int ?? 0) != 0 }?["nodePort"].int ?? 0
            if wanted != 0 {
                guard take(wanted, field: field) else { return }
                ports[i]["nodePort"] = .int(Int64(wanted))
                byPort[port] = wanted
            } else {
                guard let np = randomFreePort(used: used, config: config, rng: &rng) else {
                    errors.append(FieldError(.invalid, field, nil, "failed to allocate a nodePort: range is full"))
                    return
                }
                used.insert(np)
                ports[i]["nodePort"] = .int(Int64(np))
                byPort[port] = np
            }
        }
        spec["ports"] = .array(ports)

        if needsHealthCheck(spec) {
            let requested = spec["healthCheckNodePort"].int ?? 0
            if requested != 0 {
                _ = take(requested, field: "spec.healthCheckNodePort")
            } else if let np = randomFreePort(used: used, config: config, rng: &rng) {
                spec["healthCheckNodePort"] = .int(Int64(np))
            } else {
                errors.append(
                    FieldError(.invalid, "spec.healthCheckNodePort", nil, "failed to allocate a nodePort: range is full"))
            }
        }
    }

    /// A random free node port: first above upstream's static band (min(max(16, size/32), 128) ports), then anywhere.
    static func randomFreePort(
        used: Set<Int>, config: ServiceNetworkConfig, rng: inout some RandomNumberGenerator
    ) -> Int? {
        let lo = UInt64(config.nodePortRange.lowerBound)
        let hi = UInt64(config.nodePortRange.upperBound)
        let size = hi - lo + 1
        let band = min(max(16, size / 32), 128)
        let isFree = { (p: UInt64) -> Bool in !used.contains(Int(p)) }
        for (a, b) in [(min(lo + band, hi), hi), (lo, hi)] {
            if let p = randomFree(in: a...b, isFree: isFree, rng: &rng) { return Int(p) }
        }
        return nil
    }
}
