import Foundation

extension TablePrinter {
    // MARK: Services

    static let serviceColumns: [TableColumn] = [
        .name,
        .string("Type", SwaggerDoc.serviceSpecType),
        .string("Cluster-IP", SwaggerDoc.serviceSpecClusterIP),
        .string("External-IP", SwaggerDoc.serviceSpecExternalIPs),
        .string("Port(s)", SwaggerDoc.serviceSpecPorts),
        .age,
        .string("Selector", SwaggerDoc.serviceSpecSelector, priority: 1),
    ]

    /// printService.
    static func serviceCells(_ service: JSONValue, now: Date) -> [JSONValue] {
        let spec = service["spec"]
        // The internal type keeps only clusterIPs; conversion from v1 fills it from clusterIP.
        var clusterIP = spec["clusterIPs"][0].string ?? string(spec["clusterIP"])
        if clusterIP.isEmpty { clusterIP = "<none>" }
        var ports = servicePorts(spec["ports"])
        if ports.isEmpty { ports = "<none>" }
        return [
            name(service), .string(string(spec["type"])), .string(clusterIP), .string(serviceExternalIP(service)),
            .string(ports), age(service, now: now), .string(SelectorText.labels(spec["selector"])),
        ]
    }

    /// getServiceExternalIP (wide, so load-balancer addresses are never clipped).
    static func serviceExternalIP(_ service: JSONValue) -> String {
        let spec = service["spec"]
        let externalIPs = (spec["externalIPs"].array ?? []).compactMap(\.string)
        switch spec["type"].string {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            let lb = loadBalancerAddresses(service.at("status.loadBalancer"))
            if !externalIPs.isEmpty {
                let results = (lb.isEmpty ? [] : lb.split(separator: ",").map(String.init)) + externalIPs
                return results.joined(separator: ",")
            }
            return lb.isEmpty ? "<pending>" : lb
        case "ExternalName":
            return string(spec["externalName"])
        default:
            return "<unknown>"
        }
    }

    /// loadBalancerStatusStringer: the distinct ingress IPs (or hostnames when no IP), sorted, comma-joined.
    static func loadBalancerAddresses(_ status: JSONValue) -> String {
        var set = Set<String>()
        for ingress in status["ingress"].array ?? [] {
            if let ip = ingress["ip"].string, !ip.isEmpty {
                set.insert(ip)
            } else if let host = ingress["hostname"].string, !host.isEmpty {
                set.insert(host)
            }
        }
        return set.sorted().joined(separator: ",")
    }

    /// makePortString: `port/proto`, or `port:nodePort/proto`, comma-joined.
    static func servicePorts(_ ports: JSONValue) -> String {
        (ports.array ?? []).map { port in
            let number = int(port["port"])
            let proto = string(port["protocol"])
            let nodePort = int(port["nodePort"])
            return nodePort > 0 ? "\(number):\(nodePort)/\(proto)" : "\(number)/\(proto)"
        }.joined(separator: ",")
    }

    // MARK: Endpoints

    static let endpointsColumns: [TableColumn] = [
        .name, .string("Endpoints", SwaggerDoc.endpointsSubsets), .age,
    ]

    /// printEndpoints.
    static func endpointsCells(_ endpoints: JSONValue, now: Date) -> [JSONValue] {
        [name(endpoints), .string(formatEndpoints(endpoints)), age(endpoints, now: now)]
    }

    /// formatEndpoints with every port: ready addresses as `ip:port`, at most 3, then ` + N more...`.
    static func formatEndpoints(_ endpoints: JSONValue) -> String {
        let subsets = endpoints["subsets"].array ?? []
        if subsets.isEmpty { return "<none>" }
        let max = 3
        var list: [String] = []
        var more = false
        var count = 0
        for subset in subsets {
            let addresses = (subset["addresses"].array ?? []).map { string($0["ip"]) }
            let ports = subset["ports"].array ?? []
            if ports.isEmpty {
                // Headless services may have no ports: list the bare addresses.
                count += addresses.count
                for ip in addresses {
                    if list.count == max {
                        more = true
                        break
                    }
                    list.append(ip)
                }
                continue
            }
            for port in ports {
                count += addresses.count
                for ip in addresses {
                    if list.count == max {
                        more = true
                        break
                    }
                    list.append(joinHostPort(ip, int(port["port"])))
                }
            }
        }
        let text = list.joined(separator: ",")
        return more ? "\(text) + \(count - max) more..." : text
    }

    /// net.JoinHostPort: IPv6 addresses go in brackets.
    static func joinHostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    // MARK: EndpointSlices

