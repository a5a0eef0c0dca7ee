import Foundation
import Yams

/// A lab.yaml that cannot be used, said as `labs/x/lab.yaml:12:7: steps[1].checks[0].http.requests: must be 1-500, got 0`.
public struct LabFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var column: Int
    public var field: String
    public var problem: String

    public var description: String {
        "\(source):\(line):\(column): " + (field.isEmpty ? "" : "\(field): ") + problem
    }
}

/// Reads lab.yaml files.
public enum LabLoader {
    /// Parses a lab.yaml's text; `name` is the lab's folder name.
    public static func parse(_ text: String, name: String, source: String) throws -> Lab {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw LabFileError(source: source, line: 1, column: 1, field: "", problem: "the file is empty")
            }
            root = node
        } catch let e as LabFileError {
            throw e
        } catch let e as YamlError {
            switch e {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
                throw LabFileError(source: source, line: mark.line, column: mark.column, field: "", problem: "not YAML: \(what)")
            default:
                throw LabFileError(source: source, line: 1, column: 1, field: "", problem: "not YAML: \(e)")
            }
        }
        let r = Reader(source: source)
        let top = LabNode(node: root, path: "")
        try r.only(top, ["title", "description", "source", "objectives", "namespaces", "cleanup", "steps"])
        let steps = try r.list(top["steps"], required: true).map { try step($0, r) }
        if steps.isEmpty { throw r.error(top["steps"], "a lab needs at least one step") }
        return Lab(
            name: name,
            title: try r.string(top["title"], required: true) ?? "",
            description: try r.string(top["description"], required: true) ?? "",
            source: try r.string(top["source"]) ?? "",
            objectives: try r.strings(top["objectives"]),
            namespaces: try r.strings(top["namespaces"]),
            cleanup: try r.strings(top["cleanup"]),
            steps: steps)
    }

    static func step(_ n: LabNode, _ r: Reader) throws -> LabStep {
        try r.only(n, ["title", "text", "note", "commands", "checks", "hint"])
        return LabStep(
            title: try r.string(n["title"], required: true) ?? "",
            text: try r.string(n["text"], required: true) ?? "",
            note: try r.string(n["note"]),
            commands: try r.list(n["commands"]).map { try command($0, r) },
            checks: try r.list(n["checks"]).map { try check($0, r) },
            hint: try r.string(n["hint"]))
    }

    static func command(_ n: LabNode, _ r: Reader) throws -> LabCommand {
        if n.node?.scalar != nil { return LabCommand(run: try r.string(n, required: true) ?? "") }
        try r.only(n, ["run", "shown", "note", "in", "pod", "namespace", "node", "fails", "timeout"])
        return LabCommand(
            run: try r.string(n["run"], required: true) ?? "",
            shown: try r.string(n["shown"]),
            note: try r.string(n["note"]),
            place: try place(n, r),
            expectFailure: try r.bool(n["fails"]) ?? false,
            timeout: try r.int(n["timeout"], range: 1...600) ?? 60)
    }

    /// `in: vm | pod | node | outside`, with `pod:` / `namespace:` / `node:` beside it.
    static func place(_ n: LabNode, _ r: Reader, key: String = "in") throws -> LabPlace {
        // In a check, `namespace` is where the Service and pods it reads are; `podNamespace` is the probing pod's.
        let namespace = try r.string(n["podNamespace"]) ?? r.string(n["namespace"]) ?? "default"
        switch try r.string(n[key]) ?? (n["pod"].node != nil ? "pod" : "vm") {
        case "vm": return .vm
        case "outside": return .outside
        case "pod":
            guard let target = try r.string(n["pod"]) else {
                throw r.error(n, "\(key): pod needs `pod:` (a pod name or deploy/NAME)")
            }
            return .pod(target: target, namespace: namespace)
        case "node": return .node(try r.string(n["node"]) ?? "")
        case let other:
            throw r.error(n[key], "must be vm, pod, node or outside, got \(other.debugDescription)")
        }
    }

    static let checkKinds = ["rollout", "pods", "kubectl", "endpoints", "http", "dns", "counters", "command"]

    static func check(_ n: LabNode, _ r: Reader) throws -> LabCheck {
        let present = checkKinds.filter { n[$0].node != nil }
        guard present.count == 1, let kind = present.first else {
            throw r.error(n, "a check names exactly one of \(checkKinds.joined(separator: ", ")); found "
                + (present.isEmpty ? "none" : present.joined(separator: ", ")))
        }
        let common = ["namespace", "podNamespace", "title", "wait"]
        let namespace = try r.string(n["namespace"]) ?? "default"
        let wait = try r.int(n["wait"], range: 0...300) ?? 0
        let value = n[kind]
        let result: LabCheck.Kind
        var title = try r.string(n["title"])
        switch kind {
        case "rollout":
            try r.only(n, common + ["rollout"])
            let target = try r.string(value, required: true) ?? ""
            result = .rollout(deployment: target)
            title = title ?? "\(target) rolled out"
        case "pods":
            try r.only(n, common + ["pods", "ready", "nodes"])
            let selector = try r.string(value, required: true) ?? ""
            let ready = try r.int(n["ready"], range: 0...1000, required: true) ?? 0
            let nodes = try r.int(n["nodes"], range: 1...16)
            result = .pods(selector: selector, ready: ready, nodes: nodes)
            title = title ?? "\(ready) pod(s) \(selector) ready" + (nodes.map { " on \($0) node(s)" } ?? "")
        case "kubectl":
            try r.only(n, common + ["kubectl"] + expectationKeys)
            let args = try r.string(value, required: true) ?? ""
            let expect = try expectation(n, r)
            result = .kubectl(arguments: args, expect: expect)
            title = title ?? "kubectl \(args): \(expect)"
        case "endpoints":
            try r.only(n, common + ["endpoints", "count", "matchSelector"])
            let service = try r.string(value, required: true) ?? ""
            let count = try r.int(n["count"], range: 0...1000, required: true) ?? 0
            result = .endpoints(service: service, count: count, matchSelector: try r.bool(n["matchSelector"]) ?? true)
            title = title ?? "Service \(service) has \(count) ready endpoint(s)"
        case "http":
            try r.only(n, common + ["http", "in", "pod", "node", "requests", "expect", "status", "curl", "spread", "service"]
                + expectationKeys.map { "body" + $0.prefix(1).uppercased() + $0.dropFirst() })
            let probe = try http(n, r)
            result = .http(probe)
            title = title ?? "\(probe.url) from \(probe.place)"
        case "dns":
            try r.only(n, common + ["dns", "type", "in", "pod", "node", "rcode", "values", "count", "service"])
            let probe = DNSProbe(
                name: try r.string(value, required: true) ?? "",
                type: (try r.string(n["type"]) ?? "A").uppercased(),
                place: try place(n, r),
                rcode: (try r.string(n["rcode"]) ?? "NOERROR").uppercased(),
                values: n["values"].node == nil ? nil : try r.strings(n["values"]),
                count: try r.int(n["count"], range: 0...1000),
                service: try r.string(n["service"]))
            result = .dns(probe)
            title = title ?? "\(probe.type) \(probe.name) from \(probe.place)"
        case "counters":
            try r.only(n, common + ["counters", "port", "endpoints"])
            let service = try r.string(value, required: true) ?? ""
            result = .counters(
                service: service, port: try r.string(n["port"]), endpoints: try r.int(n["endpoints"], range: 1...1000))
            title = title ?? "packets counted in \(service)'s endpoint chains"
        default:
            try r.only(n, common + ["command", "in", "pod", "node"] + expectationKeys)
            let run = try r.string(value, required: true) ?? ""
            result = .command(run: run, place: try place(n, r), expect: try expectation(n, r))
            title = title ?? run
        }
        return LabCheck(kind: result, namespace: namespace, title: title ?? kind, wait: wait)
    }

    static let expectationKeys = ["equals", "contains", "matches", "lacks"]

    static func expectation(_ n: LabNode, _ r: Reader, prefix: String = "") throws -> TextExpectation {
        func key(_ k: String) -> String { prefix.isEmpty ? k : prefix + k.prefix(1).uppercased() + k.dropFirst() }
        let matches = try r.string(n[key("matches")])
        if let matches, (try? NSRegularExpression(pattern: matches)) == nil {
            throw r.error(n[key("matches")], "not a regular expression: \(matches.debugDescription)")
        }
        return TextExpectation(
            equals: try r.string(n[key("equals")]),
            contains: try r.stringOrStrings(n[key("contains")]),
            matches: matches,
            notContains: try r.stringOrStrings(n[key("lacks")]))
    }

    static func http(_ n: LabNode, _ r: Reader) throws -> HTTPProbe {
        let outcomeText = try r.string(n["expect"]) ?? "answered"
        guard let outcome = ConnectOutcome(rawValue: outcomeText) else {
            throw r.error(n["expect"], "must be answered, refused or timeout, got \(outcomeText.debugDescription)")
        }
        var spread: HTTPProbe.Spread?
        let s = n["spread"]
        if s.node != nil {
            try r.only(s, ["pods", "identity", "min"])
            let identity = try r.string(s["identity"], required: true) ?? ""
            guard let regex = try? NSRegularExpression(pattern: identity), regex.numberOfCaptureGroups >= 1 else {
                throw r.error(s["identity"], "must be a regular expression with a group that captures the pod's name")
            }
            spread = HTTPProbe.Spread(
                selector: try r.string(s["pods"], required: true) ?? "", identity: identity,
                min: try r.int(s["min"], range: 1...1000))
        }
        return HTTPProbe(
            url: try r.string(n["http"], required: true) ?? "",
            place: try place(n, r),
            requests: try r.int(n["requests"], range: 1...500) ?? 1,
            outcome: outcome,
            status: outcome == .answered ? (try r.int(n["status"], range: 100...599) ?? 200) : nil,
            body: try expectation(n, r, prefix: "body"),
            curlOptions: try r.string(n["curl"]) ?? "",
            spread: spread,
            service: try r.string(n["service"]))
    }
}

