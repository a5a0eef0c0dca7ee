/// kube-apiserver's validation of objects on create and update, with its field paths and wording.
///
/// Call after `Defaulting.apply` (so defaulted fields are present), and after allocation for Services.
public enum Validation {
    /// The problems with `obj`, an object of `resource`; `old` is the stored object on update, nil on create.
    public static func validate(_ obj: JSONValue, resource: ResourceInfo, old: JSONValue?) -> [FieldError] {
        var v = Validator()
        v.meta(obj, resource: resource, old: old)
        switch (resource.group, resource.kind) {
        case ("", "Pod"):
            v.podSpec(obj["spec"], "spec", isTemplate: false)
            if let old { v.podUpdate(obj["spec"], old["spec"]) }
        case ("", "Service"): v.service(obj, old: old)
        case ("", "ConfigMap"): v.configMap(obj, old: old)
        case ("", "Secret"): v.secret(obj, old: old)
        case ("", "Endpoints"): v.endpoints(obj)
        case ("apps", "Deployment"): v.deployment(obj, old: old)
        case ("apps", "ReplicaSet"): v.replicaSet(obj, old: old)
        case ("discovery.k8s.io", "EndpointSlice"): v.endpointSlice(obj, old: old)
        case ("networking.k8s.io", "NetworkPolicy"): v.networkPolicy(obj)
        case ("networking.k8s.io", "Ingress"): v.ingress(obj)
        case ("networking.k8s.io", "IngressClass"): v.ingressClass(obj, old: old)
        case ("autoscaling", "Scale"): v.nonNegative(obj.at("spec.replicas"), "spec.replicas")
        case ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "ClusterRole"):
            v.policyRules(obj["rules"], "rules")
        case ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
            v.binding(obj, namespaced: resource.kind == "RoleBinding", old: old)
        default: break
        }
        return v.errors
    }

    /// How a resource's names are checked: most kinds use DNS-1123 subdomains.
    public static func nameErrors(_ name: String, resource: ResourceInfo) -> [String] {
        switch (resource.group, resource.kind) {
        case ("", "Namespace"): return NameRules.dns1123Label(name)
        case ("", "Service"): return NameRules.dns1035Label(name)
        case ("rbac.authorization.k8s.io", _): return NameRules.pathSegmentName(name)
        default: return NameRules.dns1123Subdomain(name)
        }
    }
}

/// Collects `FieldError`s while walking an object.
struct Validator {
    var errors: [FieldError] = []

    mutating func add(_ kind: FieldError.Kind, _ field: String, _ value: JSONValue? = nil, _ detail: String = "") {
        errors.append(FieldError(kind, field, value, detail))
    }

    /// An Invalid error whose value is shown as Go prints it (maps, slices, structs).
    mutating func addGo(_ field: String, _ goValue: String, _ detail: String) {
        var e = FieldError(.invalid, field, nil, detail)
        e.badValue = goValue
        errors.append(e)
    }

    mutating func each(_ msgs: [String], _ field: String, _ value: JSONValue) {
        for m in msgs { add(.invalid, field, value, m) }
    }

