import Testing

@testable import PodlabApps

@Suite("httpenv, whoami and the minikube demo responders")
struct OtherRespondersTests {
    @Test("httpenv answers the environment as Go's json.Marshal writes it, on every path")
    func httpenv() async throws {
        let launch = makeLaunch(
            .httpenv,
            env: [
                ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), ("HOSTNAME", "httpenv-1"),
                ("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("A", "<x>"), ("A", "later wins"),
            ])
        try await withResponder(launch) { port, log in
            let (responses, _) = try await RawHTTP.exchange(
                port: port, "GET /anything HTTP/1.1\r\nHost: httpenv:8888\r\n\r\n")
            let r = try #require(responses.first)
            #expect(r.status == 200)
            #expect(
                r.body == #"{"A":"later wins","HOME":"/root","HOSTNAME":"httpenv-1","KUBERNETES_SERVICE_HOST":"10.96.0.1","#
                    + #""PATH":"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}"#)
            #expect(r.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(log.all.count == 1)
            #expect(log.all.first?.contains("127.0.0.1:") == true)
        }
    }

    @Test("Go's JSON escapes HTML characters and controls")
    func goJSON() {
        #expect(GoJSON.quoted("a<b>&\"\\\n\u{1}") == #""a\u003cb\u003e\u0026\"\\\n\u0001""#)
        #expect(GoJSON.quoted("<", htmlSafe: false) == #""<""#)
    }

    @Test("whoami prints the hostname, addresses, remote address and the request as Go writes it")
    func whoami() async throws {
        let launch = makeLaunch(.whoami, env: [("NAME_APPLICATION", "phippy")], hostname: "destination-6f66576498-j84m4")
        try await withResponder(launch) { port, log in
            let (responses, _) = try await RawHTTP.exchange(
                port: port, "GET /x?y=1 HTTP/1.1\r\nHost: svc-destination:8080\r\nuser-agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
            let r = try #require(responses.first)
            #expect(r.status == 200)
            #expect(r.body.contains("|  PHIPPY  |"))
            #expect(r.body.contains("Name: phippy\nHostname: destination-6f66576498-j84m4\n"))
            #expect(r.body.contains("IP: 127.0.0.1\n"))
            #expect(r.body.contains("RemoteAddr: 127.0.0.1:"))
            #expect(
                r.body.hasSuffix(
                    "GET /x?y=1 HTTP/1.1\r\nHost: svc-destination:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"))
            #expect(log.all.first?.hasSuffix("Starting up on port \(port)") == true)
            #expect(log.all.last?.contains("\"GET /x HTTP/1.1\" - -") == true)
        }
    }

    @Test("whoami's /api answers JSON and /health 200")
    func whoamiAPI() async throws {
        try await withResponder(makeLaunch(.whoami, hostname: "w1")) { port, _ in
            let (responses, _) = try await RawHTTP.exchange(
                port: port, "GET /api HTTP/1.1\r\nHost: w\r\n\r\nGET /health HTTP/1.1\r\nHost: w\r\n\r\n", count: 2)
            #expect(responses.map(\.status) == [200, 200])
            #expect(responses.first?.header("Content-Type") == "application/json")
            #expect(responses.first?.body.hasPrefix(#"{"hostname":"w1","ip":["#) == true)
            #expect(responses.first?.body.contains(#""url":"/api","host":"w","method":"GET""#) == true)
        }
    }

    @Test("the demo server answers Hello world and logs as Hono's logger")
    func demoServer() async throws {
        try await withResponder(makeLaunch(.demoServer)) { port, log in
            let (responses, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(responses.first?.body == #"{"message":"Hello world!"}"#)
            #expect(responses.first?.header("content-type") == "application/json")
            #expect(log.all.first == "Listening on http://0.0.0.0:\(port)/")
            #expect(log.all.contains("<-- GET /"))
            #expect(log.all.last?.hasPrefix("--> GET / 200 ") == true)
            let (missing, _) = try await RawHTTP.exchange(port: port, "GET /other HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(missing.first?.status == 404)
        }
    }

    @Test("the fetcher answers Fetched: plus the demo server's message")
    func fetcher() async throws {
        try await withResponder(makeLaunch(.demoServer)) { serverPort, _ in
            let launch = makeLaunch(.demoFetcher, env: [("FETCH_URL", "http://localhost:\(serverPort)")])
            try await withResponder(launch) { port, _ in
                let (responses, _) = try await RawHTTP.exchange(
                    port: port, "GET / HTTP/1.1\r\nHost: f\r\n\r\nGET / HTTP/1.1\r\nHost: f\r\n\r\n", count: 2)
                #expect(responses.map(\.status) == [200, 200])
                #expect(responses.first?.body == #"{"message":"Fetched: Hello world!"}"#)
            }
        }
    }

    @Test("the fetcher answers 502 naming the reason when nothing listens or the name does not resolve")
    func fetcherFailures() async throws {
        // A port that was just free: bind, learn it, let the server stop.
        let closedPort = try await withResponder(makeLaunch(.demoServer)) { port, _ in port }
        let refused = makeLaunch(.demoFetcher, env: [("FETCH_URL", "http://127.0.0.1:\(closedPort)")])
        try await withResponder(refused) { port, log in
            let (responses, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: f\r\n\r\n")
            #expect(responses.first?.status == 502)
            #expect(responses.first?.body.contains("cannot connect to 127.0.0.1:\(closedPort)") == true)
            #expect(responses.first?.body.contains("Connection refused") == true)
            #expect(log.all.contains { $0.hasPrefix("Fetch failed: cannot connect") })
        }
        let unresolvable = makeLaunch(.demoFetcher, env: [("FETCH_URL", "http://no-such-host.invalid:8000")])
        try await withResponder(unresolvable) { port, _ in
            let (responses, _) = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: f\r\n\r\n")
            #expect(responses.first?.status == 502)
            #expect(responses.first?.body.contains("cannot resolve no-such-host.invalid: ") == true)
        }
    }

    @Test("URLs the fetcher takes", arguments: [
        ("http://minikube-demo-server-service:8000", "minikube-demo-server-service", 8000, "/"),
        ("http://[::1]:81/x", "::1", 81, "/x"), ("http://h", "h", 80, "/"),
    ])
    func urls(text: String, host: String, port: Int, path: String) throws {
        let url = try #require(FetchURL(text))
        #expect(url.host == host && url.port == port && url.path == path)
    }
}
