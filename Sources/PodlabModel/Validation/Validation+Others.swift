// ConfigMaps, Secrets, EndpointSlices, NetworkPolicies, Ingresses and RBAC objects.

extension Validator {
    // MARK: - ConfigMap and Secret

    /// Keys of `data`/`binaryData`: config keys, not in both maps; 1 MiB in total.
    mutating func keyedData(_ obj: JSONValue, _ maps: [String]) {
        var total = 0
        for m in maps {
            let other = maps.first { $0 != m }
            for (key, value) in (obj[m].object ?? [:]).sorted(by: { $0.key < $1.key }) {
                each(NameRules.configMapKey(key), "\(m)[\(key)]", .string(key))
                if let other, !obj[other][key].isNull {
                    add(.invalid, "\(m)[\(key)]", .string(key), "duplicate of key present in \(other)")
                }
                total += value.string?.utf8.count ?? 0
            }
        }
        // core.MaxSecretSize, also the ConfigMap limit.
        if total > 1024 * 1024 { add(.tooLong, "", nil, "must have at most 1048576 bytes") }
    }

    mutating func immutableData(_ obj: JSONValue, old: JSONValue?, _ maps: [String]) {
        guard let old, old["immutable"].bool == true else { return }
        if obj["immutable"].bool != true {
            add(.forbidden, "immutable", nil, "field is immutable when `immutable` is set")
        }
        for m in maps where Validator.dropNulls(obj[m]) != Validator.dropNulls(old[m]) {
            add(.forbidden, m, nil, "field is immutable when `immutable` is set")
        }
    }

    mutating func configMap(_ obj: JSONValue, old: JSONValue?) {
        keyedData(obj, ["data", "binaryData"])
        immutableData(obj, old: old, ["data", "binaryData"])
    }

    mutating func secret(_ obj: JSONValue, old: JSONValue?) {
        keyedData(obj, ["data"])
        let data = obj["data"].object ?? [:]
        switch obj["type"].string ?? "" {
        case "kubernetes.io/tls":
            for key in ["tls.crt", "tls.key"] where data[key] == nil { add(.required, "data[\(key)]") }
        case "kubernetes.io/dockerconfigjson":
            if data[".dockerconfigjson"] == nil { add(.required, "data[.dockerconfigjson]") }
        case "kubernetes.io/basic-auth":
            if data["username"] == nil && data["password"] == nil {
                add(.required, "data[username]", nil, "either `username` or `password` is required")
            }
        case "kubernetes.io/ssh-auth":
            if data["ssh-privatekey"] == nil { add(.required, "data[ssh-privatekey]") }
        default: break
        }
        if let old {
            immutable(obj["type"], old["type"], "type")
            immutableData(obj, old: old, ["data"])
        }
    }

    // MARK: - discovery/v1 EndpointSlice

    mutating func endpointSlice(_ obj: JSONValue, old: JSONValue?) {
        let addressType = obj["addressType"].string ?? ""
        oneOf(obj["addressType"], "addressType", ["IPv4", "IPv6", "FQDN"])
        for (i, ep) in (obj["endpoints"].array ?? []).enumerated() {
            let p = "endpoints[\(i)]"
            let addrs = ep["addresses"].array ?? []
            if addrs.isEmpty {
                add(.required, "\(p).addresses", nil, "must contain at least 1 address")
            } else if addrs.count > 100 {
                add(.tooMany, "\(p).addresses", nil, "must have at most 100 items")
            }
            for (j, a) in addrs.enumerated() {
                let s = a.string ?? ""
                let field = "\(p).addresses[\(j)]"
                switch addressType {
                case "IPv4": if IPv4Address(s) == nil { add(.invalid, field, a, "must be a valid IPv4 address") }
                case "IPv6": if !(s.contains(":") && Validator.isIP(s)) { add(.invalid, field, a, "must be a valid IPv6 address") }
                case "FQDN": each(NameRules.dns1123Subdomain(s), field, a)
                default: break
                }
            }
            if let h = ep["hostname"].string, !h.isEmpty { each(NameRules.dns1123Label(h), "\(p).hostname", .string(h)) }
            if let n = ep["nodeName"].string, !n.isEmpty { each(NameRules.dns1123Subdomain(n), "\(p).nodeName", .string(n)) }
        }
        var names: Set<String> = []
        for (i, port) in (obj["ports"].array ?? []).enumerated() {
            let p = "ports[\(i)]"
            let name = port["name"].string ?? ""
            if !name.isEmpty { each(NameRules.dns1123Label(name), "\(p).name", .string(name)) }
            if names.contains(name) { add(.duplicate, "\(p).name", .string(name)) }
            names.insert(name)
            oneOf(port["protocol"], "\(p).protocol", Validator.protocols)
            if let n = port["port"].int { each(NameRules.portNumber(n), "\(p).port", port["port"]) }
        }
        if let old { immutable(obj["addressType"], old["addressType"], "addressType") }
    }

