@testable import PodlabModel

/// Applies nft scripts of the forms `ProxyRuleset` writes to an in-memory table, failing where the kernel would
/// refuse them: a rule or element naming a chain or set that does not exist (yet), deleting a chain or set that
/// something still refers to, redefining an object with `add`, deleting what is not there. Tests use it to show
/// that a diff is a valid transaction and that it turns the old table into the new one.
struct ProxyScriptInterpreter {
    struct Chain: Equatable {
        var definition: String
        var rules: [String]
    }
    struct Set: Equatable {
        var kind: String
        var definition: String
        var elements: [String: String]  // key -> full element text
    }
    struct Failure: Error, CustomStringConvertible {
        var line: String
        var problem: String
        var description: String { "\(problem): \(line)" }
    }

    var chains: [String: Chain] = [:]
    var sets: [String: Set] = [:]

    mutating func run(_ script: String) throws {
        for line in script.split(separator: "\n").map(String.init) { try apply(line) }
    }

    private mutating func apply(_ line: String) throws {
        func fail(_ problem: String) -> Failure { Failure(line: line, problem: problem) }
        let w = line.split(separator: " ", maxSplits: 4).map(String.init)
        let verb = w[0]
        let kind = w[1]
        guard w.count >= 4 || kind == "table" else { throw fail("short command") }
        switch (verb, kind) {
        case ("add", "table"): break
        case ("delete", "table"):
            chains = [:]
            sets = [:]
        case ("add", "chain"):
            let (name, def) = nameAndRest(w)
            if let existing = chains[name] {
                if existing.definition != def { throw fail("chain redefined") }
            } else {
                chains[name] = Chain(definition: def, rules: [])
            }
        case ("flush", "chain"):
            guard chains[w[4]] != nil else { throw fail("no such chain") }
            chains[w[4]]?.rules = []
        case ("delete", "chain"):
            let name = w[4]
            guard chains[name] != nil else { throw fail("no such chain") }
            if isReferenced(name) { throw fail("chain in use") }
            chains[name] = nil
        case ("add", "rule"):
            let (chain, rule) = nameAndRest(w)
            guard chains[chain] != nil else { throw fail("no such chain") }
            try checkReferences(rule, line)
            chains[chain]?.rules.append(rule)
        case ("add", "set"), ("add", "map"):
            let (name, def) = nameAndRest(w)
            if let existing = sets[name] {
                if existing.definition != def || existing.kind != kind { throw fail("set redefined") }
            } else {
                sets[name] = Set(kind: kind, definition: def, elements: [:])
            }
        case ("flush", "set"), ("flush", "map"):
            guard sets[w[4]]?.kind == kind else { throw fail("no such \(kind)") }
            sets[w[4]]?.elements = [:]
        case ("delete", "set"), ("delete", "map"):
            guard sets[w[4]]?.kind == kind else { throw fail("no such \(kind)") }
            if isReferenced("@" + w[4]) { throw fail("set in use") }
            sets[w[4]] = nil
        case ("add", "element"), ("delete", "element"):
            let (set, rest) = nameAndRest(w)
            guard sets[set] != nil else { throw fail("no such set") }
            let body = String(rest.dropFirst(2).dropLast(2))  // "{ … }"
            let key = elementKey(body)
            if verb == "add" {
                try checkReferences(body, line)
                if let had = sets[set]?.elements[key], had != body { throw fail("element exists with another value") }
                sets[set]?.elements[key] = body
            } else {
                guard sets[set]?.elements[key] != nil else { throw fail("no such element") }
                sets[set]?.elements[key] = nil
            }
        default: throw fail("unknown command")
        }
    }

    /// `add chain ip kube-proxy NAME REST…` → (NAME, REST).
    private func nameAndRest(_ w: [String]) -> (String, String) {
        let tail = w[4]
        guard let space = tail.firstIndex(of: " ") else { return (tail, "") }
        return (String(tail[..<space]), String(tail[tail.index(after: space)...]))
    }

    private func elementKey(_ body: String) -> String {
        let cut = [body.range(of: " comment ")?.lowerBound, body.range(of: " : ")?.lowerBound].compactMap { $0 }.min()
        return cut.map { String(body[..<$0]) } ?? body
    }

    /// Chains (`goto X`, `jump X`) and sets (`@X`) a rule or element names must exist.
    private func checkReferences(_ text: String, _ line: String) throws {
        let words = text.split(separator: " ").map(String.init)
        for (i, word) in words.enumerated() {
            if word.hasPrefix("@"), sets[String(word.dropFirst())] == nil {
                throw Failure(line: line, problem: "no such set \(word)")
            }
            if word == "goto" || word == "jump", i + 1 < words.count, chains[words[i + 1]] == nil {
                throw Failure(line: line, problem: "no such chain \(words[i + 1])")
            }
        }
    }

    /// Whether any rule or element names `name` (a chain, or `@set`).
    private func isReferenced(_ name: String) -> Bool {
        let texts = chains.values.flatMap(\.rules) + sets.values.flatMap { $0.elements.values }
        return texts.contains { $0.split(separator: " ").contains { String($0) == name } }
    }

    /// The state `render()` of `ruleset` produces from nothing.
    static func state(of ruleset: ProxyRuleset) throws -> ProxyScriptInterpreter {
        var i = ProxyScriptInterpreter()
        try i.run(ruleset.render())
        return i
    }
}
