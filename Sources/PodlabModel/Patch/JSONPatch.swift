/// RFC 6902 JSON patch (`application/json-patch+json`), as `kubectl patch --type json` sends it.
///
/// Paths are RFC 6901 JSON pointers (`/metadata/labels/app.kubernetes.io~1name`); `-` appends to an array.
public enum JSONPatch {
    /// kube-apiserver refuses patches with more operations than this (`maxJSONPatchOperations`).
    public static let maxOperations = 10_000

    /// Applies the operations in `ops` (a JSON array) to `target`, in order, all or nothing.
    ///
    /// Throws `JSONPatchError` naming the operation index, its path and what was wrong.
    public static func apply(_ ops: JSONValue, to target: JSONValue) throws -> JSONValue {
        guard case .array(let list) = ops else {
            throw JSONPatchError(index: nil, op: nil, path: nil, problem: "a JSON patch must be an array of operations, got \(ops.typeName)")
        }
        guard list.count <= maxOperations else {
            throw JSONPatchError(
                index: nil, op: nil, path: nil,
                problem: "the allowed maximum operations in a JSON patch is \(maxOperations), got \(list.count)")
        }
        var doc = target
        for (index, item) in list.enumerated() {
            doc = try Operation(parsing: item, index: index).apply(to: doc)
        }
        return doc
    }

    /// One decoded operation.
    struct Operation {
        var index: Int
        var op: String
        var path: String
        var pathTokens: [String]
        var value: JSONValue?
        var from: String?
        var fromTokens: [String]

        init(parsing item: JSONValue, index: Int) throws {
            self.index = index
            guard case .object(let members) = item else {
                throw JSONPatchError(index: index, op: nil, path: nil, problem: "must be an object, got \(item.typeName)")
            }
            guard let op = members["op"] else {
                throw JSONPatchError(index: index, op: nil, path: nil, problem: "missing \"op\"")
            }
            guard case .string(let opName) = op else {
                throw JSONPatchError(index: index, op: nil, path: nil, problem: "\"op\" must be a string, got \(op.typeName)")
            }
            self.op = opName
            guard ["add", "remove", "replace", "move", "copy", "test"].contains(opName) else {
                throw JSONPatchError(
                    index: index, op: opName, path: members["path"]?.string,
                    problem: "unsupported operation \"\(opName)\" (want add, remove, replace, move, copy or test)")
            }
            guard let path = members["path"] else {
                throw JSONPatchError(index: index, op: opName, path: nil, problem: "missing \"path\"")
            }
            guard case .string(let pathText) = path else {
                throw JSONPatchError(index: index, op: opName, path: nil, problem: "\"path\" must be a string, got \(path.typeName)")
            }
            self.path = pathText
            do {
                pathTokens = try JSONPointer.tokens(pathText)
            } catch let problem as JSONPointer.Problem {
                throw JSONPatchError(index: index, op: opName, path: pathText, problem: problem.text)
            }
            // "value" may be JSON null, which is a value: only its absence is an error.
            value = members["value"]
            if value == nil, ["add", "replace", "test"].contains(opName) {
                throw JSONPatchError(index: index, op: opName, path: pathText, problem: "missing \"value\"")
            }
            fromTokens = []
            if ["move", "copy"].contains(opName) {
                guard let f = members["from"] else {
                    throw JSONPatchError(index: index, op: opName, path: pathText, problem: "missing \"from\"")
                }
                guard case .string(let fromText) = f else {
                    throw JSONPatchError(index: index, op: opName, path: pathText, problem: "\"from\" must be a string, got \(f.typeName)")
                }
                from = fromText
                do {
                    fromTokens = try JSONPointer.tokens(fromText)
                } catch let problem as JSONPointer.Problem {
                    throw JSONPatchError(index: index, op: opName, path: pathText, problem: "from \"\(fromText)\": \(problem.text)")
                }
            }
        }

        func fail(_ problem: String) -> JSONPatchError {
            JSONPatchError(index: index, op: op, path: path, problem: problem)
        }

