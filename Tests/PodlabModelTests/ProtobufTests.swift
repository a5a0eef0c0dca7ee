import Testing

@testable import PodlabModel

/// A tiny protobuf writer for building request bodies the way gogo-protobuf lays them out.
struct ProtoTestWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
    mutating func tag(_ number: Int, _ wire: Int) { varint(UInt64(number << 3 | wire)) }
    mutating func string(_ number: Int, _ s: String) { data(number, Array(s.utf8)) }
    mutating func data(_ number: Int, _ d: [UInt8]) {
        tag(number, 2)
        varint(UInt64(d.count))
        bytes += d
    }
    mutating func int(_ number: Int, _ v: Int64) {
        tag(number, 0)
        varint(UInt64(bitPattern: v))
    }
    mutating func bool(_ number: Int, _ b: Bool) { int(number, b ? 1 : 0) }
    mutating func message(_ number: Int, _ build: (inout ProtoTestWriter) -> Void) {
        var inner = ProtoTestWriter()
        build(&inner)
        data(number, inner.bytes)
    }
    mutating func entry(_ number: Int, _ key: String, _ value: String) {
        message(number) { e in
            e.string(1, key)
            e.string(2, value)
        }
    }

    /// ObjectMeta as gogo writes it: every non-pointer field, even empty.
    mutating func objectMeta(_ number: Int, name: String, labels: [(String, String)]) {
        message(number) { m in
            m.string(1, name)
            for n in 2...6 { m.string(n, "") }
            m.int(7, 0)
            m.data(8, [])  // zero creationTimestamp
            for (k, v) in labels { m.entry(11, k, v) }
        }
    }

    /// The envelope: `k8s\0` + runtime.Unknown.
    static func envelope(apiVersion: String, kind: String, raw: ProtoTestWriter) -> [UInt8] {
        var u = ProtoTestWriter()
        u.message(1) { t in
            t.string(1, apiVersion)
            t.string(2, kind)
        }
        u.data(2, raw.bytes)
        u.string(3, "")
        u.string(4, "")
        return KubeProtobuf.magic + u.bytes
    }
}

@Suite("Kubernetes protobuf bodies")
struct ProtobufTests {
    /// `kubectl create deployment httpenv --image=bretfisher/httpenv` (kubectl 1.32).
    static var createDeployment: [UInt8] {
        var d = ProtoTestWriter()
        d.objectMeta(1, name: "httpenv", labels: [("app", "httpenv")])
        d.message(2) { spec in
            spec.int(1, 1)  // replicas (*int32)
            spec.message(2) { sel in sel.entry(1, "app", "httpenv") }
            spec.message(3) { tpl in
                tpl.objectMeta(1, name: "", labels: [("app", "httpenv")])
                tpl.message(2) { pod in
                    pod.message(2) { c in
                        c.string(1, "httpenv")
                        c.string(2, "bretfisher/httpenv")
                        c.string(5, "")
                        c.message(8) { _ in }  // resources {}
                        c.string(13, "")
                        c.string(14, "")
                        c.bool(16, false)
                        c.bool(17, false)
                        c.bool(18, false)
                        c.string(20, "")
                    }
                    pod.string(3, "")
                    pod.string(6, "")
                    pod.string(8, "")
                    pod.string(9, "")
                    pod.string(10, "")
                    pod.bool(11, false)
                    pod.bool(12, false)
                    pod.bool(13, false)
                    pod.string(16, "")
                    pod.string(17, "")
                    pod.string(19, "")
                    pod.string(24, "")
                }
            }
            spec.message(4) { strategy in strategy.string(1, "") }
            spec.int(5, 0)
            spec.bool(7, false)
        }
        d.message(3) { status in
            status.int(1, 0)
            status.int(2, 0)
        }
        return ProtoTestWriter.envelope(apiVersion: "apps/v1", kind: "Deployment", raw: d)
    }

    @Test("kubectl create deployment decodes to the JSON kubectl 1.31 would send")
    func deployment() throws {
        let object = try KubeProtobuf.decode(Self.createDeployment)
        let expected = try JSONValue(
            parsing: """
                {"apiVersion":"apps/v1","kind":"Deployment",
                 "metadata":{"name":"httpenv","labels":{"app":"httpenv"}},
                 "spec":{"replicas":1,"selector":{"matchLabels":{"app":"httpenv"}},
                   "template":{"metadata":{"labels":{"app":"httpenv"}},
                     "spec":{"containers":[{"name":"httpenv","image":"bretfisher/httpenv"}]}}}}
                """)
        #expect(object == expected)
    }

