import Testing

@testable import PodlabModel

@Suite("Label selector text")
struct LabelSelectorParseTests {
    @Test(
        "kubectl label selector forms select as kube-apiserver does",
        arguments: [
            ("app=web", ["app": "web"], true),
            ("app==web", ["app": "web"], true),
            ("app=web", ["app": "api"], false),
            ("app!=web", ["app": "api"], true),
            ("app!=web", [:], true),
            ("app in (web,api)", ["app": "api"], true),
            ("app in (web,api)", [:], false),
            ("app notin (web)", [:], true),
            ("app notin (web)", ["app": "web"], false),
            ("app", ["app": ""], true),
            ("!app", ["app": "x"], false),
            ("!app", ["tier": "x"], true),
            ("app=web,tier=db", ["app": "web", "tier": "db"], true),
            ("app=web,tier=db", ["app": "web"], false),
            ("  app = web ,  tier  in ( a , b )  ", ["app": "web", "tier": "b"], true),
            ("kubernetes.io/service-name=my-nginx", ["kubernetes.io/service-name": "my-nginx"], true),
            ("app=", ["app": ""], true),
            ("app in ()", ["app": ""], true),
            ("n>3", ["n": "4"], true),
            ("n<3", ["n": "4"], false),
            ("", ["x": "y"], true),
        ] as [(String, [String: String], Bool)])
    func matches(selector: String, labels: [String: String], expected: Bool) throws {
        #expect(try LabelSelectorQuery(parsing: selector).matches(labels) == expected)
    }

    @Test("description sorts requirements by key and values inside in()")
    func description() throws {
        #expect(try LabelSelectorQuery(parsing: "tier in (b,a),app=web,!x,y").description == "app=web,tier in (a,b),!x,y")
        #expect(try LabelSelectorQuery(parsing: "").isEmpty)
        #expect(try !LabelSelectorQuery(parsing: "a").isEmpty)
    }