/// A YAML node with the field path that leads to it (nil when the key is absent).
struct LabNode {
    var node: Node?
    var path: String

    subscript(key: String) -> LabNode {
        LabNode(node: node?.mapping?[key], path: path.isEmpty ? key : path + "." + key)
    }
}

/// Typed reads with errors that carry the file, line, column and field path.
struct Reader {
    var source: String

    func error(_ n: LabNode, _ problem: String) -> LabFileError {
        let mark = n.node?.mark
        return LabFileError(
            source: source, line: mark?.line ?? 1, column: mark?.column ?? 1, field: n.path, problem: problem)
    }

    func only(_ n: LabNode, _ keys: [String]) throws {
        guard let mapping = n.node?.mapping else {
            throw error(n, "must be a mapping")
        }
        for (k, _) in mapping {
            guard let name = k.string, keys.contains(name) else {
                throw error(
                    LabNode(node: k, path: n.path.isEmpty ? (k.string ?? "?") : n.path + "." + (k.string ?? "?")),
                    "unknown field (known: \(keys.joined(separator: ", ")))")
            }
        }
    }

    func string(_ n: LabNode, required: Bool = false) throws -> String? {
        guard let node = n.node else {
            if required { throw error(n, "required") }
            return nil
        }
        guard let scalar = node.scalar else { throw error(n, "must be a string") }
        return scalar.string
    }

    func int(_ n: LabNode, range: ClosedRange<Int>, required: Bool = false) throws -> Int? {
        guard let text = try string(n, required: required) else { return nil }
        guard let v = Int(text), range.contains(v) else {
            throw error(n, "must be a whole number \(range.lowerBound)-\(range.upperBound), got \(text.debugDescription)")
        }
        return v
    }

    func bool(_ n: LabNode) throws -> Bool? {
        guard let text = try string(n) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw error(n, "must be true or false, got \(text.debugDescription)")
        }
    }

    func list(_ n: LabNode, required: Bool = false) throws -> [LabNode] {
        guard let node = n.node else {
            if required { throw error(n, "required") }
            return []
        }
        guard let seq = node.sequence else { throw error(n, "must be a list") }
        return seq.enumerated().map { LabNode(node: $0.element, path: "\(n.path)[\($0.offset)]") }
    }

    func strings(_ n: LabNode) throws -> [String] {
        try list(n).map { try string($0, required: true) ?? "" }
    }

    func stringOrStrings(_ n: LabNode) throws -> [String] {
        if n.node?.scalar != nil { return [try string(n) ?? ""] }
        return try strings(n)
    }
}
