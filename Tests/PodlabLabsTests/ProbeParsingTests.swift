import Testing

@testable import PodlabLabs

@Suite struct ProbeParsingTests {
    @Test func httpAnswersSplitByMarker() {
        let text = "@@request 0\nHostname: web-1\nIP: 10.244.1.5\n@@status 200\n@@request 7\ncurl: (7) Failed to connect\n@@status 000\n"
        let answers = ProbeScript.parseHTTP(text)
        #expect(answers.count == 2)
        #expect(answers[0] == HTTPAnswer(curlExit: 0, status: 200, body: "Hostname: web-1\nIP: 10.244.1.5"))
        #expect(answers[1].curlExit == 7)
        #expect(answers[1].status == nil)
        #expect(answers[1].outcome == "connection refused (curl 7)")
    }

    @Test func digStatusAndRecords() {
        let text = """
            ;; Got answer:
            ;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4321
            ;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1
            httpenv-hl.default.svc.cluster.local. 30 IN A 10.244.1.7
            httpenv-hl.default.svc.cluster.local. 30 IN A 10.244.0.9
            """
        let a = ProbeScript.parseDig(text)
        #expect(a.rcode == "NOERROR")
        #expect(a.records.map(\.value) == ["10.244.1.7", "10.244.0.9"])
        #expect(ProbeScript.parseDig(";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1").rcode == "NXDOMAIN")
    }

    @Test func spreadNamesPodsThatDidNotAnswer() {
        let answers = ["a", "a", "b"].map { HTTPAnswer(curlExit: 0, status: 200, body: "Hostname: \($0)\n") }
        let ids = Spread.identities(answers, identity: #"Hostname: (\S+)"#)
        #expect(ids == ["a", "a", "b"])
        #expect(Spread.failure(identities: ids, expected: ["a", "b"], min: nil) == nil)
        let missing = Spread.failure(identities: ids, expected: ["a", "b", "c"], min: nil)
        #expect(missing?.contains("answered by 2 pod(s) (a×2, b×1); expected at least 3 of 3") == true)
        let stranger = Spread.failure(identities: ids + ["z"], expected: ["a", "b"], min: 1)
        #expect(stranger?.contains("answers came from z") == true)
    }

    @Test func textExpectations() {
        #expect(TextExpectation(equals: "ClusterIP").failure(for: "ClusterIP\n") == nil)
        #expect(TextExpectation(equals: "ClusterIP").failure(for: "NodePort") == "expected \"ClusterIP\", got \"NodePort\"")
        #expect(TextExpectation(contains: ["<title>Welcome to nginx!</title>"]).failure(for: "<title>Welcome to nginx!</title>") == nil)
        #expect(TextExpectation(matches: #"^\d+:3\d{4}/TCP$"#).failure(for: "8080:31202/TCP") == nil)
        #expect(TextExpectation(notContains: ["10.244"]).failure(for: "10.244.0.1") != nil)
    }

    @Test func kubectlWordsKeepQuotedParts() {
        #expect(CheckRunner.words("get svc web -o 'jsonpath={.spec.ports[0].nodePort}'")
            == ["get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"])
        #expect(CheckRunner.words(#"get pods -l "app in (a, b)""#) == ["get", "pods", "-l", "app in (a, b)"])
    }

    @Test func shellQuoting() {
        #expect(ProbeScript.shellQuote("http://web:80/") == "http://web:80/")
        #expect(ProbeScript.shellQuote("it's") == #"'it'\''s'"#)
    }

    @Test func packetCountsSumOverCounters() {
        #expect(CheckRunner.packets("chain x {\n counter packets 3 bytes 180 jump y\n counter packets 4 bytes 1 }") == 7)
        #expect(CheckRunner.packets("chain x { }") == 0)
    }
}
