import Testing

@testable import PodlabModel

@Suite("JSON merge patch (RFC 7386)")
struct JSONMergePatchTests {
    @Test("kubectl label adds a label and keeps the others")
    func labelAdd() {
        let target: JSONValue = ["metadata": ["name": "web", "labels": ["app": "web"]], "spec": ["replicas": 1]]
        let out = JSONMergePatch.apply(["metadata": ["labels": ["color": "blue"]]], to: target)
        #expect(out.at("metadata.labels") == ["app": "web", "color": "blue"])
        #expect(out.at("metadata.name") == "web")
        #expect(out.at("spec.replicas") == 1)
    }

    @Test("a null member removes the label (kubectl label color-)")
    func labelRemove() {
        let target: JSONValue = ["metadata": ["labels": ["app": "web", "color": "blue"]]]
        let out = JSONMergePatch.apply(["metadata": ["labels": ["color": nil]]], to: target)
        #expect(out.at("metadata.labels") == ["app": "web"])
    }

    @Test("kubectl scale replaces spec.replicas")
    func scale() {
        let out = JSONMergePatch.apply(["spec": ["replicas": 5]], to: ["spec": ["replicas": 1, "selector": ["a": "b"]]])
        #expect(out == ["spec": ["replicas": 5, "selector": ["a": "b"]]])
    }

    @Test("arrays are replaced whole, never merged")
    func arraysReplace() {
        let out = JSONMergePatch.apply(["a": [3]], to: ["a": [1, 2]])
        #expect(out == ["a": [3]])
    }

    @Test("RFC 7386 appendix A examples")
    func rfcExamples() {
        #expect(JSONMergePatch.apply(["a": "c"], to: ["a": "b"]) == ["a": "c"])
        #expect(JSONMergePatch.apply(["b": "c"], to: ["a": "b"]) == ["a": "b", "b": "c"])
        #expect(JSONMergePatch.apply(["a": nil], to: ["a": "b", "b": "c"]) == ["b": "c"])
        #expect(JSONMergePatch.apply(["a": ["bb": ["ccc": nil]]], to: ["a": ["b": "c"]]) == ["a": ["b": "c", "bb": [:]]])
        #expect(JSONMergePatch.apply(["a": "c"], to: ["a": ["b": "c"]]) == ["a": "c"])
        #expect(JSONMergePatch.apply(["a": ["b": "c"]], to: ["a": [1]]) == ["a": ["b": "c"]])
        #expect(JSONMergePatch.apply(["a"], to: ["a": "b"]) == ["a"])
        #expect(JSONMergePatch.apply(nil, to: ["a": "foo"]) == nil)
        #expect(JSONMergePatch.apply(["a": "bar"], to: ["a"]) == ["a": "bar"])
        #expect(JSONMergePatch.apply(["e": nil], to: ["e": nil]) == [:])
        #expect(JSONMergePatch.apply([:], to: ["c": 1]) == ["c": 1])
    }
}

@Suite("JSON patch (RFC 6902)")
struct JSONPatchTests {
    let doc: JSONValue = [
        "metadata": ["name": "web", "labels": ["app.kubernetes.io/name": "web", "a~b": "x"]],
        "spec": ["ports": [["port": 80], ["port": 443]]],
    ]

    @Test("add, replace and remove with ~0 and ~1 escapes")
    func escapes() throws {
        let out = try JSONPatch.apply(
            [
                ["op": "replace", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "api"],
                ["op": "remove", "path": "/metadata/labels/a~0b"],
                ["op": "add", "path": "/metadata/labels/new", "value": "1"],
            ], to: doc)
        #expect(out.at("metadata.labels") == ["app.kubernetes.io/name": "api", "new": "1"])
    }

    @Test("add inserts at an index, and - appends")
    func arrayAdd() throws {
        let out = try JSONPatch.apply(
            [
                ["op": "add", "path": "/spec/ports/0", "value": ["port": 8080]],
                ["op": "add", "path": "/spec/ports/-", "value": ["port": 9090]],
            ], to: doc)
        #expect(out.at("spec.ports") == [["port": 8080], ["port": 80], ["port": 443], ["port": 9090]])
    }

    @Test("move and copy; test compares 1 and 1.0 as equal")
    func moveCopyTest() throws {
        let out = try JSONPatch.apply(
            [
                ["op": "copy", "from": "/spec/ports/1", "path": "/spec/extra"],
                ["op": "move", "from": "/metadata/name", "path": "/metadata/generateName"],
                ["op": "test", "path": "/spec/extra/port", "value": 443.0],
            ], to: doc)
        #expect(out.at("spec.extra") == ["port": 443])
        #expect(out.at("metadata.generateName") == "web")
        #expect(out.at("metadata.name") == .null)
    }

    @Test("add with value null stores null; a missing value is an error")
    func nullValue() throws {
        let out = try JSONPatch.apply([["op": "add", "path": "/x", "value": nil]], to: [:])
        #expect(out == ["x": nil])
        let error = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "add", "path": "/x"]], to: [:])
        }
        #expect(error.description == "json patch operation 0 (add) at \"/x\": missing \"value\"")
    }

    @Test("errors name the operation index, op, path and the missing step")
    func errors() throws {
        let e1 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply(
                [["op": "test", "path": "/metadata/name", "value": "web"], ["op": "replace", "path": "/spec/replicas", "value": 3]],
                to: doc)
        }
        #expect(e1.description == "json patch operation 1 (replace) at \"/spec/replicas\": path does not exist: no member \"replicas\" in \"/spec\"")
        let e2 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "remove", "path": "/spec/ports/2"]], to: doc)
        }
        #expect(e2.description == "json patch operation 0 (remove) at \"/spec/ports/2\": index 2 is out of range in \"/spec/ports\" (length 2)")
        let e3 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "test", "path": "/metadata/name", "value": "api"]], to: doc)
        }
        #expect(e3.description == "json patch operation 0 (test) at \"/metadata/name\": test failed: value is \"web\", expected \"api\"")
        let e4 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "frob", "path": "/a"]], to: doc)
        }
        #expect(e4.problem.hasPrefix("unsupported operation \"frob\""))
        let e5 = try #require(throws: JSONPatchError.self) { try JSONPatch.apply(["op": "add"], to: doc) }
        #expect(e5.description == "json patch: a JSON patch must be an array of operations, got object")
        let e6 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "add", "path": "/spec/ports/01", "value": 1]], to: doc)
        }
        #expect(e6.problem == "\"01\" is not an array index in \"/spec/ports\"")
        let e7 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "add", "path": "/a~2b", "value": 1]], to: doc)
        }
        #expect(e7.problem.contains("invalid escape"))
        let e8 = try #require(throws: JSONPatchError.self) {
            try JSONPatch.apply([["op": "move", "from": "/spec", "path": "/spec/inner"]], to: doc)
        }
        #expect(e8.problem == "cannot move \"/spec\" into its own child")
    }

    @Test("a failing operation leaves the target untouched (all or nothing)")
    func atomic() throws {
        var target = doc
        #expect(throws: JSONPatchError.self) {
            target = try JSONPatch.apply(
                [["op": "remove", "path": "/metadata/name"], ["op": "remove", "path": "/nope"]], to: target)
        }
        #expect(target.at("metadata.name") == "web")
    }

    @Test("the empty path replaces the whole document")
    func root() throws {
        #expect(try JSONPatch.apply([["op": "replace", "path": "", "value": [1]]], to: doc) == [1])
    }
}
