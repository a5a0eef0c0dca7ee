/// The files kubelet writes for a pod's containers: /etc/resolv.conf per dnsPolicy and dnsConfig, and the
/// Kubernetes-managed /etc/hosts. podlab binds them over the pod's own mount namespace.
public enum PodFiles {
    /// Cluster DNS settings the resolv.conf is made from.
    public struct DNS: Sendable, Hashable {
        public var nameserver: String
        public var clusterDomain: String
        /// The node's resolver configuration, used for dnsPolicy Default (kubelet's --resolv-conf).
        public var nodeResolvConf: String
        public init(nameserver: String = "10.96.0.10", clusterDomain: String = "cluster.local", nodeResolvConf: String = "") {
            self.nameserver = nameserver
            self.clusterDomain = clusterDomain
            self.nodeResolvConf = nodeResolvConf
        }
    }

    // kubelet's limits (pkg/kubelet/network/dns): 3 nameservers, 32 search domains.
    static let maxNameservers = 3
    static let maxSearches = 32

    /// The resolv.conf text for `pod`: ClusterFirst (the default) points at cluster DNS with the namespace's
    /// search list and ndots:5; Default copies the node's; None uses dnsConfig alone; dnsConfig merges in.
    public static func resolvConf(for pod: Pod, dns: DNS) -> String {
        let ns = pod.metadata.namespace ?? "default"
        var policy = pod.spec?.dnsPolicy ?? "ClusterFirst"
        // A hostNetwork pod with ClusterFirst gets the node's resolver, as kubelet does.
        if policy == "ClusterFirst" && pod.spec?.hostNetwork == true { policy = "Default" }
        var nameservers: [String] = []
        var searches: [String] = []
        var options: [(String, String?)] = []
        switch policy {
        case "Default":
            let node = parse(dns.nodeResolvConf)
            nameservers = node.nameservers
            searches = node.searches
            options = node.options
        case "None":
            break
        default:  // ClusterFirst, ClusterFirstWithHostNet
            nameservers = [dns.nameserver]
            let d = dns.clusterDomain
            searches = ["\(ns).svc.\(d)", "svc.\(d)", d] + parse(dns.nodeResolvConf).searches
            options = [("ndots", "5")]
        }
        if let cfg = pod.spec?.dnsConfig {
            for s in cfg.nameservers ?? [] where !nameservers.contains(s) { nameservers.append(s) }
            for s in cfg.searches ?? [] where !searches.contains(s) { searches.append(s) }
            for o in cfg.options ?? [] {
                guard let name = o.name else { continue }
                if let i = options.firstIndex(where: { $0.0 == name }) {
                    options[i] = (name, o.value)
                } else {
                    options.append((name, o.value))
                }
            }
        }
        var lines: [String] = []
        if !searches.isEmpty { lines.append("search " + searches.prefix(maxSearches).joined(separator: " ")) }
        for n in nameservers.prefix(maxNameservers) { lines.append("nameserver \(n)") }
        if !options.isEmpty {
            lines.append("options " + options.map { o in o.1.map { "\(o.0):\($0)" } ?? o.0 }.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The Kubernetes-managed /etc/hosts: loopback entries, the pod's own IP with its hostname (and FQDN when
    /// a subdomain is set), then hostAliases.
    public static func hosts(for pod: Pod, podIP: String, clusterDomain: String = "cluster.local") -> String {
        var out = "# Kubernetes-managed hosts file.\n"
        out += "127.0.0.1\tlocalhost\n"
        out += "::1\tlocalhost ip6-localhost ip6-loopback\n"
        out += "fe00::0\tip6-localnet\n"
        out += "fe00::0\tip6-mcastprefix\n"
        out += "fe00::1\tip6-allnodes\n"
        out += "fe00::2\tip6-allrouters\n"
        let host = pod.spec?.hostname ?? pod.metadata.name ?? ""
        if let sub = pod.spec?.subdomain, !sub.isEmpty {
            let ns = pod.metadata.namespace ?? "default"
            out += "\(podIP)\t\(host).\(sub).\(ns).svc.\(clusterDomain)\t\(host)\n"
        } else {
            out += "\(podIP)\t\(host)\n"
        }
        let aliases = pod.spec?.hostAliases ?? []
        if !aliases.isEmpty {
            out += "\n# Entries added by HostAliases.\n"
            for a in aliases {
                out += "\(a.ip ?? "")\t\((a.hostnames ?? []).joined(separator: "\t"))\n"
            }
        }
        return out
    }

    /// The pod's hostname as kubelet sets it: spec.hostname, else the pod name, cut to 63 characters.
    public static func hostname(for pod: Pod) -> String {
        String((pod.spec?.hostname ?? pod.metadata.name ?? "").prefix(63))
    }

    /// The nameservers, search list and options of a resolv.conf text.
    public static func parse(_ text: String) -> (nameservers: [String], searches: [String], options: [(String, String?)]) {
        var ns: [String] = []
        var search: [String] = []
        var options: [(String, String?)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = fields.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
            switch key {
            case "nameserver": if fields.count > 1 { ns.append(fields[1]) }
            case "search", "domain": search = Array(fields.dropFirst())
            case "options":
                for o in fields.dropFirst() {
                    let parts = o.split(separator: ":", maxSplits: 1).map(String.init)
                    options.append((parts[0], parts.count > 1 ? parts[1] : nil))
                }
            default: break
            }
        }
        return (ns, search, options)
    }
}
