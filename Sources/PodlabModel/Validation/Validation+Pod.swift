// Pods, pod templates, Deployments and ReplicaSets (pkg/apis/core/validation, pkg/apis/apps/validation).

extension Validator {
    static let protocols = ["TCP", "UDP", "SCTP"]

    mutating func podSpec(_ spec: JSONValue, _ path: String, isTemplate: Bool) {
        var volumeNames: Set<String> = []
        for (i, vol) in (spec["volumes"].array ?? []).enumerated() {
            let p = "\(path).volumes[\(i)]"
            let name = vol["name"].string ?? ""
            if name.isEmpty {
                add(.required, "\(p).name")
            } else {
                each(NameRules.dns1123Label(name), "\(p).name", .string(name))
                if volumeNames.contains(name) { add(.duplicate, "\(p).name", .string(name)) }
                volumeNames.insert(name)
            }
        }
        let containers = spec["containers"].array ?? []
        if containers.isEmpty { add(.required, "\(path).containers") }
        var names: Set<String> = []
        var portNames: Set<String> = []
        for (key, list) in [("initContainers", spec["initContainers"].array ?? []), ("containers", containers)] {
            for (i, c) in list.enumerated() {
                container(c, "\(path).\(key)[\(i)]", names: &names, portNames: &portNames, volumes: volumeNames)
            }
        }
        if isTemplate {
            // Deployments and ReplicaSets restart their pods' containers themselves.
            oneOf(spec["restartPolicy"], "\(path).restartPolicy", ["Always"])
        } else {
            oneOf(spec["restartPolicy"], "\(path).restartPolicy", ["Always", "OnFailure", "Never"])
        }
        oneOf(spec["dnsPolicy"], "\(path).dnsPolicy", ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"])
        if spec["dnsPolicy"].string == "None", spec["dnsConfig"].isNull {
            add(.required, "\(path).dnsConfig", nil, "must provide `dnsConfig` when `dnsPolicy` is None")
        }
        nonNegative(spec["terminationGracePeriodSeconds"], "\(path).terminationGracePeriodSeconds")
        if let a = spec["activeDeadlineSeconds"].int, a <= 0 || a > Int(Int32.max) {
            add(.invalid, "\(path).activeDeadlineSeconds", spec["activeDeadlineSeconds"], "must be between 1 and 2147483647, inclusive")
        }
        labels(spec["nodeSelector"], "\(path).nodeSelector")
        if let sa = spec["serviceAccountName"].string, !sa.isEmpty {
            each(NameRules.dns1123Subdomain(sa), "\(path).serviceAccountName", .string(sa))
        }
        if let h = spec["hostname"].string, !h.isEmpty { each(NameRules.dns1123Label(h), "\(path).hostname", .string(h)) }
        if let d = spec["subdomain"].string, !d.isEmpty { each(NameRules.dns1123Label(d), "\(path).subdomain", .string(d)) }
        if let n = spec["nodeName"].string, !n.isEmpty { each(NameRules.dns1123Subdomain(n), "\(path).nodeName", .string(n)) }
        for (i, t) in (spec["tolerations"].array ?? []).enumerated() {
            let p = "\(path).tolerations[\(i)]"
            oneOf(t["operator"], "\(p).operator", ["Equal", "Exists"], required: false)
            oneOf(t["effect"], "\(p).effect", ["NoSchedule", "PreferNoSchedule", "NoExecute"], required: false)
            if t["operator"].string == "Exists", let v = t["value"].string, !v.isEmpty {
                add(.invalid, "\(p).operator", t["operator"], "value must be empty when `operator` is 'Exists'")
            }
        }
    }

    mutating func container(
        _ c: JSONValue, _ p: String, names: inout Set<String>, portNames: inout Set<String>, volumes: Set<String>
    ) {
        let name = c["name"].string ?? ""
        if name.isEmpty {
            add(.required, "\(p).name")
        } else {
            each(NameRules.dns1123Label(name), "\(p).name", .string(name))
            if names.contains(name) { add(.duplicate, "\(p).name", .string(name)) }
            names.insert(name)
        }
        let image = c["image"].string ?? ""
        if image.isEmpty {
            add(.required, "\(p).image")
        } else if image != image.trimmingSpaces() {
            add(.invalid, "\(p).image", .string(image), "must not have leading or trailing whitespace")
        }
        for (i, port) in (c["ports"].array ?? []).enumerated() {
            let pp = "\(p).ports[\(i)]"
            if let n = port["name"].string, !n.isEmpty {
                each(NameRules.portName(n), "\(pp).name", .string(n))
                if portNames.contains(n) { add(.duplicate, "\(pp).name", .string(n)) }
                portNames.insert(n)
            }
            if let cp = port["containerPort"].int, cp != 0 {
                each(NameRules.portNumber(cp), "\(pp).containerPort", port["containerPort"])
            } else {
                add(.required, "\(pp).containerPort")
            }
            if let hp = port["hostPort"].int, hp != 0 { each(NameRules.portNumber(hp), "\(pp).hostPort", port["hostPort"]) }
            oneOf(port["protocol"], "\(pp).protocol", Validator.protocols)
        }
        for (i, e) in (c["env"].array ?? []).enumerated() {
            let ep = "\(p).env[\(i)]"
            let n = e["name"].string ?? ""
            if n.isEmpty { add(.required, "\(ep).name") } else { each(NameRules.envVarName(n), "\(ep).name", .string(n)) }
            let from = e["valueFrom"]
            if !from.isNull {
                let sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter { !from[$0].isNull }
                if sources.count != 1 {
                    add(.invalid, "\(ep).valueFrom", nil, "may not have more than one field specified at a time")
                }
                if let v = e["value"].string, !v.isEmpty {
                    add(.invalid, "\(ep).valueFrom", nil, "may not be specified when `value` is not empty")
                }
            }
        }
        for (i, m) in (c["volumeMounts"].array ?? []).enumerated() {
            let mp = "\(p).volumeMounts[\(i)]"
            if (m["name"].string ?? "").isEmpty { add(.required, "\(mp).name") }
            if (m["mountPath"].string ?? "").isEmpty { add(.required, "\(mp).mountPath") }
        }
        for probeKey in ["livenessProbe", "readinessProbe", "startupProbe"] where !c[probeKey].isNull {
            probe(c[probeKey], "\(p).\(probeKey)", mustSucceedOnce: probeKey != "readinessProbe")
        }
        oneOf(c["imagePullPolicy"], "\(p).imagePullPolicy", ["Always", "IfNotPresent", "Never"])
        oneOf(c["terminationMessagePolicy"], "\(p).terminationMessagePolicy", ["File", "FallbackToLogsOnError"])
    }

    mutating func probe(_ probe: JSONValue, _ p: String, mustSucceedOnce: Bool) {
        let handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter { !probe[$0].isNull }
        if handlers.isEmpty {
            add(.required, p, nil, "must specify a handler type")
        } else if handlers.count > 1 {
            add(.forbidden, "\(p).\(handlers[1])", nil, "may not specify more than 1 handler type")
        }
        for key in ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] {
            nonNegative(probe[key], "\(p).\(key)")
        }
        if mustSucceedOnce, let s = probe["successThreshold"].int, s != 1 {
            add(.invalid, "\(p).successThreshold", probe["successThreshold"], "must be 1")
        }
        for key in ["httpGet", "tcpSocket"] where !probe[key].isNull {
            let port = probe[key]["port"]
            if let n = port.int {
                each(NameRules.portNumber(n), "\(p).\(key).port", port)
            } else if let s = port.string {
                each(NameRules.portName(s), "\(p).\(key).port", port)
            } else {
                add(.required, "\(p).\(key).port")
            }
        }
    }

