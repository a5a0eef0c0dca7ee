import PodlabModel

/// Where a request path points, parsed from the URL as kube-apiserver's path layout defines it.
public enum Route: Equatable, Sendable {
    case version
    case health
    case apiVersions
    case apiGroupList
    case resourceList(group: String, version: String)
    case openAPIRoot
    case openAPIDocument(String)
    case openAPIv2
    /// A resource collection (`name == nil`), one object, or one of its subresources.
    case resource(ResourceTarget)
    /// authorization.k8s.io / authentication.k8s.io self reviews.
    case review(String)
    /// apiextensions.k8s.io/v1 customresourcedefinitions: podlab has none, but kubectl's schema validation
    /// lists them when a manifest names a group version the server does not serve.
    case customResourceDefinitions(name: String?)
    case notFound

    /// Parses a URL path (no query).
    public static func parse(_ path: String) -> Route {
        let seg = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch seg.first {
        case "version": return seg.count == 1 ? .version : .notFound
        case "healthz", "livez", "readyz": return .health
        case "openapi":
            if seg.count >= 2, seg[1] == "v2" { return .openAPIv2 }
            if seg.count == 2, seg[1] == "v3" { return .openAPIRoot }
            if seg.count > 2, seg[1] == "v3" { return .openAPIDocument(seg[2...].joined(separator: "/")) }
            return .notFound
        case "api":
            if seg.count == 1 { return .apiVersions }
            guard seg[1] == "v1" else { return .notFound }
            if seg.count == 2 { return .resourceList(group: "", version: "v1") }
            return resourcePath(group: "", version: "v1", Array(seg[2...]))
        case "apis":
            if seg.count == 1 { return .apiGroupList }
            guard seg.count >= 3 else { return .notFound }
            if seg.count == 3 { return .resourceList(group: seg[1], version: seg[2]) }
            if seg[1] == "authorization.k8s.io" || seg[1] == "authentication.k8s.io", seg.count == 4 {
                return .review(seg[3])
            }
            if seg[1] == "apiextensions.k8s.io", seg[2] == "v1", seg[3] == "customresourcedefinitions" {
                return .customResourceDefinitions(name: seg.count > 4 ? seg[4] : nil)
            }
            return resourcePath(group: seg[1], version: seg[2], Array(seg[3...]))
        default:
            return .notFound
        }
    }

    static func resourcePath(group: String, version: String, _ rest: [String]) -> Route {
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        func target(_ plural: String, ns: String?, name: String?, sub: String?) -> Route {
            guard let r = Resources.lookup(apiVersion: gv, plural: plural) else { return .notFound }
            if let sub, !r.subresources.contains(sub) { return .notFound }
            return .resource(ResourceTarget(resource: r, namespace: ns, name: name, subresource: sub))
        }
        // /namespaces/NS/PLURAL[/NAME[/SUB]] when PLURAL is a namespaced resource of this group version;
        // otherwise /namespaces/NAME[/SUB] addresses the Namespace object itself (core group only).
        if rest.first == "namespaces", rest.count >= 3,
            let r = Resources.lookup(apiVersion: gv, plural: rest[2]), r.namespaced
        {
            switch rest.count {
            case 3: return target(rest[2], ns: rest[1], name: nil, sub: nil)
            case 4: return target(rest[2], ns: rest[1], name: rest[3], sub: nil)
            case 5: return target(rest[2], ns: rest[1], name: rest[3], sub: rest[4])
            default: return .notFound
            }
        }
        switch rest.count {
        case 1: return target(rest[0], ns: nil, name: nil, sub: nil)
        case 2: return target(rest[0], ns: nil, name: rest[1], sub: nil)
        case 3: return target(rest[0], ns: nil, name: rest[1], sub: rest[2])
        default: return .notFound
        }
    }
}

/// A resource path: which resource, in which namespace (nil: cluster-scoped, or all namespaces), which object.
public struct ResourceTarget: Equatable, Sendable {
    public var resource: ResourceInfo
    public var namespace: String?
    public var name: String?
    public var subresource: String?
}