    // MARK: - networking/v1

    mutating func networkPolicy(_ obj: JSONValue) {
        let spec = obj["spec"]
        labelSelector(spec["podSelector"], "spec.podSelector")
        for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
            for (i, rule) in (spec[dir].array ?? []).enumerated() {
                let rp = "spec.\(dir)[\(i)]"
                for (j, port) in (rule["ports"].array ?? []).enumerated() {
                    networkPolicyPort(port, "\(rp).ports[\(j)]")
                }
                for (j, peer) in (rule[peers].array ?? []).enumerated() {
                    networkPolicyPeer(peer, "\(rp).\(peers)[\(j)]")
                }
            }
        }
        let types = spec["policyTypes"].array ?? []
        for (i, t) in types.enumerated() { oneOf(t, "spec.policyTypes[\(i)]", ["Ingress", "Egress"]) }
        if types.count > 2 { add(.invalid, "spec.policyTypes", nil, "may not specify more than two policyTypes") }
    }

    mutating func networkPolicyPort(_ port: JSONValue, _ p: String) {
        oneOf(port["protocol"], "\(p).protocol", Validator.protocols)
        let value = port["port"]
        if let n = value.int {
            each(NameRules.portNumber(n), "\(p).port", value)
        } else if let s = value.string {
            each(NameRules.portName(s), "\(p).port", value)
        }
        guard let end = port["endPort"].int else { return }
        if value.isNull {
            add(.required, "\(p).port", nil, "must be specified when endPort is specified")
        } else if value.string != nil {
            add(.forbidden, "\(p).endPort", nil, "may not be specified when `port` is non-numeric")
        } else if let start = value.int, end < start {
            add(.invalid, "\(p).endPort", port["endPort"], "must be greater than or equal to `port`")
        } else {
            each(NameRules.portNumber(end), "\(p).endPort", port["endPort"])
        }
    }

    mutating func networkPolicyPeer(_ peer: JSONValue, _ p: String) {
        var count = 0
        if !peer["podSelector"].isNull {
            count += 1
            labelSelector(peer["podSelector"], "\(p).podSelector")
        }
        if !peer["namespaceSelector"].isNull {
            count += 1
            labelSelector(peer["namespaceSelector"], "\(p).namespaceSelector")
        }
        let block = peer["ipBlock"]
        if !block.isNull {
            count += 1
            let cidrText = block["cidr"].string ?? ""
            if cidrText.isEmpty {
                add(.required, "\(p).ipBlock.cidr")
            } else if !Validator.isCIDR(cidrText) {
                add(.invalid, "\(p).ipBlock.cidr", .string(cidrText), Validator.invalidCIDR)
            }
            let cidr = IPv4CIDR(cidrText)
            for (i, e) in (block["except"].array ?? []).enumerated() {
                let field = "\(p).ipBlock.except[\(i)]"
                let text = e.string ?? ""
                if !Validator.isCIDR(text) {
                    add(.invalid, field, e, Validator.invalidCIDR)
                } else if let cidr, let ex = IPv4CIDR(text), !(cidr.contains(ex) && ex.prefixLength > cidr.prefixLength) {
                    add(.invalid, field, e, "must be a strict subset of `cidr`")
                }
            }
        }
        if count == 0 {
            add(.required, p, nil, "must specify a peer")
        } else if count > 1 && !block.isNull {
            add(.forbidden, p, nil, "may not specify both ipBlock and another peer")
        }
    }

    mutating func ingress(_ obj: JSONValue) {
        let spec = obj["spec"]
        let rules = spec["rules"].array ?? []
        if rules.isEmpty && spec["defaultBackend"].isNull {
            addGo("spec", "[]networking.IngressRule(nil)", "either `defaultBackend` or `rules` must be specified")
        }
        if !spec["defaultBackend"].isNull { ingressBackend(spec["defaultBackend"], "spec.defaultBackend") }
        if let c = spec["ingressClassName"].string, !c.isEmpty {
            each(NameRules.dns1123Subdomain(c), "spec.ingressClassName", .string(c))
        }
        for (i, tls) in (spec["tls"].array ?? []).enumerated() {
            for (j, h) in (tls["hosts"].array ?? []).enumerated() {
                each(NameRules.wildcardOrSubdomain(h.string ?? ""), "spec.tls[\(i)].hosts[\(j)]", h)
            }
        }
        for (i, rule) in rules.enumerated() {
            let rp = "spec.rules[\(i)]"
            if let host = rule["host"].string, !host.isEmpty {
                if IPv4Address(host) != nil {
                    add(.invalid, "\(rp).host", .string(host), "must be a DNS name, not an IP address")
                } else {
                    each(NameRules.wildcardOrSubdomain(host), "\(rp).host", .string(host))
                }
            }
            guard !rule["http"].isNull else { continue }
            let paths = rule.at("http.paths").array ?? []
            if paths.isEmpty { add(.required, "\(rp).http.paths") }
            for (j, path) in paths.enumerated() { ingressPath(path, "\(rp).http.paths[\(j)]") }
        }
    }

    mutating func ingressPath(_ path: JSONValue, _ p: String) {
        let text = path["path"].string ?? ""
        guard let pathType = path["pathType"].string, !pathType.isEmpty else {
            add(.required, "\(p).pathType", nil, "pathType must be specified")
            return
        }
        switch pathType {
        case "Exact", "Prefix":
            if !text.hasPrefix("/") { add(.invalid, "\(p).path", .string(text), "must be an absolute path") }
            if !text.isEmpty {
                for seq in ["//", "/./", "/../", "%2f", "%2F"] where text.contains(seq) {
                    add(.invalid, "\(p).path", .string(text), "must not contain '\(seq)'")
                }
                for suffix in ["/..", "/."] where text.hasSuffix(suffix) {
                    add(.invalid, "\(p).path", .string(text), "cannot end with '\(suffix)'")
                }
            }
        case "ImplementationSpecific":
            if !text.isEmpty && !text.hasPrefix("/") {
                add(.invalid, "\(p).path", .string(text), "must be an absolute path")
            }
        default:
            add(.notSupported, "\(p).pathType", .string(pathType), "supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"")
        }
        ingressBackend(path["backend"], "\(p).backend")
    }

    mutating func ingressBackend(_ b: JSONValue, _ p: String) {
        let service = b["service"]
        switch (!service.isNull, !b["resource"].isNull) {
        case (true, true):
            add(.invalid, p, "", "cannot set both resource and service backends")
        case (false, true):
            if (b.at("resource.kind").string ?? "").isEmpty { add(.required, "\(p).resource.kind") }
            if (b.at("resource.name").string ?? "").isEmpty { add(.required, "\(p).resource.name") }
        case (true, false):
            let name = service["name"].string ?? ""
            if name.isEmpty {
                add(.required, "\(p).service.name")
            } else {
                each(NameRules.dns1035Label(name), "\(p).service.name", .string(name))
            }
            let portName = service.at("port.name").string ?? ""
            let portNumber = service.at("port.number").int ?? 0
            if !portName.isEmpty && portNumber != 0 {
                add(.invalid, p, "", "cannot set both port name & port number")
            } else if !portName.isEmpty {
                each(NameRules.portName(portName), "\(p).service.port.name", .string(portName))
            } else if portNumber != 0 {
                each(NameRules.portNumber(portNumber), "\(p).service.port.number", .int(Int64(portNumber)))
            } else {
                add(.required, p, nil, "port name or number is required")
            }
        case (false, false):
            add(.invalid, p, "", "resource or service backend is required")
        }
    }

    mutating func ingressClass(_ obj: JSONValue, old: JSONValue?) {
        let controller = obj.at("spec.controller")
        if (controller.string ?? "").isEmpty { add(.required, "spec.controller") }
        if let old { immutable(controller, old.at("spec.controller"), "spec.controller") }
    }

    // MARK: - rbac/v1

    mutating func policyRules(_ rules: JSONValue, _ path: String) {
        for (i, r) in (rules.array ?? []).enumerated() {
            let p = "\(path)[\(i)]"
            if (r["verbs"].array ?? []).isEmpty { add(.required, "\(p).verbs", nil, "verbs must contain at least one value") }
            if !(r["nonResourceURLs"].array ?? []).isEmpty {
                if !(r["apiGroups"].array ?? []).isEmpty || !(r["resources"].array ?? []).isEmpty {
                    add(.invalid, "\(p).nonResourceURLs", nil, "rules cannot apply to both regular resources and non-resource URLs")
                }
                continue
            }
            if (r["apiGroups"].array ?? []).isEmpty {
                add(.required, "\(p).apiGroups", nil, "resource rules must supply at least one api group")
            }
            if (r["resources"].array ?? []).isEmpty {
                add(.required, "\(p).resources", nil, "resource rules must supply at least one resource")
            }
        }
    }

    /// NotSupported with the values in the given order (RBAC lists them unsorted).
    mutating func notSupported(_ value: JSONValue, _ field: String, _ supported: [String]) {
        add(.notSupported, field, value, "supported values: " + supported.map { "\"\($0)\"" }.joined(separator: ", "))
    }

    mutating func binding(_ obj: JSONValue, namespaced: Bool, old: JSONValue?) {
        let ref = obj["roleRef"]
        let name = ref["name"].string ?? ""
        if name.isEmpty {
            add(.required, "roleRef.name")
        } else {
            each(NameRules.pathSegmentName(name), "roleRef.name", .string(name))
        }
        if ref["apiGroup"].string != "rbac.authorization.k8s.io" {
            notSupported(ref["apiGroup"].isNull ? "" : ref["apiGroup"], "roleRef.apiGroup", ["rbac.authorization.k8s.io"])
        }
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        if !kinds.contains(ref["kind"].string ?? "") {
            notSupported(ref["kind"].isNull ? "" : ref["kind"], "roleRef.kind", kinds)
        }
        for (i, s) in (obj["subjects"].array ?? []).enumerated() {
            let p = "subjects[\(i)]"
            let sname = s["name"].string ?? ""
            if sname.isEmpty { add(.required, "\(p).name") }
            let group = s["apiGroup"].string ?? ""
            switch s["kind"].string ?? "" {
            case "ServiceAccount":
                if !sname.isEmpty { each(NameRules.dns1123Subdomain(sname), "\(p).name", .string(sname)) }
                if !group.isEmpty { notSupported(.string(group), "\(p).apiGroup", [""]) }
                if !namespaced && (s["namespace"].string ?? "").isEmpty { add(.required, "\(p).namespace") }
            case "User", "Group":
                if group != "rbac.authorization.k8s.io" {
                    notSupported(.string(group), "\(p).apiGroup", ["rbac.authorization.k8s.io"])
                }
            default:
                notSupported(s["kind"].isNull ? "" : s["kind"], "\(p).kind", ["ServiceAccount", "User", "Group"])
            }
        }
        if let old, Validator.dropNulls(old["roleRef"]) != Validator.dropNulls(ref) {
            addGo(
                "roleRef",
                "rbac.RoleRef{APIGroup:\"\(ref["apiGroup"].string ?? "")\", Kind:\"\(ref["kind"].string ?? "")\", "
                    + "Name:\"\(name)\"}", "cannot change roleRef")
        }
    }
}
