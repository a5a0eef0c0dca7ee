import Foundation
import Testing

/// Every bad input gets a precise error and leaves the cluster as it was.
@Suite("bad input is refused precisely and changes nothing", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct BadInputTests {
    /// Names and resourceVersions of everything in a namespace: equal before and after a refused write
    /// means nothing was half-applied.
    func fingerprint(_ c: TestCluster, _ k: KubectlBinary, _ ns: String) throws -> String {
        try c.kubectl(
            k,
            ["-n", ns, "get", "deploy,rs,svc,pods,cm", "-o",
             "jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion} {end}"]
        ).out
    }

    @Test("validation errors name the field, as kube-apiserver words them", arguments: KubectlBinary.all)
    func validation(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("invalid", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        _ = try c.kubectl(k, ["-n", ns, "create", "deployment", "keep", "--image=nginx"])
        try c.eventually("settled") { try c.kubectl(k, ["-n", ns, "get", "pods", "-o", "name"]).lines.count == 1 }
        Thread.sleep(forTimeInterval: 0.5)
        let before = try fingerprint(c, k, ns)

        let cases: [(String, String)] = [
            (
                """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  selector: {app: web}
                  ports:
                  - port: 70000
                """,
                // targetPort defaults to port, so kube-apiserver reports both; kubectl lists them with "* ".
                #"* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"#
            ),
            (
                """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  type: NodePort
                  selector: {app: web}
                  ports:
                  - port: 80
                    nodePort: 80
                """,
                #"spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"#
            ),
            (
                """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  clusterIP: 10.0.0.5
                  ports:
                  - port: 80
                """,
                #"spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12"#
            ),
            (
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: Bad_Name}
                spec:
                  selector: {matchLabels: {app: x}}
                  template:
                    metadata: {labels: {app: x}}
                    spec: {containers: [{name: x, image: nginx}]}
                """,
                #"The Deployment "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name""#
            ),
            (
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: mismatch}
                spec:
                  selector: {matchLabels: {app: x}}
                  template:
                    metadata: {labels: {app: other}}
                    spec: {containers: [{name: x, image: nginx}]}
                """,
                #"spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`"#
            ),
            (
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: unknown}
                spec:
                  foo: 1
                  selector: {matchLabels: {app: x}}
                  template:
                    metadata: {labels: {app: x}}
                    spec: {containers: [{name: x, image: nginx, bogus: true}]}
                """,
                #"strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bogus""#
            ),
            (
                """
                apiVersion: v1
                kind: Service
                metadata: {name: proto}
                spec:
                  ports:
                  - port: 80
                    protocol: FOO
                """,
                #"spec.ports[0].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP""#
            ),
        ]
        for (i, (manifest, expected)) in cases.enumerated() {
            let f = try c.file("bad\(i)-\(ns).yaml", manifest)
            let r = try c.kubectl(k, ["-n", ns, "apply", "-f", f])
            #expect(r.status != 0, "case \(i) was accepted: \(r)")
            #expect(r.err.contains(expected), "case \(i): \(r)")
        }
        // kubectl's own checks: malformed YAML, an unknown apiVersion.
        var r = try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("malformed-\(ns).yaml", "apiVersion: v1\nkind: [Service\n")])
        #expect(r.status != 0 && r.err.contains("error"), "\(r)")
        r = try c.kubectl(
            k, ["-n", ns, "apply", "-f", try c.file("wrongversion-\(ns).yaml", "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: x}\n")])
        #expect(r.status != 0 && r.err.contains(#"no matches for kind "Deployment" in version "apps/v2""#), "\(r)")

        #expect(try fingerprint(c, k, ns) == before, "a refused write changed the cluster")
    }

    @Test("a stale resourceVersion is a Conflict; a duplicate name is AlreadyExists", arguments: KubectlBinary.all)
    func conflicts(k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("conflict", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        _ = try c.kubectl(k, ["-n", ns, "create", "configmap", "cfg", "--from-literal=a=1"])
        let old = try c.kubectl(k, ["-n", ns, "get", "cm", "cfg", "-o", "json"]).out
        let stale = try c.file("stale-\(ns).json", old.replacingOccurrences(of: "\"a\": \"1\"", with: "\"a\": \"2\""))
        _ = try c.kubectl(k, ["-n", ns, "label", "cm", "cfg", "changed=yes"])
        let before = try fingerprint(c, k, ns)
        var r = try c.kubectl(k, ["-n", ns, "replace", "-f", stale])
        #expect(r.status != 0, "\(r)")
        #expect(r.err.contains(#"Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again"#), "\(r)")
        #expect(try c.kubectl(k, ["-n", ns, "get", "cm", "cfg", "-o", "jsonpath={.data.a}"]).out == "1")
        r = try c.kubectl(k, ["create", "ns", ns])
        #expect(r.err.contains(#"Error from server (AlreadyExists): namespaces "\#(ns)" already exists"#), "\(r)")
        #expect(try fingerprint(c, k, ns) == before)
    }
}