        func apply(to doc: JSONValue) throws -> JSONValue {
            do {
                switch op {
                case "add":
                    return try JSONPointer.add(value ?? .null, at: pathTokens[...], in: doc)
                case "remove":
                    return try JSONPointer.remove(at: pathTokens[...], in: doc)
                case "replace":
                    return try JSONPointer.replace(with: value ?? .null, at: pathTokens[...], in: doc)
                case "move":
                    if fromTokens == pathTokens { return doc }
                    // RFC 6902 §4.4: a location cannot be moved into one of its children.
                    if pathTokens.count > fromTokens.count, Array(pathTokens.prefix(fromTokens.count)) == fromTokens {
                        throw fail("cannot move \"\(from ?? "")\" into its own child")
                    }
                    let moved = try fromValue(doc)
                    let removed = try JSONPointer.remove(at: fromTokens[...], in: doc)
                    return try JSONPointer.add(moved, at: pathTokens[...], in: removed)
                case "copy":
                    return try JSONPointer.add(try fromValue(doc), at: pathTokens[...], in: doc)
                default:  // "test"; other names were refused while parsing.
                    let actual = try JSONPointer.value(at: pathTokens[...], in: doc)
                    guard actual.isEquivalent(to: value ?? .null) else {
                        throw fail("test failed: value is \(actual.jsonText), expected \((value ?? .null).jsonText)")
                    }
                    return doc
                }
            } catch let problem as JSONPointer.Problem {
                throw fail(problem.text)
            }
        }

        func fromValue(_ doc: JSONValue) throws -> JSONValue {
            do {
                return try JSONPointer.value(at: fromTokens[...], in: doc)
            } catch let problem as JSONPointer.Problem {
                throw fail("from \"\(from ?? "")\": \(problem.text)")
            }
        }
    }
}

/// Why a JSON patch could not be applied: which operation, at which path, and what was wrong.
///
/// Printed as `json patch operation 2 (replace) at "/spec/replicas": path does not exist: missing member "spec"`.
public struct JSONPatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Index of the failing operation in the patch array, nil when the patch as a whole is malformed.
    public var index: Int?
    public var op: String?
    public var path: String?
    public var problem: String

    public init(index: Int?, op: String?, path: String?, problem: String) {
        self.index = index
        self.op = op
        self.path = path
        self.problem = problem
    }

    public var description: String {
        guard let index else { return "json patch: \(problem)" }
        var s = "json patch operation \(index)"
        if let op { s += " (\(op))" }
        if let path { s += " at \"\(path)\"" }
        return s + ": " + problem
    }
}

/// RFC 6901 JSON pointers: parsing and the value-level edits JSON patch needs.
enum JSONPointer {
    /// A problem with a pointer or with what it points at, worded for error messages.
    struct Problem: Error {
        var text: String
    }

    /// Splits a pointer into unescaped reference tokens; `""` is the whole document.
    static func tokens(_ pointer: String) throws -> [String] {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else {
            throw Problem(text: "a JSON pointer must be empty or start with \"/\"")
        }
        return try pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { raw in
            var out = ""
            var it = raw.makeIterator()
            while let c = it.next() {
                guard c == "~" else {
                    out.append(c)
                    continue
                }
                // RFC 6901 §4: only ~0 (for ~) and ~1 (for /) are escapes.
                switch it.next() {
                case "0": out.append("~")
                case "1": out.append("/")
                default: throw Problem(text: "invalid escape in \"\(raw)\": \"~\" must be followed by 0 or 1")
                }
            }
            return out
        }
    }

    /// The array index a token names; `allowEnd` lets `-` and `count` through (they mean "append").
    static func arrayIndex(_ token: String, count: Int, allowEnd: Bool, at where_: String) throws -> Int {
        if token == "-" {
            guard allowEnd else { throw Problem(text: "\"-\" (the end of \(where_)) does not name an element") }
            return count
        }
        let isCanonical = !token.isEmpty && token.allSatisfy(\.isASCII) && token.allSatisfy(\.isNumber)
            && (token == "0" || !token.hasPrefix("0"))
        guard isCanonical, let i = Int(token) else {
            throw Problem(text: "\"\(token)\" is not an array index in \(where_)")
        }
        let limit = allowEnd ? count : count - 1
        guard i <= limit else {
            throw Problem(text: "index \(i) is out of range in \(where_) (length \(count))")
        }
        return i
    }

    static func render(_ tokens: ArraySlice<String>) -> String {
        tokens.isEmpty
            ? "the document"
            : "\"" + tokens.map { "/" + escape($0) }.joined() + "\""
    }