    /// Pod updates may change only images, activeDeadlineSeconds, tolerations (additions) and a negative grace period.
    mutating func podUpdate(_ new: JSONValue, _ old: JSONValue) {
        var munged = new
        var oldMunged = old
        for key in ["containers", "initContainers"] {
            guard var items = munged[key].array, let oldItems = oldMunged[key].array, items.count == oldItems.count
            else { continue }
            for i in items.indices { items[i]["image"] = oldItems[i]["image"] }
            munged[key] = .array(items)
        }
        munged["activeDeadlineSeconds"] = .null
        oldMunged["activeDeadlineSeconds"] = .null
        // Tolerations may only be added to.
        let oldTolerations = old["tolerations"].array ?? []
        let newTolerations = new["tolerations"].array ?? []
        if oldTolerations.allSatisfy(newTolerations.contains) {
            munged["tolerations"] = .null
            oldMunged["tolerations"] = .null
        }
        if (old["terminationGracePeriodSeconds"].int ?? 0) < 0 {
            munged["terminationGracePeriodSeconds"] = .null
            oldMunged["terminationGracePeriodSeconds"] = .null
        }
        if let a = new["activeDeadlineSeconds"].int, let b = old["activeDeadlineSeconds"].int, a > b {
            add(.invalid, "spec.activeDeadlineSeconds", new["activeDeadlineSeconds"], "must be less than or equal to previous value")
        }
        if Validator.dropNulls(munged) != Validator.dropNulls(oldMunged) {
            add(
                .forbidden, "spec", nil,
                "pod updates may not change fields other than `spec.containers[*].image`,"
                    + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                    + "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                    + "previously negative)\n" + Validator.changedFields(oldMunged, munged, "spec").joined(separator: "\n"))
        }
    }

