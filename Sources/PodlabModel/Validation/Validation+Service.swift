// Services and Endpoints (pkg/apis/core/validation: ValidateService, ValidateServiceUpdate, ValidateEndpoints).

extension Validator {
    static let invalidIP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
    static let invalidCIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

    /// Whether `s` is an IP address; IPv6 text is accepted on shape alone (podlab's services are IPv4).
    static func isIP(_ s: String) -> Bool { IPv4Address(s) != nil || (s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }) }

    /// Whether `s` is a CIDR; IPv6 CIDRs are accepted on shape alone.
    static func isCIDR(_ s: String) -> Bool {
        if IPv4CIDR(s) != nil { return true }
        let parts = s.split(separator: "/")
        return parts.count == 2 && s.contains(":") && isIP(String(parts[0])) && Int(parts[1]).map { (0...128).contains($0) } == true
    }

    mutating func service(_ obj: JSONValue, old: JSONValue?) {
        let spec = obj["spec"]
        let type = spec["type"].string ?? ""
        let headless = spec["clusterIP"].string == "None"
        let ports = spec["ports"].array ?? []

        if type.isEmpty {
            add(.required, "spec.type")
        } else {
            oneOf(spec["type"], "spec.type", ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"])
        }
        if ports.isEmpty && !headless && type != "ExternalName" { add(.required, "spec.ports") }

        var names: Set<String> = []
        var seen: Set<String> = []
        var seenNodePorts: Set<String> = []
        for (i, p) in ports.enumerated() {
            let path = "spec.ports[\(i)]"
            let name = p["name"].string ?? ""
            if ports.count > 1 && name.isEmpty {
                add(.required, "\(path).name")
            } else if !name.isEmpty {
                each(NameRules.dns1123Label(name), "\(path).name", .string(name))
                if names.contains(name) { add(.duplicate, "\(path).name", .string(name)) }
                names.insert(name)
            }
            each(NameRules.portNumber(p["port"].int ?? 0), "\(path).port", .int(Int64(p["port"].int ?? 0)))
            oneOf(p["protocol"], "\(path).protocol", Validator.protocols)
            let tp = p["targetPort"]
            if let n = tp.int {
                each(NameRules.portNumber(n), "\(path).targetPort", tp)
            } else if let s = tp.string {
                each(NameRules.portName(s), "\(path).targetPort", tp)
            }
            let proto = p["protocol"].string ?? ""
            let port = p["port"].int ?? 0
            let key = "\(proto)/\(port)"
            if seen.contains(key) {
                // Upstream reports the (protocol, port) key as Go prints a core.ServicePort.
                var e = FieldError(.duplicate, path)
                e.badValue =
                    "core.ServicePort{Name:\"\", Protocol:\"\(proto)\", AppProtocol:(*string)(nil), Port:\(port), "
                    + "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"
                errors.append(e)
            }
            seen.insert(key)
            if let np = p["nodePort"].int, np != 0 {
                if type == "ClusterIP" {
                    add(.forbidden, "\(path).nodePort", nil, "may not be used when `type` is 'ClusterIP'")
                }
                let npKey = "\(proto)/\(np)"
                if seenNodePorts.contains(npKey) { add(.duplicate, "\(path).nodePort", p["nodePort"]) }
                seenNodePorts.insert(npKey)
            }
        }

        if type == "ExternalName" {
            if !(spec["clusterIPs"].array ?? []).isEmpty || !(spec["clusterIP"].string ?? "").isEmpty {
                add(.forbidden, "spec.clusterIPs", nil, "may not be set for ExternalName services")
            }
            if !(spec["ipFamilies"].array ?? []).isEmpty {
                add(.forbidden, "spec.ipFamilies", nil, "may not be set for ExternalName services")
            }
            if !spec["ipFamilyPolicy"].isNull {
                add(.forbidden, "spec.ipFamilyPolicy", nil, "may not be set for ExternalName services")
            }
            var cname = spec["externalName"].string ?? ""
            if cname.hasSuffix(".") { cname.removeLast() }
            if cname.isEmpty {
                add(.required, "spec.externalName")
            } else {
                each(NameRules.dns1123Subdomain(cname), "spec.externalName", .string(cname))
            }
        } else {
            clusterIPs(spec, type: type)
            oneOf(spec["internalTrafficPolicy"], "spec.internalTrafficPolicy", ["Cluster", "Local"])
        }

        oneOf(spec["sessionAffinity"], "spec.sessionAffinity", ["ClientIP", "None"])
        let affinityConfig = spec["sessionAffinityConfig"]
        if spec["sessionAffinity"].string == "ClientIP" {
            let timeout = affinityConfig.at("clientIP.timeoutSeconds")
            let field = "spec.sessionAffinityConfig.clientIP.timeoutSeconds"
            if timeout.isNull {
                add(.required, field, nil, "when session affinity type is ClientIP")
            } else if let t = timeout.int, t <= 0 || t > 86400 {
                add(.invalid, field, timeout, "must be greater than 0 and less than 86400")
            }
        } else if spec["sessionAffinity"].string == "None", !affinityConfig.isNull {
            add(.forbidden, "spec.sessionAffinityConfig", nil, "must not be set when session affinity is None")
        }

        let externallyAccessible =
            type == "NodePort" || type == "LoadBalancer" || (type == "ClusterIP" && !(spec["externalIPs"].array ?? []).isEmpty)
        if externallyAccessible {
            oneOf(spec["externalTrafficPolicy"], "spec.externalTrafficPolicy", ["Cluster", "Local"])
        } else if let etp = spec["externalTrafficPolicy"].string, !etp.isEmpty {
            add(.invalid, "spec.externalTrafficPolicy", .string(etp), "may only be set for externally-accessible services")
        }
        if let hc = spec["healthCheckNodePort"].int, hc != 0,
            !(type == "LoadBalancer" && spec["externalTrafficPolicy"].string == "Local")
        {
            add(
                .invalid, "spec.healthCheckNodePort", spec["healthCheckNodePort"],
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'")
        }
        for (i, ip) in (spec["externalIPs"].array ?? []).enumerated() where !Validator.isIP(ip.string ?? "") {
            add(.invalid, "spec.externalIPs[\(i)]", ip, Validator.invalidIP)
        }
        if type != "LoadBalancer" {
            if !(spec["loadBalancerSourceRanges"].array ?? []).isEmpty {
                add(.forbidden, "spec.loadBalancerSourceRanges", nil, "may only be used when `type` is 'LoadBalancer'")
            }
            if !spec["allocateLoadBalancerNodePorts"].isNull {
                add(.forbidden, "spec.allocateLoadBalancerNodePorts", nil, "may only be used when `type` is 'LoadBalancer'")
            }
        }
        for (i, r) in (spec["loadBalancerSourceRanges"].array ?? []).enumerated() where !Validator.isCIDR(r.string ?? "") {
            add(.invalid, "spec.loadBalancerSourceRanges[\(i)]", r, Validator.invalidCIDR)
        }
        labels(spec["selector"], "spec.selector")

        if let old { serviceUpdate(spec, old["spec"]) }
    }

    mutating func clusterIPs(_ spec: JSONValue, type: String) {
        let ips = (spec["clusterIPs"].array ?? []).compactMap(\.string)
        let ip = spec["clusterIP"].string ?? ""
        if !ip.isEmpty, let first = ips.first, first != ip {
            addGo("spec.clusterIPs", NameRules.goStrings(ips), "first value must match `clusterIP`")
        }
        for (i, v) in ips.enumerated() {
            let field = "spec.clusterIPs[\(i)]"
            if v == "None" {
                if i != 0 || ips.count > 1 {
                    add(.invalid, field, .string(v), "'None' must be the first and only value")
                } else if type == "NodePort" || type == "LoadBalancer" {
                    add(.invalid, field, .string(v), "may not be set to 'None' for \(type) services")
                }
            } else if !Validator.isIP(v) {
                add(.invalid, field, .string(v), Validator.invalidIP)
            }
        }
        if ips.isEmpty, ip == "None", type == "NodePort" || type == "LoadBalancer" {
            add(.invalid, "spec.clusterIPs[0]", "None", "may not be set to 'None' for \(type) services")
        }
        oneOf(spec["ipFamilyPolicy"], "spec.ipFamilyPolicy", ["SingleStack", "PreferDualStack", "RequireDualStack"], required: false)
        var families: Set<String> = []
        for (i, f) in (spec["ipFamilies"].array ?? []).enumerated() {
            oneOf(f, "spec.ipFamilies[\(i)]", ["IPv4", "IPv6"])
            if let s = f.string {
                if families.contains(s) { add(.duplicate, "spec.ipFamilies[\(i)]", f) }
                families.insert(s)
            }
        }
    }

    mutating func serviceUpdate(_ spec: JSONValue, _ oldSpec: JSONValue) {
        let newType = spec["type"].string ?? "ClusterIP"
        let oldType = oldSpec["type"].string ?? "ClusterIP"
        guard newType != "ExternalName", oldType != "ExternalName" else { return }
        let oldIPs = (oldSpec["clusterIPs"].array ?? []).compactMap(\.string)
        let newIPs = (spec["clusterIPs"].array ?? []).compactMap(\.string)
        if let o = oldIPs.first, !o.isEmpty, newIPs.first != o {
            addGo("spec.clusterIPs[0]", NameRules.goStrings(newIPs), "may not change once set")
        }
        let oldFamilies = oldSpec["ipFamilies"].array ?? []
        let newFamilies = spec["ipFamilies"].array ?? []
        if let o = oldFamilies.first, let n = newFamilies.first, o != n {
            add(.invalid, "spec.ipFamilies[0]", n, "may not change once set")
        }
    }

    mutating func endpoints(_ obj: JSONValue) {
        for (i, subset) in (obj["subsets"].array ?? []).enumerated() {
            let p = "subsets[\(i)]"
            for key in ["addresses", "notReadyAddresses"] {
                for (j, a) in (subset[key].array ?? []).enumerated() where !Validator.isIP(a["ip"].string ?? "") {
                    add(.invalid, "\(p).\(key)[\(j)].ip", a["ip"].isNull ? "" : a["ip"], Validator.invalidIP)
                }
            }
            let ports = subset["ports"].array ?? []
            for (j, port) in ports.enumerated() {
                let pp = "\(p).ports[\(j)]"
                if let n = port["name"].string, !n.isEmpty {
                    each(NameRules.dns1123Label(n), "\(pp).name", .string(n))
                } else if ports.count > 1 {
                    add(.required, "\(pp).name")
                }
                each(NameRules.portNumber(port["port"].int ?? 0), "\(pp).port", .int(Int64(port["port"].int ?? 0)))
                oneOf(port["protocol"], "\(pp).protocol", Validator.protocols)
            }
        }
    }
}