    /// `Unsupported value: "x": supported values: "a", "b"` (the list sorted, as upstream's sets are).
    mutating func oneOf(_ value: JSONValue, _ field: String, _ supported: [String], required: Bool = true) {
        guard let s = value.string, !s.isEmpty else {
            if required { add(.required, field) }
            return
        }
        if !supported.contains(s) {
            add(.notSupported, field, value, "supported values: " + supported.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        }
    }

    mutating func nonNegative(_ value: JSONValue, _ field: String) {
        if let n = value.int, n < 0 { add(.invalid, field, value, "must be greater than or equal to 0") }
    }

    mutating func immutable(_ new: JSONValue, _ old: JSONValue, _ field: String) {
        if new != old { add(.invalid, field, new, "field is immutable") }
    }

    // MARK: - metadata

    mutating func meta(_ obj: JSONValue, resource: ResourceInfo, old: JSONValue?) {
        let m = obj["metadata"]
        let name = m["name"].string ?? ""
        if name.isEmpty {
            if (m["generateName"].string ?? "").isEmpty {
                add(.required, "metadata.name", nil, "name or generateName is required")
            }
        } else {
            each(Validation.nameErrors(name, resource: resource), "metadata.name", .string(name))
        }
        let ns = m["namespace"].string ?? ""
        if resource.namespaced {
            if ns.isEmpty {
                add(.required, "metadata.namespace")
            } else {
                each(NameRules.dns1123Label(ns), "metadata.namespace", .string(ns))
            }
        } else if !ns.isEmpty {
            add(.forbidden, "metadata.namespace", nil, "not allowed on this type")
        }
        labels(m["labels"], "metadata.labels")
        annotations(m["annotations"], "metadata.annotations")
        if let old {
            let om = old["metadata"]
            immutable(m["name"], om["name"], "metadata.name")
            if resource.namespaced { immutable(m["namespace"], om["namespace"], "metadata.namespace") }
            if !m["uid"].isNull && !om["uid"].isNull { immutable(m["uid"], om["uid"], "metadata.uid") }
        }
    }

    mutating func labels(_ labels: JSONValue, _ field: String) {
        for (k, v) in (labels.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            each(NameRules.qualifiedName(k), field, .string(k))
            if let s = v.string { each(NameRules.labelValue(s), field, v) }
        }
    }

    mutating func annotations(_ annotations: JSONValue, _ field: String) {
        var total = 0
        for (k, v) in (annotations.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            each(NameRules.qualifiedName(k.lowercased()), field, .string(k))
            total += k.utf8.count + (v.string?.utf8.count ?? 0)
        }
        // apimachinery's TotalAnnotationSizeLimitB: 256 KiB.
        if total > 256 * 1024 { add(.tooLong, field, nil, "must have at most 262144 bytes") }
    }

    mutating func labelSelector(_ sel: JSONValue, _ field: String) {
        guard !sel.isNull else { return }
        labels(sel["matchLabels"], "\(field).matchLabels")
        for (i, r) in (sel["matchExpressions"].array ?? []).enumerated() {
            let p = "\(field).matchExpressions[\(i)]"
            let values = r["values"].array ?? []
            switch r["operator"].string ?? "" {
            case "In", "NotIn":
                if values.isEmpty { add(.required, "\(p).values", nil, "must be specified when `operator` is 'In' or 'NotIn'") }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    add(.forbidden, "\(p).values", nil, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
                }
            default:
                add(.invalid, "\(p).operator", r["operator"], "not a valid selector operator")
            }
            let key = r["key"].string ?? ""
            each(NameRules.qualifiedName(key), "\(p).key", .string(key))
        }
    }

    /// Whether `labels` satisfy `selector` (matchLabels and matchExpressions).
    static func selectorMatches(_ selector: JSONValue, _ labels: [String: String]) -> Bool {
        for (k, v) in selector["matchLabels"].stringMap ?? [:] where labels[k] != v { return false }
        for r in selector["matchExpressions"].array ?? [] {
            let key = r["key"].string ?? ""
            let values = (r["values"].array ?? []).compactMap(\.string)
            switch r["operator"].string ?? "" {
            case "In": if !values.contains(labels[key] ?? "\u{0}") || labels[key] == nil { return false }
            case "NotIn": if let v = labels[key], values.contains(v) { return false }
            case "Exists": if labels[key] == nil { return false }
            case "DoesNotExist": if labels[key] != nil { return false }
            default: return false
            }
        }
        return true
    }

    /// Go's `%#v` of a metav1.LabelSelector, for messages that show one.
    static func goSelector(_ sel: JSONValue) -> String {
        let labels = sel["matchLabels"].stringMap.map(NameRules.goMap) ?? "map[string]string(nil)"
        var exprs = "[]v1.LabelSelectorRequirement(nil)"
        if let list = sel["matchExpressions"].array {
            exprs =
                "[]v1.LabelSelectorRequirement{"
                + list.map { r in
                    let vals = r["values"].array.map { NameRules.goStrings($0.compactMap(\.string)) } ?? "[]string(nil)"
                    return "v1.LabelSelectorRequirement{Key:\"\(r["key"].string ?? "")\", "
                        + "Operator:\"\(r["operator"].string ?? "")\", Values:\(vals)}"
                }.joined(separator: ", ") + "}"
        }
        return "v1.LabelSelector{MatchLabels:\(labels), MatchExpressions:\(exprs)}"
    }
}