    @Test("a pointer field keeps its zero value: replicas 0 is not dropped")
    func pointerZero() throws {
        var d = ProtoTestWriter()
        d.objectMeta(1, name: "web", labels: [])
        d.message(2) { spec in
            spec.int(1, 0)
            spec.int(5, 0)
            spec.message(4) { s in s.message(2) { ru in ru.message(2) { ios in ios.int(1, 1); ios.string(3, "25%") } } }
        }
        let object = try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "apps/v1", kind: "Deployment", raw: d))
        #expect(object.at("spec.replicas") == 0)
        #expect(object.at("spec.minReadySeconds") == .null)
        #expect(object.at("spec.strategy.rollingUpdate.maxSurge") == "25%")
    }

    @Test("kubectl create ns x, from hand-written bytes")
    func namespace() throws {
        // k8s\0, Unknown{1: {1:"v1", 2:"Namespace"}, 2: Namespace{1: ObjectMeta{1:"x", 8:{}}, 2: {}, 3: {1:""}}}
        let bytes: [UInt8] =
            [0x6B, 0x38, 0x73, 0x00]
            + [0x0A, 0x0F, 0x0A, 0x02] + Array("v1".utf8) + [0x12, 0x09] + Array("Namespace".utf8)
            + [0x12, 0x0D]
            + [0x0A, 0x05, 0x0A, 0x01, 0x78, 0x42, 0x00]  // metadata: name "x", creationTimestamp {}
            + [0x12, 0x00]  // spec {}
            + [0x1A, 0x02, 0x0A, 0x00]  // status {phase: ""}
            + [0x1A, 0x00, 0x22, 0x00]  // contentEncoding "", contentType ""
        #expect(try KubeProtobuf.decode(bytes) == ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "x"]])
    }

    @Test("kubectl create configmap: data and binaryData (base64)")
    func configMap() throws {
        var cm = ProtoTestWriter()
        cm.objectMeta(1, name: "cfg", labels: [])
        cm.entry(2, "color", "blue")
        cm.entry(2, "empty", "")
        cm.message(3) { e in
            e.string(1, "bin")
            e.data(2, [0x00, 0xFF, 0x10, 0x41])
        }
        let object = try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "v1", kind: "ConfigMap", raw: cm))
        #expect(object["data"] == ["color": "blue", "empty": ""])
        #expect(object["binaryData"] == ["bin": "AP8QQQ=="])
    }

    @Test("kubectl create service nodeport: ports with IntOrString targetPort, selector and type")
    func serviceNodePort() throws {
        var svc = ProtoTestWriter()
        svc.objectMeta(1, name: "web", labels: [("app", "web")])
        svc.message(2) { spec in
            spec.message(1) { p in
                p.string(1, "8080-80")
                p.string(2, "TCP")
                p.int(3, 8080)
                p.message(4) { ios in ios.int(1, 0); ios.int(2, 80); ios.string(3, "") }
                p.int(5, 30080)
            }
            spec.entry(2, "app", "web")
            spec.string(3, "")
            spec.string(4, "NodePort")
            spec.string(7, "")
            spec.string(8, "")
            spec.string(10, "")
            spec.string(11, "")
            spec.int(12, 0)
            spec.bool(13, false)
        }
        svc.message(3) { st in st.message(1) { _ in } }
        let object = try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "v1", kind: "Service", raw: svc))
        #expect(
            object["spec"] == [
                "ports": [["name": "8080-80", "protocol": "TCP", "port": 8080, "targetPort": 80, "nodePort": 30080]],
                "selector": ["app": "web"], "type": "NodePort",
            ])
        #expect(object["status"] == .null)
    }

    @Test("secret data, container resources, env and timestamps")
    func details() throws {
        var s = ProtoTestWriter()
        s.message(1) { m in
            m.string(1, "s")
            m.message(8) { t in t.int(1, 1_700_000_000); t.int(2, 5) }
            m.message(13) { o in o.string(1, "ReplicaSet"); o.string(3, "rs"); o.string(4, "u"); o.string(5, "apps/v1"); o.bool(6, true) }
        }
        s.message(2) { e in e.string(1, "password"); e.data(2, Array("hunter2".utf8)) }
        s.string(3, "Opaque")
        let secret = try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "v1", kind: "Secret", raw: s))
        #expect(secret.at("metadata.creationTimestamp") == "2023-11-14T22:13:20Z")
        #expect(secret.at("metadata.ownerReferences") == [["kind": "ReplicaSet", "name": "rs", "uid": "u", "apiVersion": "apps/v1", "controller": true]])
        #expect(secret["data"] == ["password": "aHVudGVyMg=="])
        #expect(secret["type"] == "Opaque")

        var pod = ProtoTestWriter()
        pod.objectMeta(1, name: "p", labels: [])
        pod.message(2) { spec in
            spec.message(2) { c in
                c.string(1, "c")
                c.message(7) { env in env.string(1, "A"); env.string(2, "1") }
                c.message(7) { env in
                    env.string(1, "B")
                    env.message(3) { src in src.message(3) { ref in ref.message(1) { l in l.string(1, "cm") }; ref.string(2, "k") } }
                }
                c.message(8) { r in r.message(1) { e in e.string(1, "cpu"); e.message(2) { q in q.string(1, "500m") } } }
                c.message(6) { port in port.int(3, 80); port.string(4, "TCP") }
            }
            spec.int(4, 30)
            spec.int(25, -5)
        }
        let decoded = try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "v1", kind: "Pod", raw: pod))
        let c = decoded.at("spec.containers")[0]
        #expect(c["env"] == [["name": "A", "value": "1"], ["name": "B", "valueFrom": ["configMapKeyRef": ["name": "cm", "key": "k"]]]])
        #expect(c["resources"] == ["limits": ["cpu": "500m"]])
        #expect(c["ports"] == [["containerPort": 80, "protocol": "TCP"]])
        #expect(decoded.at("spec.terminationGracePeriodSeconds") == 30)
        #expect(decoded.at("spec.priority") == -5)
    }

    @Test("errors give byte offsets and field paths")
    func errors() throws {
        let e1 = try #require(throws: ProtobufError.self) { try KubeProtobuf.decode(Array("{}".utf8)) }
        #expect(e1.offset == 0)
        var bad = ProtoTestWriter()
        bad.message(1) { m in m.int(1, 5) }  // name as a varint
        let e2 = try #require(throws: ProtobufError.self) {
            try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "v1", kind: "Namespace", raw: bad))
        }
        #expect(e2.field == "metadata.name")
        #expect(e2.problem == "field 1 has wire type varint, expected length-delimited")
        #expect(e2.description.hasPrefix("protobuf: byte "))
        let e3 = try #require(throws: ProtobufError.self) {
            try KubeProtobuf.decode(ProtoTestWriter.envelope(apiVersion: "batch/v1", kind: "Job", raw: ProtoTestWriter()))
        }
        #expect(e3.problem.contains("kind \"Job\""))
        // A length that runs past the end.
        let e4 = try #require(throws: ProtobufError.self) { try KubeProtobuf.decode(KubeProtobuf.magic + [0x12, 0x7F, 0x00]) }
        #expect(e4.offset == 5)
        #expect(e4.problem.hasPrefix("length 127 runs past the end"))
        // An endless varint.
        let e5 = try #require(throws: ProtobufError.self) {
            try KubeProtobuf.decode(KubeProtobuf.magic + [0x28] + Array(repeating: 0xFF, count: 12))
        }
        #expect(e5.problem == "varint overflows 64 bits")
    }

    @Test("hostile input never crashes: every truncation and many byte flips")
    func hostile() {
        let good = Self.createDeployment
        for n in 0..<good.count {
            _ = try? KubeProtobuf.decode(Array(good[0..<n]))
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<3000 {
            var mutated = good
            for _ in 0..<3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let i = 4 + Int(state >> 33) % (mutated.count - 4)
                mutated[i] = UInt8(truncatingIfNeeded: state >> 17)
            }
            _ = try? KubeProtobuf.decode(mutated)
        }
        #expect(throws: ProtobufError.self) { try KubeProtobuf.decode(Array(good.dropLast())) }
    }

    @Test("RFC 3339 formatting of times")
    func times() {
        #expect(ProtoTimestamp.format(seconds: 0) == "1970-01-01T00:00:00Z")
        #expect(ProtoTimestamp.format(seconds: -1) == "1969-12-31T23:59:59Z")
        #expect(ProtoTimestamp.format(seconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(ProtoTimestamp.format(seconds: 253_402_300_800) == nil)
    }
}
