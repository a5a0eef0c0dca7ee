import Testing

@testable import PodlabModel

/// Parses JSON text in tests; test inputs are literals, so a parse failure is a test bug.
private func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

@Suite("Strategic merge patch")
struct StrategicMergePatchTests {
    static let deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"my-nginx","namespace":"default","uid":"u1","resourceVersion":"7",
           "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\\"old\\":1}\\n","keep":"me"},
           "labels":{"app":"my-nginx"},"finalizers":["a"]},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"my-nginx"}},
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
           "template":{"metadata":{"labels":{"app":"my-nginx"}},
             "spec":{"containers":[{"name":"nginx","image":"nginx:1.25","imagePullPolicy":"IfNotPresent",
                 "ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{}},
               {"name":"sidecar","image":"busybox"}],
               "restartPolicy":"Always","dnsPolicy":"ClusterFirst","tolerations":[{"key":"a"},{"key":"b"}]}}},
         "status":{"replicas":2,"conditions":[{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}]}}
        """

    @Test("kubectl apply re-apply body: replicas, image and annotation change, the rest is kept")
    func reapplyDeployment() throws {
        let patch = try json(
            """
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\\"new\\":1}\\n"}},
             "spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],
                     "containers":[{"image":"nginx:1.26","name":"nginx"}]}}}}
            """)
        let out = try StrategicMergePatch.apply(patch, to: try json(Self.deployment), kind: "Deployment")
        #expect(out.at("spec.replicas") == 3)
        #expect(out.at("metadata.annotations") == ["kubectl.kubernetes.io/last-applied-configuration": "{\"new\":1}\n", "keep": "me"])
        let containers = try #require(out.at("spec.template.spec.containers").array)
        #expect(containers.count == 2)
        #expect(containers[0] == ["name": "nginx", "image": "nginx:1.26", "imagePullPolicy": "IfNotPresent", "ports": [["containerPort": 80, "protocol": "TCP"]], "resources": [:]])
        // The sidecar is not in $setElementOrder: a server-only item, kept after nginx as in the live list.
        #expect(containers[1] == ["name": "sidecar", "image": "busybox"])
        #expect(out.at("status") == (try json(Self.deployment)).at("status"))
        #expect(out["kind"] == "Deployment")
    }

    static let service = """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"my-nginx","labels":{"app":"my-nginx"}},
         "spec":{"type":"NodePort","clusterIP":"10.96.0.12","clusterIPs":["10.96.0.12"],"selector":{"app":"my-nginx"},
           "ports":[{"port":80,"protocol":"TCP","targetPort":80,"nodePort":31001}],"sessionAffinity":"None"}}
        """

    @Test("kubectl apply service port change replaces port 80 by 8080")
    func servicePortChange() throws {
        let patch = try json(
            """
            {"spec":{"$setElementOrder/ports":[{"port":8080}],"ports":[{"port":8080,"targetPort":80},{"$patch":"delete","port":80}]}}
            """)
        let out = try StrategicMergePatch.apply(patch, to: try json(Self.service), kind: "Service")
        #expect(out.at("spec.ports") == [["port": 8080, "targetPort": 80]])
        #expect(out.at("spec.clusterIP") == "10.96.0.12")
        #expect(out.at("spec.selector") == ["app": "my-nginx"])
    }

    @Test("kubectl edit body: a new label and a changed port")
    func editService() throws {
        let target = try json(
            """
            {"kind":"Service","metadata":{"name":"x","labels":{"app":"x"}},
             "spec":{"ports":[{"port":8888,"protocol":"TCP","targetPort":8888}],"selector":{"app":"x"}}}
            """)
        let patch = try json(
            """
            {"metadata":{"labels":{"edited":"yes"}},"spec":{"$setElementOrder/ports":[{"port":9999}],
             "ports":[{"port":9999,"protocol":"TCP","targetPort":8888},{"$patch":"delete","port":8888}]}}
            """)
        let out = try StrategicMergePatch.apply(patch, to: target, kind: "Service")
        #expect(out.at("metadata.labels") == ["app": "x", "edited": "yes"])
        #expect(out.at("spec.ports") == [["port": 9999, "protocol": "TCP", "targetPort": 8888]])
    }

    @Test("container ports merge by containerPort while Service ports merge by port")
    func mergeKeysByContext() throws {
        let dep = try json(Self.deployment)
        let p1 = try json(#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","ports":[{"containerPort":443}]}]}}}}"#)
        let out = try StrategicMergePatch.apply(p1, to: dep, kind: "Deployment")
        #expect(out.at("spec.template.spec.containers")[0]["ports"] == [["containerPort": 443], ["containerPort": 80, "protocol": "TCP"]])
        let p2 = try json(#"{"spec":{"ports":[{"port":80,"name":"http"}]}}"#)
        let svc = try StrategicMergePatch.apply(p2, to: try json(Self.service), kind: "Service")
        #expect(svc.at("spec.ports") == [["port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 31001, "name": "http"]])
    }

    @Test("lists without a merge key (tolerations) are replaced, maps merge and null deletes")
    func atomicAndNull() throws {
        let patch = try json(
            #"{"metadata":{"labels":{"app":null,"tier":"web"}},"spec":{"template":{"spec":{"tolerations":[{"key":"c"}],"dnsPolicy":null}}}}"#)
        let out = try StrategicMergePatch.apply(patch, to: try json(Self.deployment), kind: "Deployment")
        #expect(out.at("metadata.labels") == ["tier": "web"])
        #expect(out.at("spec.template.spec.tolerations") == [["key": "c"]])
        #expect(out.at("spec.template.spec.dnsPolicy") == .null)
        #expect(out.at("spec.template.spec.restartPolicy") == "Always")
    }

    @Test("lists of EndpointSlice and Endpoints objects are atomic")
    func endpointSliceAtomic() throws {
        let target = try json(#"{"endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]}],"ports":[{"port":80}]}"#)
        let out = try StrategicMergePatch.apply(try json(#"{"endpoints":[{"addresses":["10.0.0.3"]}]}"#), to: target, kind: "EndpointSlice")
        #expect(out["endpoints"] == [["addresses": ["10.0.0.3"]]])
        #expect(out["ports"] == [["port": 80]])
    }

    @Test("finalizers merge as a set and $deleteFromPrimitiveList removes values")
    func finalizers() throws {
        let dep = try json(Self.deployment)
        let add = try StrategicMergePatch.apply(try json(#"{"metadata":{"finalizers":["b","a"]}}"#), to: dep, kind: "Deployment")
        #expect(add.at("metadata.finalizers") == ["b", "a"])
        let both = try StrategicMergePatch.apply(
            try json(#"{"metadata":{"finalizers":["c"],"$deleteFromPrimitiveList/finalizers":["a"]}}"#), to: dep, kind: "Deployment")
        #expect(both.at("metadata.finalizers") == ["c"])
    }

    @Test("$patch: replace on a map and on a list; $patch: delete on a map")
    func replaceDirectives() throws {
        let dep = try json(Self.deployment)
        let mapReplace = try StrategicMergePatch.apply(
            try json(#"{"spec":{"selector":{"$patch":"replace","matchLabels":{"x":"y"}}}}"#), to: dep, kind: "Deployment")
        #expect(mapReplace.at("spec.selector") == ["matchLabels": ["x": "y"]])
        let listReplace = try StrategicMergePatch.apply(
            try json(#"{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"i"}]}}}}"#),
            to: dep, kind: "Deployment")
        #expect(listReplace.at("spec.template.spec.containers") == [["name": "only", "image": "i"]])
        let mapDelete = try StrategicMergePatch.apply(
            try json(#"{"spec":{"strategy":{"$patch":"delete"}}}"#), to: dep, kind: "Deployment")
        #expect(mapDelete.at("spec.strategy") == [:])
    }

    @Test("$retainKeys clears unlisted keys (Deployment strategy switch to Recreate)")
    func retainKeys() throws {
        let out = try StrategicMergePatch.apply(
            try json(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#),
            to: try json(Self.deployment), kind: "Deployment")
        #expect(out.at("spec.strategy") == ["type": "Recreate"])
        let error = try #require(throws: PatchError.self) {
            try StrategicMergePatch.apply(
                try json(#"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}}"#),
                to: try json(Self.deployment), kind: "Deployment")
        }
        #expect(error.description == "spec.strategy.$retainKeys: the patch sets \"rollingUpdate\", which $retainKeys does not list")
    }

    @Test("a new merged list is taken with directives and nulls removed")
    func absentList() throws {
        let out = try StrategicMergePatch.apply(
            try json(#"{"spec":{"template":{"spec":{"initContainers":[{"name":"a","image":"x","tty":null},{"name":"b","$patch":"delete"}]}}}}"#),
            to: try json(Self.deployment), kind: "Deployment")
        #expect(out.at("spec.template.spec.initContainers") == [["name": "a", "image": "x"]])
    }

    @Test("conditions merge by type; ownerReferences by uid")
    func conditionsAndOwners() throws {
        let out = try StrategicMergePatch.apply(
            try json(#"{"status":{"conditions":[{"type":"Available","status":"False"}]},"metadata":{"ownerReferences":[{"uid":"1","name":"a"}]}}"#),
            to: try json(Self.deployment), kind: "Deployment")
        #expect(out.at("status.conditions") == [["type": "Available", "status": "False"], ["type": "Progressing", "status": "True"]])
        let again = try StrategicMergePatch.apply(
            try json(#"{"metadata":{"ownerReferences":[{"uid":"1","kind":"K"}]}}"#), to: out, kind: "Deployment")
        #expect(again.at("metadata.ownerReferences") == [["uid": "1", "name": "a", "kind": "K"]])
    }

    @Test("errors name the field path: missing merge key, non-object element, unknown directive")
    func errors() throws {
        let dep = try json(Self.deployment)
        let e1 = try #require(throws: PatchError.self) {
            try StrategicMergePatch.apply(try json(#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#), to: dep, kind: "Deployment")
        }
        #expect(e1.description == "spec.template.spec.containers[0]: does not contain declared merge key: name")
        let e2 = try #require(throws: PatchError.self) {
            try StrategicMergePatch.apply(try json(#"{"spec":{"ports":["80"]}}"#), to: try json(Self.service), kind: "Service")
        }
        #expect(e2.description == "spec.ports[0]: must be an object with merge key \"port\", got string")
        let e3 = try #require(throws: PatchError.self) {
            try StrategicMergePatch.apply(try json(#"{"spec":{"$patch":"frob"}}"#), to: dep, kind: "Deployment")
        }
        #expect(e3.description == "spec.$patch: unknown patch directive \"frob\" in a map (want replace, delete or merge)")
        let e4 = try #require(throws: PatchError.self) {
            try StrategicMergePatch.apply(try json(#"{"spec":{"ports":[{"$patch":"delete","name":"x"}]}}"#), to: try json(Self.service), kind: "Service")
        }
        #expect(e4.description == "spec.ports[0]: $patch: delete needs the merge key \"port\"")
        let e5 = try #require(throws: PatchError.self) {
            try StrategicMergePatch.apply([1], to: dep, kind: "Deployment")
        }
        #expect(e5.description == "a strategic merge patch must be a JSON object, got array")
    }

    // Upstream patch_test.go "set elements order in a list with server-only items" 1-3 (three-way patch on current).
    static let mergingList = PatchType(name: "Test", fields: ["mergingList": .merge(key: "name")])

    @Test(
        "$setElementOrder interleaves server-only items by their live position (upstream cases)",
        arguments: [
            (
                #"[{"name":1,"other":"a"},{"name":3,"value":3},{"name":4,"value":4},{"name":2,"value":2},{"name":9}]"#,
                #"[{"name":4},{"name":2},{"name":3},{"name":1}]"#, #"[4,2,3,1,9]"#
            ),
            (
                #"[{"name":1,"other":"a"},{"name":2,"value":2},{"name":9},{"name":3,"value":3},{"name":4,"value":4}]"#,
                #"[{"name":2},{"name":1},{"name":4},{"name":3}]"#, #"[2,1,9,4,3]"#
            ),
            (
                #"[{"name":1,"other":"a"},{"name":2,"value":2},{"name":7},{"name":9},{"name":8},{"name":3,"value":3},{"name":4,"value":4}]"#,
                #"[{"name":2},{"name":1},{"name":4},{"name":3}]"#, #"[2,1,7,9,8,4,3]"#
            ),
        ])
    func setElementOrder(current: String, order: String, expected: String) throws {
        let patch = try json(#"{"$setElementOrder/mergingList":\#(order)}"#)
        let out = try StrategicMergePatch.mergeMap(
            try #require(try json(#"{"mergingList":\#(current)}"#).object), try #require(patch.object),
            type: Self.mergingList, path: "")
        let names = try #require(out["mergingList"]?.array).map { $0["name"] }
        #expect(JSONValue.array(names) == (try json(expected)))
        let one = try #require(out["mergingList"]?.array?.first { $0["name"] == 1 })
        #expect(one["other"] == "a")
    }

    @Test("patch items are ordered by the patch, new items go before later server-only ones")
    func mergeOrder() throws {
        let out = try StrategicMergePatch.mergeMap(
            ["mergingList": [["name": "a"], ["name": "b"], ["name": "c"]]],
            ["mergingList": [["name": "c", "v": 1], ["name": "new"]]], type: Self.mergingList, path: "")
        #expect(out["mergingList"]?.array?.map { $0["name"] } == ["a", "b", "c", "new"])
    }
}
