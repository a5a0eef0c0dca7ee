import PodlabModel
import Testing

@testable import PodlabDNS

/// Objects as the store hands them (JSON), a small realistic cluster, and helpers to ask it questions.
enum Fixtures {
    // MARK: - Objects as JSON

    static func json(_ text: String) -> JSONValue {
        do { return try JSONValue(parsing: text) } catch { fatalError("bad fixture JSON: \(error)\n\(text)") }
    }

    static func namespace(_ name: String) -> JSONValue {
        json(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(name)"},"status":{"phase":"Active"}}"#)
    }

    /// A Service; `ports` are (name or nil, port, protocol).
    static func service(
        _ namespace: String, _ name: String, clusterIP: String? = nil, clusterIPs: [String]? = nil,
        type: String = "ClusterIP", ports: [(String?, Int, String)] = [], externalName: String? = nil,
        publishNotReady: Bool = false, annotations: [String: String] = [:]
    ) -> JSONValue {
        var spec: JSONValue = ["type": .string(type)]
        if let clusterIP { spec["clusterIP"] = .string(clusterIP) }
        if let ips = clusterIPs ?? clusterIP.map({ [$0] }) { spec["clusterIPs"] = .array(ips.map(JSONValue.string)) }
        if !ports.isEmpty {
            spec["ports"] = .array(
                ports.map { p in
                    var o: JSONValue = [
                        "port": .int(Int64(p.1)), "protocol": .string(p.2), "targetPort": .int(Int64(p.1)),
                    ]
                    if let n = p.0 { o["name"] = .string(n) }
                    return o
                })
        }
        if let externalName { spec["externalName"] = .string(externalName) }
        if publishNotReady { spec["publishNotReadyAddresses"] = true }
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(namespace)]
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues(JSONValue.string)) }
        return ["apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec]
    }

    /// One endpoint of a slice.
    struct EP {
        var ip: String
        var ready: Bool? = true
        var hostname: String? = nil
        var pod: String? = nil
    }

    static func slice(
        _ namespace: String, service: String, name: String? = nil, addressType: String = "IPv4",
        ports: [(String?, Int, String)], endpoints: [EP]
    ) -> JSONValue {
        let eps: [JSONValue] = endpoints.map { ep in
            var o: JSONValue = ["addresses": [.string(ep.ip)], "nodeName": "podlab-worker"]
            if let ready = ep.ready {
                o["conditions"] = ["ready": .bool(ready), "serving": .bool(ready), "terminating": false]
            }
            if let h = ep.hostname { o["hostname"] = .string(h) }
            if let pod = ep.pod {
                o["targetRef"] = ["kind": "Pod", "namespace": .string(namespace), "name": .string(pod)]
            }
            return o
        }
        let portsJSON: [JSONValue] = ports.map { p in
            var o: JSONValue = ["port": .int(Int64(p.1)), "protocol": .string(p.2)]
            if let n = p.0 { o["name"] = .string(n) }
            return o
        }
        var out: JSONValue = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "name": .string(name ?? "\(service)-abc12"), "namespace": .string(namespace),
                "labels": ["kubernetes.io/service-name": .string(service)],
            ],
            "addressType": .string(addressType), "endpoints": .array(eps),
        ]
        if !ports.isEmpty { out["ports"] = .array(portsJSON) }
        return out
    }

    static func pod(_ namespace: String, _ name: String, ip: String) -> JSONValue {
        json(
            #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},"#
                + #""spec":{"containers":[{"name":"c","image":"nginx"}]},"#
                + #""status":{"phase":"Running","podIP":"\#(ip)","podIPs":[{"ip":"\#(ip)"}]}}"#)
    }

    // MARK: - A cluster

    static let namespaces = ["default", "kube-system", "demo"].map(namespace)

    static let services: [JSONValue] = [
        service("default", "kubernetes", clusterIP: "10.96.0.1", ports: [("https", 443, "TCP")]),
        service(
            "kube-system", "kube-dns", clusterIP: "10.96.0.10",
            ports: [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]),
        service("demo", "web", clusterIP: "10.96.100.10", ports: [("http", 80, "TCP"), (nil, 8080, "TCP")]),
        // A StatefulSet's governing Service: pods with spec.hostname/subdomain give endpoints hostnames.
        service("demo", "db", clusterIP: "None", ports: [("pg", 5432, "TCP")]),
        // Headless without hostnames: endpoints are named by their dashed address.
        service("demo", "peers", clusterIP: "None", ports: [("gossip", 7946, "UDP"), ("gossip", 7946, "TCP")]),
        service("demo", "empty", clusterIP: "None", ports: [("http", 80, "TCP")]),
        service("demo", "portless", clusterIP: "None"),
        service("demo", "search", type: "ExternalName", externalName: "www.example.com"),
        service("demo", "alias", type: "ExternalName", externalName: "web.demo.svc.cluster.local"),
        service("demo", "ipname", type: "ExternalName", externalName: "192.0.2.7"),
        service("demo", "v6", clusterIP: "fd00:10:96::5", ports: [("http", 80, "TCP")]),
        service(
            "demo", "dual", clusterIP: "10.96.100.20", clusterIPs: ["10.96.100.20", "fd00:10:96::20"],
            ports: [("http", 80, "TCP")]),
        service("demo", "pending", ports: [("http", 80, "TCP")]),
    ]

    static let slices: [JSONValue] = [
        slice(
            "default", service: "kubernetes", name: "kubernetes", ports: [("https", 6443, "TCP")],
            endpoints: [EP(ip: "172.18.0.2")]),
        slice(
            "kube-system", service: "kube-dns",
            ports: [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
            endpoints: [EP(ip: "10.244.0.3", pod: "coredns-1")]),
        slice(
            "demo", service: "web", ports: [("http", 80, "TCP"), (nil, 8080, "TCP")],
            endpoints: [EP(ip: "10.244.1.5", pod: "web-1"), EP(ip: "10.244.2.6", ready: false, pod: "web-2")]),
        slice(
            "demo", service: "db", ports: [("pg", 5432, "TCP")],
            endpoints: [
                EP(ip: "10.244.1.10", hostname: "db-0", pod: "db-0"),
                EP(ip: "10.244.2.11", hostname: "db-1", pod: "db-1"),
                EP(ip: "10.244.1.12", ready: false, hostname: "db-2", pod: "db-2"),
            ]),
        slice(
            "demo", service: "peers", ports: [("gossip", 7946, "UDP"), ("gossip", 7946, "TCP")],
            endpoints: [EP(ip: "10.244.1.20"), EP(ip: "10.244.2.21", ready: nil), EP(ip: "10.244.2.22", ready: false)]),
        slice("demo", service: "empty", ports: [("http", 80, "TCP")], endpoints: [EP(ip: "10.244.1.30", ready: false)]),
        slice("demo", service: "portless", ports: [], endpoints: [EP(ip: "10.244.1.40")]),
        slice(
            "demo", service: "v6", name: "v6-abc12", addressType: "IPv6", ports: [("http", 80, "TCP")],
            endpoints: [EP(ip: "fd00:10:244:1::7")]),
    ]

    static let pods: [JSONValue] = [pod("demo", "web-1", ip: "10.244.1.5")]

    static func snapshot(_ config: DNSConfig = DNSConfig(), serial: UInt32 = 1_700_000_000) -> DNSSnapshot {
        DNSRecordsBuilder.snapshot(
            services: services, endpointSlices: slices, pods: pods, namespaces: namespaces, config: config,
            serial: serial)
    }

    /// A snapshot from JSON objects (the typed overload makes empty array literals ambiguous).
    static func build(
        services: [JSONValue] = [], slices: [JSONValue] = [], pods: [JSONValue] = [], namespaces: [JSONValue] = [],
        config: DNSConfig = DNSConfig(), serial: UInt32 = 1_700_000_000
    ) -> DNSSnapshot {
        DNSRecordsBuilder.snapshot(
            services: services, endpointSlices: slices, pods: pods, namespaces: namespaces, config: config,
            serial: serial)
    }

    // MARK: - Asking

    static func name(_ text: String) -> DNSName {
        guard let n = DNSName(text) else { fatalError("bad name \(text)") }
        return n
    }

    /// Query bytes for `name`/`type`, RD set as stub resolvers send it.
    static func query(
        _ name: String, _ type: DNSType, id: UInt16 = 0x2a2a, qclass: DNSClass = .in, edns: DNSEDNS? = nil,
        recursionDesired: Bool = true
    ) -> [UInt8] {
        var header = DNSHeader(id: id)
        header.recursionDesired = recursionDesired
        let message = DNSMessage(
            header: header, questions: [DNSQuestion(name: Fixtures.name(name), type: type, qclass: qclass)],
            additionals: edns.map { [$0.record] } ?? [])
        return message.encoded()
    }

    /// Sends `bytes` to the responder and returns the reply bytes; fails the test on `.forward` or `.drop`.
    static func replyBytes(
        _ bytes: [UInt8], over transport: DNSTransport = .udp, snapshot: DNSSnapshot,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (bytes: [UInt8], rcode: DNSRcode) {
        let outcome = DNSResponder.respond(to: bytes, over: transport, snapshot: snapshot)
        guard case .reply(let reply, let rcode) = outcome else {
            Issue.record("expected a reply, got \(outcome)", sourceLocation: sourceLocation)
            throw FixtureError.noReply
        }
        return (reply, rcode)
    }

    /// Asks and parses the reply.
    static func ask(
        _ name: String, _ type: DNSType, snapshot: DNSSnapshot, id: UInt16 = 0x2a2a,
        over transport: DNSTransport = .udp,
        edns: DNSEDNS? = nil, qclass: DNSClass = .in, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DNSMessage {
        let (bytes, rcode) = try replyBytes(
            query(name, type, id: id, qclass: qclass, edns: edns), over: transport, snapshot: snapshot,
            sourceLocation: sourceLocation)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.rcode == rcode, "the outcome's rcode matches the bytes", sourceLocation: sourceLocation)
        #expect(message.header.id == id, sourceLocation: sourceLocation)
        return message
    }

    enum FixtureError: Error { case noReply }

    /// The answers as zone-file text, for compact exact comparisons.
    static func text(_ records: [DNSRecord]) -> [String] { records.map(\.description) }

    /// The SOA CoreDNS writes for cluster.local with ttl 30 and this fixture's serial.
    static let clusterSOA =
        "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30"
}

extension Array where Element == UInt8 {
    /// Hex, two digits a byte, for failure messages.
    var hex: String {
        map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

extension [UInt8] {
    /// Bytes from a hex string, spaces allowed.
    init(hex: String) {
        let digits = hex.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16) ?? 0 }
        self = stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
