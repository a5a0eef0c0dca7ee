import Testing

@testable import PodlabModel

@Suite("JSON values")
struct JSONValueTests {
    @Test("parses and serialises with sorted keys, so the same value always gives the same bytes")
    func roundTrip() throws {
        let v = try JSONValue(parsing: #"{"b": [1, 2.5, true, null], "a": "x\"y\n", "c": {}}"#)
        #expect(v.jsonText == #"{"a":"x\"y\n","b":[1,2.5,true,null],"c":{}}"#)
        #expect(try JSONValue(parsing: v.jsonText) == v)
    }

    @Test("escapes <, > and & as Go's encoding/json does")
    func htmlEscapes() {
        #expect(JSONValue.string("<a&b>").jsonText == #""\u003ca\u0026b\u003e""#)
    }

    @Test("decodes \\u escapes including surrogate pairs")
    func unicode() throws {
        #expect(try JSONValue(parsing: #""\u00e9\ud83d\ude00""#) == .string("é😀"))
    }

    @Test("syntax errors name the line, column and offset", arguments: [
        ("{\"a\": }", 1, 7), ("[1,\n 2,,]", 2, 4), ("{\"a\": 1} x", 1, 10), ("\"abc", 1, 1),
    ])
    func syntaxErrors(text: String, line: Int, column: Int) {
        #expect {
            _ = try JSONValue(parsing: text)
        } throws: { error in
            guard let e = error as? JSONSyntaxError else { return false }
            return e.line == line && e.column == column
        }
    }

    @Test("nesting deeper than the limit is an error, not a crash")
    func depth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { _ = try JSONValue(parsing: deep) }
    }

    @Test("dotted paths read, set and remove nested members")
    func paths() {
        var v: JSONValue = ["spec": ["template": ["metadata": ["labels": ["app": "web"]]]]]
        #expect(v.at("spec.template.metadata.labels.app") == "web")
        #expect(v.at("spec.missing.deeper").isNull)
        v.set("spec.replicas", 3)
        v.set("status.readyReplicas", 1)
        #expect(v.at("spec.replicas").int == 3 && v.at("status.readyReplicas").int == 1)
        v.remove("spec.template")
        #expect(v.at("spec.template").isNull && v.at("spec.replicas").int == 3)
    }

    @Test("typed decoding reports the field path of a mismatch")
    func typedErrors() throws {
        struct Port: Codable { var port: Int }
        struct Spec: Codable { var ports: [Port] }
        let v: JSONValue = ["ports": [["port": 80], ["port": "eighty"]]]
        #expect {
            _ = try v.decode(as: Spec.self)
        } throws: { error in
            (error as? FieldTypeError)?.description == "ports[1].port: expected integer, got string"
        }
    }
}
