import PodlabModel

/// Computes the cluster's DNS records from its objects: a pure function, no I/O, so the whole record set is
/// tested from object JSON alone.
///
/// What exists, following the Kubernetes DNS spec 1.1.0 and CoreDNS's kubernetes plugin as kubeadm configures it
/// (`<zone>` is `config.clusterDomain`, TTLs are `config.ttl` unless said):
/// - `<zone>`: SOA, and NS pointing at the Service that owns `config.dnsServiceIP` (`kube-dns.kube-system.svc.<zone>`)
///   or at `ns.dns.<zone>`, with its address as glue. `ns.dns.<zone>`: A/AAAA of `dnsServiceIP`.
/// - `dns-version.<zone>`: TXT `"1.1.0"`, TTL 28800 as CoreDNS.
/// - `svc.<zone>`, `pod.<zone>`, and `<ns>.svc.<zone>` / `<ns>.pod.<zone>` for each existing namespace: empty
///   non-terminals (NODATA).
/// - ClusterIP, NodePort and LoadBalancer Services: A/AAAA per cluster IP at `<svc>.<ns>.svc.<zone>`; SRV there for
///   every port and at `_<port>._<proto>.<svc>…` for every named port, pointing at the Service's name, with its
///   addresses as glue; PTR from each cluster IP.
/// - Headless Services (clusterIP `None`): A/AAAA per ready endpoint address; nothing at all (NXDOMAIN) when none
///   is ready. SRV per ready endpoint and port, pointing at the endpoint's name.
/// - Endpoint names, for every Service with EndpointSlices (CoreDNS answers them for ClusterIP Services too):
///   `<hostname>.<svc>.<ns>.svc.<zone>`, the hostname being the endpoint's `hostname` or its dashed address
///   (`10-244-1-5`, `fd00--5`); A/AAAA and SRV there; PTR from the address unless it is a cluster IP.
/// - ExternalName Services: a CNAME to `spec.externalName` (none when that is an IP address, as CoreDNS).
/// - Pods: with `.verified`, `<dashed-ip>.<ns>.pod.<zone>` for each pod address; `.insecure` names are made
///   per query by the responder instead, for any address in an existing namespace.
/// - `in-addr.arpa` and `ip6.arpa`: an SOA each, for negative answers.
///
/// "Ready" is the endpoint's `ready` condition, absent meaning ready (discovery/v1's rule, which CoreDNS
/// applies); `publishNotReadyAddresses` or the old `service.alpha.kubernetes.io/tolerate-unready-endpoints`
/// annotation make every endpoint ready.
///
/// SRV priority is 0 and the weight is ⌊100 / n⌋ (at least 1), n counting the (endpoint or cluster IP, port)
/// pairs the query matched before duplicates are merged: the numbers CoreDNS's SRV code produces.
public enum DNSRecordsBuilder {
    /// The snapshot from objects as the store holds them. Objects that do not decode are skipped (the API server
    /// validated them on the way in, so this only guards against a kind mix-up).
    /// `serial` becomes the SOA serial: pass something that grows with each rebuild, such as the Unix time of the
    /// last change (CoreDNS's choice) or the store's resourceVersion.
    public static func snapshot(
        services: [JSONValue], endpointSlices: [JSONValue], pods: [JSONValue], namespaces: [JSONValue],
        config: DNSConfig, serial: UInt32 = 1
    ) -> DNSSnapshot {
        snapshot(
            services: services.compactMap { try? $0.decode(as: Service.self) },
            endpointSlices: endpointSlices.compactMap { try? $0.decode(as: EndpointSlice.self) },
            // Only verified pod records read pods: skip decoding them otherwise.
            pods: config.podRecords == .verified ? pods.compactMap { try? $0.decode(as: Pod.self) } : [],
            namespaces: namespaces.compactMap { try? $0.decode(as: Namespace.self) }, config: config,
            serial: serial)
    }

    /// The snapshot from typed objects.
    public static func snapshot(
        services: [Service], endpointSlices: [EndpointSlice], pods: [Pod], namespaces: [Namespace],
        config: DNSConfig, serial: UInt32 = 1
    ) -> DNSSnapshot {
        var builder = SnapshotBuilder(config: config, serial: serial)
        var namespaceNames = Set(namespaces.compactMap(\.metadata.name))
        // A Service's namespace exists even if the Namespace object has not reached us yet.
        namespaceNames.formUnion(services.compactMap(\.metadata.namespace))
        builder.addNamespaces(namespaceNames)

        let sortedServices = services.sorted {
            ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < (
                $1.metadata.namespace ?? "", $1.metadata.name ?? ""
            )
        }
        builder.addApex(services: sortedServices)
        var slicesByService: [String: [EndpointSlice]] = [:]
        for slice in endpointSlices {
            guard let owner = slice.metadata.labels?[serviceNameLabel], !owner.isEmpty else { continue }
            slicesByService["\(slice.metadata.namespace ?? "default")/\(owner)", default: []].append(slice)
        }
        builder.addServices(sortedServices, slicesByService: slicesByService)
        if config.podRecords == .verified { builder.addPods(pods, namespaces: namespaceNames) }
        builder.addEmptyNonTerminals()
        return builder.snapshot()
    }

    /// discovery/v1 `LabelServiceName`: the Service an EndpointSlice belongs to.
    static let serviceNameLabel = "kubernetes.io/service-name"
    /// The pre-EndpointSlice way to publish unready endpoints, still honoured by the DNS spec's definition of ready.
    static let tolerateUnreadyAnnotation = "service.alpha.kubernetes.io/tolerate-unready-endpoints"
    /// The schema version of the Kubernetes DNS spec this follows, served at `dns-version.<zone>`.
    public static let schemaVersion = "1.1.0"
    /// CoreDNS serves the `dns-version` TXT record with this fixed TTL (the spec's example value).
    static let schemaVersionTTL: UInt32 = 28800
}
