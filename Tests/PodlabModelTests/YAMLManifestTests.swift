import Testing

@testable import PodlabModel

@Suite("Manifest loading")
struct YAMLManifestTests {
    @Test("multi-document YAML gives one manifest per document with its line; empty documents are skipped")
    func multiDocument() throws {
        let text = """
            # a deployment and a service
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: my-nginx
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                  - name: nginx
                    image: "nginx:1.25"
                    ports:
                    - containerPort: 80
            ---
            # nothing here
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: my-nginx, labels: {app: my-nginx}}
            spec:
              ports:
              - port: 80
                targetPort: 80
            """
        let manifests = try ManifestLoader.load(text, source: "run-my-nginx.yaml")
        #expect(manifests.count == 2)
        #expect(manifests[0].line == 2)
        #expect(manifests[0].documentIndex == 0)
        #expect(manifests[0].object.at("spec.replicas") == 2)
        #expect(manifests[0].object.at("spec.template.spec.containers")[0]["ports"] == [["containerPort": 80]])
        #expect(manifests[1].documentIndex == 2)
        #expect(manifests[1].line == 18)
        #expect(manifests[1].object.at("metadata.labels") == ["app": "my-nginx"])
        #expect(manifests[1].source == "run-my-nginx.yaml")
    }

    @Test(
        "plain scalars resolve as go-yaml v2 (YAML 1.1) does; quoted ones stay strings",
        arguments: [
            ("true", JSONValue.bool(true)), ("yes", .bool(true)), ("on", .bool(true)), ("Off", .bool(false)),
            ("n", .bool(false)), ("\"yes\"", .string("yes")), ("'on'", .string("on")), ("~", .null), ("null", .null),
            ("", .null), ("42", .int(42)), ("-7", .int(-7)), ("0x1F", .int(31)), ("017", .int(15)), ("0o17", .int(15)),
            ("1_000", .int(1000)), ("08", .int(8)), ("1.5", .double(1.5)), ("1.0", .int(1)), ("1e3", .int(1000)),
            (".5", .double(0.5)), ("\"80\"", .string("80")), ("!!str 80", .string("80")), ("80/TCP", .string("80/TCP")),
            ("2024-01-02", .string("2024-01-02T00:00:00Z")), ("2024-02-30", .string("2024-02-30")),
            ("nginx:1.25", .string("nginx:1.25")), ("10.0.0.1", .string("10.0.0.1")), ("!!int \"12\"", .int(12)),
            ("|\n  line\n", .string("line\n")),
        ] as [(String, JSONValue)])
    func scalars(text: String, expected: JSONValue) throws {
        let doc = "apiVersion: v1\nkind: ConfigMap\nvalue: \(text)\n"
        let manifests = try ManifestLoader.load(doc, source: "x.yaml")
        #expect(manifests.first?.object["value"] == expected)
    }

    @Test("non-string keys become strings, anchors and << merge keys work")
    func keysAndMerge() throws {
        let text = """
            apiVersion: v1
            kind: ConfigMap
            base: &base {a: 1, b: 2}
            data:
              <<: *base
              b: 3
              on: x
              8080: http
            """
        let object = try #require(try ManifestLoader.load(text, source: "x.yaml").first).object
        #expect(object["data"] == ["a": 1, "b": 3, "true": "x", "8080": "http"])
    }

    @Test("List kinds are expanded into their items, each with its line")
    func lists() throws {
        let text = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: a}
            - apiVersion: v1
              kind: Namespace
              metadata: {name: b}
            """
        let manifests = try ManifestLoader.load(text, source: "list.yaml")
        #expect(manifests.map { $0.object.at("metadata.name") } == ["a", "b"])
        #expect(manifests.map(\.line) == [4, 7])
        #expect(manifests.allSatisfy { $0.documentIndex == 0 })
    }

    @Test("JSON files load as JSON")
    func json() throws {
        let manifests = try ManifestLoader.load("\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"x\":1.5}", source: "p.json")
        #expect(manifests.count == 1)
        #expect(manifests[0].line == 2)
        #expect(manifests[0].object["x"] == 1.5)
        let error = try #require(throws: ManifestError.self) { try ManifestLoader.load("{\"a\": }", source: "bad.json") }
        #expect(error.source == "bad.json")
        #expect(error.line == 1)
    }

    @Test("syntax errors and non-mapping documents are reported as file:line:column: problem")
    func errors() throws {
        let e1 = try #require(throws: ManifestError.self) {
            try ManifestLoader.load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: [a\n", source: "bad.yaml")
        }
        #expect(e1.description.hasPrefix("bad.yaml:"))
        #expect(e1.problem.hasPrefix("yaml: "))
        #expect(e1.line >= 5)
        let e2 = try #require(throws: ManifestError.self) {
            try ManifestLoader.load("apiVersion: v1\nkind: Pod\n---\n- a\n- b\n", source: "seq.yaml")
        }
        #expect(e2.description == "seq.yaml:4:1: document 1 is a array, expected a mapping with apiVersion and kind")
        let e3 = try #require(throws: ManifestError.self) {
            try ManifestLoader.load("apiVersion: v1\nmetadata:\n  name: x\n", source: "nokind.yaml")
        }
        #expect(e3.description == "nokind.yaml:1:1: kind: Required value: every object needs apiVersion and kind")
        let e4 = try #require(throws: ManifestError.self) {
            try ManifestLoader.load("apiVersion: v1\nkind: Pod\nspec:\n  x: .inf\n", source: "inf.yaml")
        }
        #expect(e4.description == "inf.yaml:4:6: spec.x: unsupported value .inf: JSON has no NaN or infinity")
        let e5 = try #require(throws: ManifestError.self) {
            try ManifestLoader.load("apiVersion: v1\nkind: Pod\nspec:\n  ? [a]\n  : 1\n", source: "key.yaml")
        }
        #expect(e5.field == "spec")
        #expect(e5.problem == "a mapping key must be a scalar, not a sequence")
        let e6 = try #require(throws: ManifestError.self) {
            try ManifestLoader.load("apiVersion: v1\nkind: Pod\na: 1\na: 2\n", source: "dup.yaml")
        }
        #expect(e6.problem.contains("duplicate key"))
    }

    @Test("an empty stream has no manifests")
    func empty() throws {
        #expect(try ManifestLoader.load("", source: "e.yaml").isEmpty)
        #expect(try ManifestLoader.load("# only a comment\n---\n", source: "e.yaml").isEmpty)
    }
}