    /// Removes null members recursively, so "absent" and "null" compare equal.
    static func dropNulls(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): return .object(o.filter { !$0.value.isNull }.mapValues(dropNulls))
        case .array(let a): return .array(a.map(dropNulls))
        default: return v
        }
    }

    /// The paths whose values differ, as short `-`/`+` lines (a plain stand-in for Go's cmp.Diff).
    static func changedFields(_ a: JSONValue, _ b: JSONValue, _ path: String) -> [String] {
        let a = dropNulls(a)
        let b = dropNulls(b)
        if a == b { return [] }
        if case .object(let ao) = a, case .object(let bo) = b {
            return Set(ao.keys).union(bo.keys).sorted().flatMap {
                changedFields(ao[$0] ?? .null, bo[$0] ?? .null, "\(path).\($0)")
            }
        }
        if case .array(let aa) = a, case .array(let ba) = b, aa.count == ba.count {
            return aa.indices.flatMap { changedFields(aa[$0], ba[$0], "\(path)[\($0)]") }
        }
        return ["- \(path): \(a.isNull ? "<unset>" : a.jsonText)", "+ \(path): \(b.isNull ? "<unset>" : b.jsonText)"]
    }

    // MARK: - apps/v1

    /// The selector and template checks Deployments and ReplicaSets share.
    mutating func selectorAndTemplate(_ spec: JSONValue) {
        let selector = spec["selector"]
        if selector.isNull {
            add(.required, "spec.selector")
        } else {
            labelSelector(selector, "spec.selector")
            if (selector["matchLabels"].object ?? [:]).isEmpty && (selector["matchExpressions"].array ?? []).isEmpty {
                addGo("spec.selector", Validator.goSelector(selector), "empty selector is invalid for deployment")
            }
        }
        let template = spec["template"]
        let templateLabels = template.at("metadata.labels").stringMap ?? [:]
        if !selector.isNull, !Validator.selectorMatches(selector, templateLabels) {
            addGo(
                "spec.template.metadata.labels", NameRules.goMap(templateLabels),
                "`selector` does not match template `labels`")
        }
        labels(template.at("metadata.labels"), "spec.template.metadata.labels")
        annotations(template.at("metadata.annotations"), "spec.template.metadata.annotations")
        podSpec(template["spec"], "spec.template.spec", isTemplate: true)
        nonNegative(spec["replicas"], "spec.replicas")
        nonNegative(spec["minReadySeconds"], "spec.minReadySeconds")
    }

    mutating func deployment(_ obj: JSONValue, old: JSONValue?) {
        let spec = obj["spec"]
        selectorAndTemplate(spec)
        nonNegative(spec["revisionHistoryLimit"], "spec.revisionHistoryLimit")
        if let pd = spec["progressDeadlineSeconds"].int {
            nonNegative(spec["progressDeadlineSeconds"], "spec.progressDeadlineSeconds")
            if pd <= (spec["minReadySeconds"].int ?? 0) {
                add(.invalid, "spec.progressDeadlineSeconds", spec["progressDeadlineSeconds"], "must be greater than minReadySeconds")
            }
        }
        let strategy = spec["strategy"]
        oneOf(strategy["type"], "spec.strategy.type", ["Recreate", "RollingUpdate"])
        let ru = strategy["rollingUpdate"]
        if strategy["type"].string == "Recreate", !ru.isNull {
            add(.forbidden, "spec.strategy.rollingUpdate", nil, "may not be specified when strategy `type` is 'Recreate'")
        }
        if strategy["type"].string == "RollingUpdate" {
            let p = "spec.strategy.rollingUpdate"
            intOrPercent(ru["maxUnavailable"], "\(p).maxUnavailable")
            intOrPercent(ru["maxSurge"], "\(p).maxSurge")
            if Validator.isZero(ru["maxUnavailable"]) && Validator.isZero(ru["maxSurge"]) {
                add(.invalid, "\(p).maxUnavailable", ru["maxUnavailable"], "may not be 0 when `maxSurge` is 0")
            }
            if let s = ru["maxUnavailable"].string, let n = Int(s.dropLast()), s.hasSuffix("%"), n > 100 {
                add(.invalid, "\(p).maxUnavailable", ru["maxUnavailable"], "must not be greater than 100%")
            }
        }
        if let old, !old.at("spec.selector").isNull, spec["selector"] != old.at("spec.selector") {
            addGo("spec.selector", Validator.goSelector(spec["selector"]), "field is immutable")
        }
    }

    mutating func replicaSet(_ obj: JSONValue, old: JSONValue?) {
        selectorAndTemplate(obj["spec"])
        if let old, !old.at("spec.selector").isNull, obj.at("spec.selector") != old.at("spec.selector") {
            addGo("spec.selector", Validator.goSelector(obj.at("spec.selector")), "field is immutable")
        }
    }

    static func isZero(_ v: JSONValue) -> Bool { v.int == 0 || v.string == "0%" || v.string == "0" }

    /// A count (>= 0) or a percentage string (`25%`).
    mutating func intOrPercent(_ v: JSONValue, _ field: String) {
        if let n = v.int {
            if n < 0 { add(.invalid, field, v, "must be greater than or equal to 0") }
        } else if let s = v.string {
            let digits = s.dropLast()
            if !(s.hasSuffix("%") && !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }) {
                add(
                    .invalid, field, v,
                    NameRules.regexError(
                        "a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%",
                        "93%"))
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingSpaces() -> String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r"]
        var s = Substring(self)
        while let f = s.first, ws.contains(f) { s = s.dropFirst() }
        while let l = s.last, ws.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