    static let endpointSliceColumns: [TableColumn] = [
        .name,
        .string("AddressType", SwaggerDoc.endpointSliceAddressType),
        .string("Ports", SwaggerDoc.endpointSlicePorts),
        .string("Endpoints", SwaggerDoc.endpointSliceEndpoints),
        .age,
    ]

    /// printEndpointSlice.
    static func endpointSliceCells(_ slice: JSONValue, now: Date) -> [JSONValue] {
        let max = 3
        var ports: [String] = []
        var portsMore = false
        var portCount = 0
        for port in slice["ports"].array ?? [] {
            if ports.count < max {
                // A port with no number means "all ports"; a named one without a number shows its name.
                ports.append(port["port"].int.map(String.init) ?? port["name"].string ?? "*")
            } else if ports.count == max {
                portsMore = true
            }
            portCount += 1
        }
        var addresses: [String] = []
        var addressesMore = false
        var addressCount = 0
        for endpoint in slice["endpoints"].array ?? [] {
            for address in endpoint["addresses"].array ?? [] {
                if addresses.count < max {
                    addresses.append(string(address))
                } else if addresses.count == max {
                    addressesMore = true
                }
                addressCount += 1
            }
        }
        return [
            name(slice), .string(string(slice["addressType"])),
            .string(listWithMore(ports, more: portsMore, count: portCount, max: max)),
            .string(listWithMore(addresses, more: addressesMore, count: addressCount, max: max)),
            age(slice, now: now),
        ]
    }

    // MARK: Ingresses

    static let ingressColumns: [TableColumn] = [
        .name,
        .string("Class", "The name of the IngressClass resource that should be used for additional configuration"),
        .string("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
        .string("Address", "Address is a list containing ingress points for the load-balancer"),
        .string("Ports", "Ports of TLS configurations that open"),
        .age,
    ]

    /// printIngress (wide, so the address is never clipped).
    static func ingressCells(_ ingress: JSONValue, now: Date) -> [JSONValue] {
        let spec = ingress["spec"]
        let className = spec["ingressClassName"].string ?? "<none>"
        let ports = (spec["tls"].array ?? []).isEmpty ? "80" : "80, 443"
        return [
            name(ingress), .string(className), .string(formatHosts(spec["rules"])),
            .string(loadBalancerAddresses(ingress.at("status.loadBalancer"))), .string(ports), age(ingress, now: now),
        ]
    }

    /// formatHosts: rule hosts, at most 3; `*` when no rule names a host. Like upstream, the "more"
    /// count is over all rules, hostless ones included.
    static func formatHosts(_ rules: JSONValue) -> String {
        let all = rules.array ?? []
        let max = 3
        var list: [String] = []
        var more = false
        for rule in all {
            if list.count == max { more = true }
            if !more, let host = rule["host"].string, !host.isEmpty { list.append(host) }
        }
        if list.isEmpty { return "*" }
        let text = list.joined(separator: ",")
        return more ? "\(text) + \(all.count - max) more..." : text
    }

    // MARK: IngressClasses

    static let ingressClassColumns: [TableColumn] = [
        .name,
        .string("Controller", "Controller that is responsible for handling this class"),
        .string("Parameters", "A reference to a resource with additional parameters"),
        .age,
    ]

    /// printIngressClass: PARAMETERS is `Kind[.apiGroup]/name`.
    static func ingressClassCells(_ ingressClass: JSONValue, now: Date) -> [JSONValue] {
        let spec = ingressClass["spec"]
        var parameters = "<none>"
        let ref = spec["parameters"]
        if case .object = ref {
            parameters = string(ref["kind"])
            if let group = ref["apiGroup"].string { parameters += "." + group }
            parameters += "/" + string(ref["name"])
        }
        return [name(ingressClass), .string(string(spec["controller"])), .string(parameters), age(ingressClass, now: now)]
    }

    // MARK: NetworkPolicies

    static let networkPolicyColumns: [TableColumn] = [
        .name, .string("Pod-Selector", SwaggerDoc.networkPolicySpecPodSelector), .age,
    ]

    /// printNetworkPolicy: the pod selector as a label-selector string, `<none>` when it selects all pods.
    static func networkPolicyCells(_ policy: JSONValue, now: Date) -> [JSONValue] {
        let selector = policy.at("spec.podSelector")
        // The Go field is a struct, never nil: an absent selector is the empty one.
        let text = SelectorText.formatLabelSelector(selector.isNull ? .object([:]) : selector)
        return [name(policy), .string(text), age(policy, now: now)]
    }
}
