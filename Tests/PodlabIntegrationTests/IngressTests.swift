import Foundation
import Testing

/// Ingress on real packets: the built-in ingress-nginx controller routes HTTP from `outside` by host and path.
@Suite("ingress on real packets", .enabled(if: Privilege.canRunCluster), .serialized, .offPool)
struct IngressTests {
    static let manifest = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: mycompany
        spec:
          ingressClassName: nginx
          rules:
          - host: api.mycompany.com
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: api-service
                    port:
                      number: 80
          - host: www.mycompany.com
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: web-service
                    port:
                      name: http
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: paths
        spec:
          rules:
          - host: paths.example.com
            http:
              paths:
              - path: /aaa/bbb
                pathType: Prefix
                backend:
                  service:
                    name: api-service
                    port:
                      number: 80
              - path: /foo
                pathType: Prefix
                backend:
                  service:
                    name: api-service
                    port:
                      number: 80
              - path: /foo
                pathType: Exact
                backend:
                  service:
                    name: web-service
                    port:
                      number: 80
          - host: refused.example.com
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: refused
                    port:
                      number: 80
          - host: "*.wild.example.com"
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: web-service
                    port:
                      number: 80
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: other-class
          annotations:
            kubernetes.io/ingress.class: traefik
        spec:
          rules:
          - host: traefik.example.com
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: api-service
                    port:
                      number: 80
        """

    /// One request from outside: the status code and the answering pod's hostname (whoami's `Hostname:` line).
    struct Answer: CustomStringConvertible {
        var code: String
        var hostname: String
        var description: String { "\(code) \(hostname)" }
    }

    /// Sends each (host, path) request to `address` from `outside`, all in one shell, in order.
    static func probe(_ c: TestCluster, _ address: String, _ requests: [(String, String)]) throws -> [Answer] {
        let script = requests.map { host, path in
            "curl -s -m 5 -o /tmp/ing.$$ -w '%{http_code}' -H 'Host: \(host)' 'http://\(address)\(path)'; "
                + "printf ' %s\\n' \"$(sed -n 's/^Hostname: //p' /tmp/ing.$$)\""
        }.joined(separator: "; ") + "; rm -f /tmp/ing.$$"
        let r = try c.podlab(["shell", "outside", "--", "/bin/sh", "-c", script], timeout: .seconds(60))
        return r.lines.map { line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return Answer(code: parts.first ?? "", hostname: parts.count > 1 ? parts[1] : "")
        }
    }

    @Test("seed 001's hosts, Prefix/Exact/wildcard/default, 502/503, forwarded headers, TLS by SNI, kubectl columns",
          arguments: KubectlBinary.all.prefix(1))
    func routing(_ k: KubectlBinary) throws {
        let c = try TestCluster.get()
        let ns = c.namespace("ing", k)
        _ = try c.kubectl(k, ["create", "ns", ns])
        for app in ["api", "web"] {
            _ = try c.kubectl(k, ["-n", ns, "create", "deployment", app, "--image=traefik/whoami"])
            _ = try c.kubectl(k, ["-n", ns, "expose", "deployment", app, "--name", "\(app)-service", "--port", "80",
                                  "--target-port", "80"])
        }
        // A Service whose endpoints listen on nothing: the backend refuses.
        _ = try c.kubectl(k, ["-n", ns, "expose", "deployment", "api", "--name", "refused", "--port", "80", "--target-port", "81"])
        // web-service's port is named, so the Ingress can name it.
        _ = try c.kubectl(k, ["-n", ns, "patch", "svc", "web-service", "--type", "json", "-p",
                              #"[{"op":"add","path":"/spec/ports/0/name","value":"http"}]"#])
        let applied = try c.kubectl(k, ["-n", ns, "apply", "-f", try c.file("\(ns)-ingress.yaml", Self.manifest)])
        #expect(applied.status == 0, "\(applied)")
        try ServicesTests.waitReady(c, k, ns: ns, pods: 2)

        var address = ""
        try c.eventually("the Ingress has an ADDRESS", attempts: 300) {
            address = try c.kubectl(k, ["-n", ns, "get", "ingress", "mycompany", "-o",
                                        "jsonpath={.status.loadBalancer.ingress[0].ip}"]).out
            return !address.isEmpty
        }
        let lb = try c.kubectl(k, ["-n", "ingress-nginx", "get", "svc", "ingress-nginx-controller", "-o",
                                   "jsonpath={.status.loadBalancer.ingress[0].ip}"]).out
        #expect(address == lb)

        // Both hosts route to their own Service once the controller has the endpoints.
        var answers: [Answer] = []
        try c.eventually("both hosts answer from their Service", attempts: 100, interval: .milliseconds(200)) {
            answers = try Self.probe(c, address, [("api.mycompany.com", "/"), ("www.mycompany.com", "/x")])
            return answers.count == 2 && answers[0].hostname.hasPrefix("api-") && answers[1].hostname.hasPrefix("web-")
        }
        #expect(answers.map(\.code) == ["200", "200"], "\(answers)")

        let cases: [(String, String, String)] = [
            ("paths.example.com", "/aaa/bbb", "api-"), ("paths.example.com", "/aaa/bbb/ccc", "api-"),
            ("paths.example.com", "/aaa/bbbxyz", "404"), ("paths.example.com", "/foo", "web-"),
            ("paths.example.com", "/foo/", "api-"), ("paths.example.com", "/ccc", "404"),
            ("a.wild.example.com", "/", "web-"), ("b.a.wild.example.com", "/", "404"), ("wild.example.com", "/", "404"),
            ("nobody.example.com", "/", "404"), ("traefik.example.com", "/", "404"), ("refused.example.com", "/", "502"),
        ]
        let got = try Self.probe(c, address, cases.map { ($0.0, $0.1) })
        #expect(got.count == cases.count, "\(got)")
        for (i, (host, path, want)) in cases.enumerated() where i < got.count {
            if want.first?.isNumber == true {
                #expect(got[i].code == want, "\(host)\(path): \(got[i])")
            } else {
                #expect(got[i].code == "200" && got[i].hostname.hasPrefix(want), "\(host)\(path): \(got[i])")
            }
        }

        // The backend sees the client (outside, 172.18.0.1) and the original Host.
        let headers = try c.podlab(["shell", "outside", "--", "/usr/bin/curl", "-s", "-m", "5", "-H",
                                    "Host: api.mycompany.com", "http://\(address)/headers"])
        #expect(headers.out.contains("X-Forwarded-For: 172.18.0.1"), "\(headers)")
        #expect(headers.out.contains("X-Real-Ip: 172.18.0.1"), "\(headers)")
        #expect(headers.out.contains("Host: api.mycompany.com"), "\(headers)")
        #expect(headers.out.contains("X-Forwarded-Proto: http"), "\(headers)")

        // No ready endpoint: 503; one back: 200 again within a second of its endpoint being ready.
        _ = try c.kubectl(k, ["-n", ns, "scale", "deployment", "web", "--replicas=0"])
        try c.eventually("www answers 503", attempts: 100, interval: .milliseconds(200)) {
            try Self.probe(c, address, [("www.mycompany.com", "/")]).first?.code == "503"
        }
        _ = try c.kubectl(k, ["-n", ns, "scale", "deployment", "web", "--replicas=1"])
        try ServicesTests.waitEndpoints(c, k, ns: ns, service: "web-service", count: 1)
        let restored = try c.podlab(["shell", "outside", "--", "/bin/sh", "-c",
            "for i in $(seq 10); do c=$(curl -s -o /dev/null -m 1 -w '%{http_code}' -H 'Host: www.mycompany.com' "
                + "http://\(address)/); [ \"$c\" = 200 ] && { echo ok $i; exit 0; }; sleep 0.1; done; echo $c"])
        #expect(restored.out.hasPrefix("ok"), "\(restored)")

        // kubectl's columns, as kube-apiserver prints them.
        let table = try c.kubectl(k, ["-n", ns, "get", "ingress"])
        #expect(table.lines.first?.split(separator: " ", omittingEmptySubsequences: true)
            == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], "\(table)")
        let row = table.lines.first { $0.hasPrefix("mycompany ") } ?? ""
        let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(cells.count == 6 && cells[1] == "nginx" && cells[2] == "api.mycompany.com,www.mycompany.com"
                && cells[3] == address && cells[4] == "80", "\(table)")
        // Created without a class, `paths` was given the default class nginx, as the DefaultIngressClass admission does.
        let admitted = try c.kubectl(k, ["-n", ns, "get", "ingress", "paths", "-o", "jsonpath={.spec.ingressClassName}"])
        #expect(admitted.out == "nginx", "\(admitted)")
        let other = try c.kubectl(k, ["-n", ns, "get", "ingress", "other-class", "-o",
                                      "jsonpath={.status.loadBalancer.ingress}"])
        #expect(other.out.isEmpty, "an Ingress of another class gets no address: \(other)")

        // TLS: a Secret made by `kubectl create secret tls` is served for its host (verified against that very
        // certificate); a host whose Secret is missing gets the default certificate and the Ingress an event.
        let crt = try c.file("\(ns)-tls.crt", ""), key = try c.file("\(ns)-tls.key", "")
        let openssl = try run(["/usr/bin/openssl", "req", "-x509", "-nodes", "-days", "2", "-newkey", "rsa:2048",
                               "-keyout", key, "-out", crt, "-subj", "/CN=secure.example.com",
                               "-addext", "subjectAltName=DNS:secure.example.com"])
        #expect(openssl.status == 0, "\(openssl)")
        _ = try c.kubectl(k, ["-n", ns, "create", "secret", "tls", "secure-tls", "--cert", crt, "--key", key])
        let created = try c.kubectl(k, ["-n", ns, "create", "ingress", "secure",
                                        "--rule=secure.example.com/*=api-service:80,tls=secure-tls",
                                        "--rule=nosecret.example.com/*=api-service:80,tls=missing-tls"])
        #expect(created.status == 0, "\(created)")
        var secure = Run(status: 1, out: "", err: "")
        try c.eventually("https answers for secure.example.com", attempts: 100, interval: .milliseconds(200)) {
            secure = try c.podlab(["shell", "outside", "--", "/usr/bin/curl", "-s", "-m", "5", "--cacert", crt,
                                   "--resolve", "secure.example.com:443:\(address)", "https://secure.example.com/tls"])
            return secure.status == 0 && secure.out.contains("Hostname: api-")
        }
        #expect(secure.out.contains("X-Forwarded-Proto: https"), "\(secure)")
        // Plain HTTP to a host with a certificate: ingress-nginx's ssl-redirect, 308 to https.
        let redirect = try c.podlab(["shell", "outside", "--", "/usr/bin/curl", "-s", "-m", "5", "-o", "/dev/null", "-w",
                                     "%{http_code} %{redirect_url}", "-H", "Host: secure.example.com", "http://\(address)/x"])
        #expect(redirect.out == "308 https://secure.example.com/x", "\(redirect)")
        let fake = try c.podlab(["shell", "outside", "--", "/usr/bin/curl", "-skv", "-m", "5", "-o", "/dev/null",
                                 "--resolve", "nosecret.example.com:443:\(address)", "https://nosecret.example.com/"])
        #expect(fake.err.contains("Kubernetes Ingress Controller Fake Certificate"), "\(fake)")
        try c.eventually("a Warning event names the missing Secret") {
            try c.kubectl(k, ["-n", ns, "get", "events", "--field-selector", "involvedObject.name=secure", "-o",
                              "jsonpath={.items[*].message}"]).out.contains("\"\(ns)/missing-tls\"")
        }
        let ports = try c.kubectl(k, ["-n", ns, "get", "ingress", "secure", "--no-headers"])
        #expect(ports.out.contains(" 80, 443 "), "\(ports)")

        // podlab explain prints the routes the controller serves for one Ingress.
        let explained = try c.podlab(["explain", "ingress/paths", "-n", ns])
        let exact = explained.out.split(separator: "\n").first { $0.contains("paths.example.com") && $0.contains(" Exact ") } ?? ""
        #expect(explained.status == 0 && exact.contains("/foo") && exact.contains("web-service:80") && exact.contains("10.244."),
                "\(explained)")
        #expect(explained.out.contains("*.wild.example.com"), "\(explained)")
        _ = try c.kubectl(k, ["delete", "ns", ns, "--wait=false"])
    }
}