    /// One reference token written back in pointer form (`~` as `~0`, `/` as `~1`).
    static func escape(_ token: String) -> String {
        var out = ""
        for c in token {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }

    /// The value a pointer names; throws if any step is missing.
    static func value(at tokens: ArraySlice<String>, in doc: JSONValue) throws -> JSONValue {
        var cur = doc
        var walked = tokens.prefix(0)
        for token in tokens {
            switch cur {
            case .object(let members):
                guard let next = members[token] else {
                    throw Problem(text: "path does not exist: no member \"\(token)\" in \(render(walked))")
                }
                cur = next
            case .array(let items):
                cur = items[try arrayIndex(token, count: items.count, allowEnd: false, at: render(walked))]
            default:
                throw Problem(text: "path does not exist: \(render(walked)) is a \(cur.typeName), not an object or array")
            }
            walked = tokens.prefix(walked.count + 1)
        }
        return cur
    }

    /// Rebuilds `doc` with the container at `tokens.dropLast()` replaced by `edit(container, lastToken)`.
    /// `all` is the whole pointer, so messages can name the part walked so far.
    static func editParent(
        _ tokens: ArraySlice<String>, of all: ArraySlice<String>, in doc: JSONValue,
        _ edit: (JSONValue, String, ArraySlice<String>) throws -> JSONValue
    ) throws -> JSONValue {
        guard let first = tokens.first else { return doc }
        let walked = all[all.startIndex..<tokens.startIndex]
        if tokens.count == 1 { return try edit(doc, first, walked) }
        let rest = tokens.dropFirst()
        switch doc {
        case .object(var members):
            guard let child = members[first] else {
                throw Problem(text: "path does not exist: no member \"\(first)\" in \(render(walked))")
            }
            members[first] = try editParent(rest, of: all, in: child, edit)
            return .object(members)
        case .array(var items):
            let i = try arrayIndex(first, count: items.count, allowEnd: false, at: render(walked))
            items[i] = try editParent(rest, of: all, in: items[i], edit)
            return .array(items)
        default:
            throw Problem(text: "path does not exist: \(render(walked)) is a \(doc.typeName), not an object or array")
        }
    }

    static func add(_ value: JSONValue, at tokens: ArraySlice<String>, in doc: JSONValue) throws -> JSONValue {
        if tokens.isEmpty { return value }
        return try editParent(tokens, of: tokens, in: doc) { parent, token, walked in
            switch parent {
            case .object(var members):
                members[token] = value
                return .object(members)
            case .array(var items):
                items.insert(value, at: try arrayIndex(token, count: items.count, allowEnd: true, at: render(walked)))
                return .array(items)
            default:
                throw Problem(text: "cannot add to \(render(walked)): it is a \(parent.typeName), not an object or array")
            }
        }
    }

    static func remove(at tokens: ArraySlice<String>, in doc: JSONValue) throws -> JSONValue {
        guard !tokens.isEmpty else { throw Problem(text: "cannot remove the whole document") }
        return try editParent(tokens, of: tokens, in: doc) { parent, token, walked in
            switch parent {
            case .object(var members):
                guard members.removeValue(forKey: token) != nil else {
                    throw Problem(text: "path does not exist: no member \"\(token)\" in \(render(walked))")
                }
                return .object(members)
            case .array(var items):
                items.remove(at: try arrayIndex(token, count: items.count, allowEnd: false, at: render(walked)))
                return .array(items)
            default:
                throw Problem(text: "path does not exist: \(render(walked)) is a \(parent.typeName), not an object or array")
            }
        }
    }

    static func replace(with value: JSONValue, at tokens: ArraySlice<String>, in doc: JSONValue) throws -> JSONValue {
        if tokens.isEmpty { return value }
        return try editParent(tokens, of: tokens, in: doc) { parent, token, walked in
            switch parent {
            case .object(var members):
                guard members[token] != nil else {
                    throw Problem(text: "path does not exist: no member \"\(token)\" in \(render(walked))")
                }
                members[token] = value
                return .object(members)
            case .array(var items):
                items[try arrayIndex(token, count: items.count, allowEnd: false, at: render(walked))] = value
                return .array(items)
            default:
                throw Problem(text: "path does not exist: \(render(walked)) is a \(parent.typeName), not an object or array")
            }
        }
    }
}