    @Test(
        "parse errors are worded as kube-apiserver's",
        arguments: [
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("a in x", "unable to parse requirement: found 'x' expected: '('"),
            ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("a=b,", "found '', expected: identifier after ','"),
            ("a=b c", "found 'c', expected: ',' or 'end of string'"),
            ("=a", "found '=', expected: !, identifier, or 'end of string'"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            (
                "a=-b",
                "unable to parse requirement: values[0][a]: Invalid value: \"-b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ),
            (
                "-a=b",
                "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            ),
            ("n>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ])
    func errors(selector: String, message: String) throws {
        let error = try #require(throws: SelectorError.self) { try LabelSelectorQuery(parsing: selector) }
        #expect(error.message == message)
    }
}

@Suite("Structured label selectors")
struct StructuredLabelSelectorTests {
    @Test("matchLabels and matchExpressions convert to one matcher")
    func convert() throws {
        let s = LabelSelector(
            matchLabels: ["app": "web"],
            matchExpressions: [
                LabelSelectorRequirement(key: "tier", operator: "In", values: ["b", "a"]),
                LabelSelectorRequirement(key: "canary", operator: "DoesNotExist"),
            ])
        let q = try LabelSelectorQuery(s)
        #expect(q.matches(["app": "web", "tier": "a"]))
        #expect(!q.matches(["app": "web", "tier": "a", "canary": "1"]))
        #expect(!q.matches(["app": "web", "tier": "c"]))
        // Sorted by key; "!" belongs to the requirement, not the key.
        #expect(q.description == "app=web,!canary,tier in (a,b)")
        #expect(s.formatted == "app=web,!canary,tier in (a,b)")
    }

    @Test("FormatLabelSelector: nil and empty print <none>; a nil selector matches nothing, an empty one everything")
    func format() throws {
        #expect(LabelSelector.format(nil) == "<none>")
        #expect(LabelSelector().formatted == "<none>")
        #expect(LabelSelector(matchLabels: ["app": "httpenv"]).formatted == "app=httpenv")
        #expect(try !LabelSelectorQuery(nil).matches([:]))
        #expect(try LabelSelectorQuery(LabelSelector()).matches(["a": "b"]))
        #expect(LabelSelector(matchExpressions: [.init(key: "a", operator: "Foo")]).formatted == "<error>")
    }

    @Test("an unknown operator is refused when converting")
    func badOperator() throws {
        let error = try #require(throws: SelectorError.self) {
            try LabelSelectorQuery(LabelSelector(matchExpressions: [.init(key: "a", operator: "Equals", values: ["x"])]))
        }
        #expect(error.message == "\"Equals\" is not a valid label selector operator")
    }

    @Test("validation reports field errors at their paths")
    func validation() {
        let s = LabelSelector(
            matchLabels: ["app": "we b"],
            matchExpressions: [
                .init(key: "tier", operator: "In"), .init(key: "x", operator: "Exists", values: ["1"]),
                .init(key: "a/b/c", operator: "Near"),
            ])
        let errors = s.validate(at: "spec.selector").map(\.description)
        #expect(errors.count == 5)
        #expect(errors[0].hasPrefix("spec.selector.matchLabels: Invalid value: \"we b\": a valid label must be"))
        #expect(errors[1] == "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'")
        #expect(errors[2] == "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
        #expect(errors[3] == "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator")
        #expect(errors[4].hasPrefix("spec.selector.matchExpressions[2].key: Invalid value: \"a/b/c\": a qualified name must consist of"))
        #expect(LabelSelector(matchLabels: ["app": "web"]).validate(at: "spec.selector").isEmpty)
    }

    @Test("Service selector maps print sorted k=v, <none> when empty")
    func mapSelectors() {
        #expect(LabelSelectorQuery.formatLabels(["tier": "db", "app": "web"]) == "app=web,tier=db")
        #expect(LabelSelectorQuery.formatLabels(nil) == "<none>")
        #expect(LabelSelectorQuery(matchingLabels: ["app": "web"]).matches(["app": "web", "x": "y"]))
        #expect(LabelSelectorQuery(matchingLabels: [:]).isEmpty)
    }

    @Test("label key syntax: prefix must be a DNS subdomain")
    func keySyntax() {
        #expect(LabelSyntax.keyProblems("app.kubernetes.io/name").isEmpty)
        #expect(LabelSyntax.keyProblems("/name") == ["prefix part must be non-empty"])
        #expect(LabelSyntax.keyProblems("Example.com/x").first?.hasPrefix("prefix part a lowercase RFC 1123 subdomain") == true)
        #expect(LabelSyntax.keyProblems(String(repeating: "a", count: 64)) == ["name part must be no more than 63 characters"])
    }
}

@Suite("Field selectors")
struct FieldSelectorTests {
    let pod: JSONValue = [
        "metadata": ["name": "tmp1", "namespace": "default"],
        "spec": ["nodeName": "node-1", "restartPolicy": "Always"],
        "status": ["phase": "Running", "podIPs": [["ip": "10.244.1.5"]]],
    ]

    @Test("metadata.name, status.phase and != terms, ANDed")
    func pods() throws {
        let r = Resources.pods
        #expect(try FieldSelectorQuery(parsing: "metadata.name=tmp1").matches(pod, resource: r))
        #expect(try FieldSelectorQuery(parsing: "metadata.name==tmp1,status.phase!=Pending").matches(pod, resource: r))
        #expect(try !FieldSelectorQuery(parsing: "metadata.name=tmp1,spec.nodeName=node-2").matches(pod, resource: r))
        #expect(try FieldSelectorQuery(parsing: "status.podIP=10.244.1.5").matches(pod, resource: r))
        #expect(try FieldSelectorQuery(parsing: "spec.hostNetwork=false").matches(pod, resource: r))
        // An unset field has the value "": `status.nominatedNodeName=` selects pods without one.
        #expect(try FieldSelectorQuery(parsing: "status.nominatedNodeName=", resource: r).matches(pod, resource: r))
    }

    @Test("describe's event selector matches the involved object")
    func events() throws {
        let event: JSONValue = [
            "metadata": ["name": "e1", "namespace": "default"],
            "involvedObject": ["kind": "Service", "name": "my-nginx", "namespace": "default", "uid": "u-1"],
            "reason": "Created", "type": "Normal", "source": ["component": "podlab"],
        ]
        let q = try FieldSelectorQuery(
            parsing: "involvedObject.uid=u-1,involvedObject.name=my-nginx,involvedObject.namespace=default,involvedObject.kind=Service",
            resource: Resources.events)
        #expect(q.matches(event, resource: Resources.events))
        #expect(try FieldSelectorQuery(parsing: "source=podlab").matches(event, resource: Resources.events))
        #expect(try !FieldSelectorQuery(parsing: "involvedObject.kind=Pod").matches(event, resource: Resources.events))
    }

    @Test("unsupported fields get kube-apiserver's errors")
    func unsupported() throws {
        let e1 = try #require(throws: SelectorError.self) { try FieldSelectorQuery(parsing: "foo=bar", resource: Resources.pods) }
        #expect(e1.message == "field label not supported: foo")
        let e2 = try #require(throws: SelectorError.self) {
            try FieldSelectorQuery(parsing: "spec.replicas=1", resource: Resources.deployments)
        }
        #expect(e2.message == "\"spec.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
        #expect(try FieldSelectorQuery(parsing: "spec.type=NodePort", resource: Resources.services).terms.count == 1)
        #expect(try !FieldSelectorQuery(parsing: "foo=bar").matches(pod, resource: Resources.pods))
    }

    @Test("syntax errors and escapes")
    func syntax() throws {
        let e1 = try #require(throws: SelectorError.self) { try FieldSelectorQuery(parsing: "metadata.name") }
        #expect(e1.message == "invalid selector: 'metadata.name'; can't understand 'metadata.name'")
        let e2 = try #require(throws: SelectorError.self) { try FieldSelectorQuery(parsing: "a=b=c") }
        #expect(e2.message == "invalid field selector: unescaped character in value: 61")
        let e3 = try #require(throws: SelectorError.self) { try FieldSelectorQuery(parsing: "a=b\\x") }
        #expect(e3.message == "invalid field selector: invalid escape sequence: \\x")
        let q = try FieldSelectorQuery(parsing: "metadata.name=a\\,b,metadata.namespace!=x")
        #expect(q.terms.map(\.value) == ["a,b", "x"])
        #expect(q.requiredValue(for: "metadata.name") == "a,b")
        #expect(q.description == "metadata.name=a\\,b,metadata.namespace!=x")
        #expect(try FieldSelectorQuery(parsing: "").isEmpty)
    }
}
