import Yams

/// One object from a manifest file: where it came from and the object as JSON.
public struct Manifest: Sendable, Hashable {
    public var object: JSONValue
    /// The file name (or `<stdin>`) it was read from, for messages.
    public var source: String
    /// Zero-based index of the YAML document in the stream (items of a `List` share their document's index).
    public var documentIndex: Int
    /// One-based line where the object starts.
    public var line: Int

    public init(object: JSONValue, source: String, documentIndex: Int, line: Int) {
        self.object = object
        self.source = source
        self.documentIndex = documentIndex
        self.line = line
    }
}

/// A manifest that cannot be used, with its place: `web.yaml:14:11: spec.ports[0]: mapping key must be a scalar`.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var column: Int
    /// The field path inside the object, or "" for a problem with the document itself (YAML syntax).
    public var field: String
    public var problem: String

    public init(source: String, line: Int, column: Int, field: String, problem: String) {
        self.source = source
        self.line = line
        self.column = column
        self.field = field
        self.problem = problem
    }

    public var description: String {
        "\(source):\(line):\(column): " + (field.isEmpty ? "" : "\(field): ") + problem
    }
}

/// Reads multi-document YAML or JSON manifests as kubectl does (sigs.k8s.io/yaml over go-yaml v2).
///
/// Plain scalars resolve with YAML 1.1 rules as go-yaml v2 does: `true`/`yes`/`on`/`y` are booleans,
/// `null`/`~`/empty are null, `0x1F`/`017`/`1_000` are integers, `2024-01-02` is a timestamp written as
/// RFC 3339. Quoted scalars are always strings. Empty documents are skipped; `List` kinds (`v1/List`,
/// `PodList`, ...) are expanded into their items. Every object must have `apiVersion` and `kind`.
public enum ManifestLoader {
    /// Deepest nesting accepted, so hostile input cannot exhaust the stack while converting.
    public static let maxDepth = 256

    /// Parses `text` read from `source`. Throws `ManifestError` with the line and column of the problem.
    public static func load(_ text: String, source: String) throws -> [Manifest] {
        let trimmed = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{FEFF}" }
        if trimmed.first == "{" {
            // JSON input: parse it as JSON so numbers and strings are exactly what kubectl would send.
            do {
                let object = try JSONValue(parsing: String(trimmed))
                let line = text.prefix(text.count - trimmed.count).filter { $0 == "\n" }.count + 1
                return try expand(object, nodes: nil, source: source, documentIndex: 0, line: line, column: 1)
            } catch let e as JSONSyntaxError {
                let skipped = text.prefix(text.count - trimmed.count).filter { $0 == "\n" }.count
                throw ManifestError(source: source, line: e.line + skipped, column: e.column, field: "", problem: e.problem)
            }
        }

        var manifests: [Manifest] = []
        var documents: YamlSequence<Yams.Node>
        do {
            documents = try compose_all(yaml: text, plainResolver)
        } catch {
            throw syntaxError(error, text: text, source: source)
        }
        var index = 0
        while let node = documents.next() {
            defer { index += 1 }
            let line = node.mark?.line ?? 1
            let column = node.mark?.column ?? 1
            let value = try convert(node, path: "", source: source, depth: 0)
            if case .null = value { continue }
            guard case .object = value else {
                throw ManifestError(
                    source: source, line: line, column: column, field: "",
                    problem: "document \(index) is a \(value.typeName), expected a mapping with apiVersion and kind")
            }
            manifests += try expand(value, nodes: node, source: source, documentIndex: index, line: line, column: column)
        }
        if let error = documents.error {
            throw syntaxError(error, text: text, source: source)
        }
        return manifests
    }

    /// Untagged plain scalars get a private tag, so they can be told apart from quoted or `!!str` ones.
    static let plainTag = Tag.Name(rawValue: "tag:podlab,2024:plain")
    static let plainResolver: Resolver = {
        // "^" matches every string, so every untagged plain scalar gets `plainTag`.
        (try? Resolver.basic.appending(plainTag, "^")) ?? Resolver.basic
    }()

    static func syntaxError(_ error: any Error, text: String, source: String) -> ManifestError {
        guard let yaml = error as? YamlError else {
            return ManifestError(source: source, line: 1, column: 1, field: "", problem: "\(error)")
        }
        switch yaml {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return ManifestError(source: source, line: mark.line, column: mark.column, field: "", problem: "yaml: \(problem)\(where_)")
        case .reader(let problem, let offset, _, _):
            let (line, column) = position(ofCharacter: offset ?? 0, in: text)
            return ManifestError(source: source, line: line, column: column, field: "", problem: "yaml: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ManifestError(
                source: source, line: context.mark.line, column: context.mark.column, field: "",
                problem: "yaml: duplicate key " + duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        default:
            return ManifestError(source: source, line: 1, column: 1, field: "", problem: "yaml: \(yaml)")
        }
    }

    static func position(ofCharacter offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for c in text.prefix(offset) {
            if c == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    // MARK: - Objects and Lists

    /// Checks an object and expands `List` kinds into their items.
    static func expand(
        _ object: JSONValue, nodes: Yams.Node?, source: String, documentIndex: Int, line: Int, column: Int
    ) throws -> [Manifest] {
        let kind = object["kind"].string ?? ""
        if kind.hasSuffix("List"), case .array(let items) = object["items"] {
            let itemNodes = nodes?.mapping?["items"]?.sequence.map(Array.init)
            var out: [Manifest] = []
            for (i, item) in items.enumerated() {
                let mark = itemNodes.flatMap { i < $0.count ? $0[i].mark : nil }
                let itemLine = mark?.line ?? line
                let itemColumn = mark?.column ?? column
                guard case .object = item else {
                    throw ManifestError(
                        source: source, line: itemLine, column: itemColumn, field: "items[\(i)]",
                        problem: "must be an object, got \(item.typeName)")
                }
                try requireTypeMeta(item, source: source, line: itemLine, column: itemColumn, prefix: "items[\(i)].")
                out.append(Manifest(object: item, source: source, documentIndex: documentIndex, line: itemLine))
            }
            return out
        }
        try requireTypeMeta(object, source: source, line: line, column: column, prefix: "")
        return [Manifest(object: object, source: source, documentIndex: documentIndex, line: line)]
    }

    static func requireTypeMeta(_ object: JSONValue, source: String, line: Int, column: Int, prefix: String) throws {
        for field in ["apiVersion", "kind"] {
            guard case .string(let s) = object[field], !s.isEmpty else {
                let problem =
                    object[field].isNull ? "Required value: every object needs apiVersion and kind"
                    : "must be a non-empty string, got \(object[field].typeName)"
                throw ManifestError(source: source, line: line, column: column, field: prefix + field, problem: problem)
            }
        }
    }

    // MARK: - YAML nodes to JSON

    static func convert(_ node: Yams.Node, path: String, source: String, depth: Int) throws -> JSONValue {
        func fail(_ problem: String, _ at: Mark? = nil) -> ManifestError {
            let m = at ?? node.mark
            return ManifestError(source: source, line: m?.line ?? 1, column: m?.column ?? 1, field: path, problem: problem)
        }
        guard depth < maxDepth else { throw fail("nested deeper than \(maxDepth) levels") }
        switch node {
        case .scalar(let scalar):
            return try resolve(scalar, fail: { fail($0) })
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for (i, item) in sequence.enumerated() {
                items.append(try convert(item, path: "\(path)[\(i)]", source: source, depth: depth + 1))
            }
            return .array(items)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    throw fail("a mapping key must be a scalar, not a \(keyNode.mapping != nil ? "mapping" : "sequence")", keyNode.mark)
                }
                if [Tag.Name.implicit.rawValue, plainTag.rawValue].contains(keyScalar.tag.description) && keyScalar.string == "<<" {
                    // YAML merge key (go-yaml v2): merge the aliased mapping(s) at this point of the mapping.
                    let sources = valueNode.sequence.map(Array.init) ?? [valueNode]
                    for sourceNode in sources {
                        guard case .object(let merged) = try convert(sourceNode, path: path, source: source, depth: depth + 1) else {
                            throw fail("the value of a << merge key must be a mapping or a list of mappings", sourceNode.mark)
                        }
                        for (k, v) in merged { members[k] = v }
                    }
                    continue
                }
                let key = try keyString(keyScalar, fail: { fail($0, keyNode.mark) })
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                // Duplicate keys: the later one wins, as go-yaml v2 decoding into a map does.
                members[key] = try convert(valueNode, path: childPath, source: source, depth: depth + 1)
            }
            return .object(members)
        case .alias:
            // compose dereferences aliases; an alias node here would be a Yams change.
            throw fail("unresolved YAML alias")
        }
    }

    /// A mapping key as a JSON member name (sigs.k8s.io/yaml converts int, float and bool keys to strings).
    static func keyString(_ scalar: Yams.Node.Scalar, fail: (String) -> ManifestError) throws -> String {
        switch try resolve(scalar, fail: fail) {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case .null: throw fail("a null mapping key is not supported")
        default: throw fail("unsupported mapping key")
        }
    }

    static func resolve(_ scalar: Yams.Node.Scalar, fail: (String) -> ManifestError) throws -> JSONValue {
        let tag = scalar.tag.description
        let text = scalar.string
        let core = "tag:yaml.org,2002:"
        switch tag {
        // Untagged plain scalars carry the implicit tag "" until something resolves it (Yams resolves map keys
        // for its duplicate check), and then `plainTag`; quoted scalars are tagged !!str by the parser.
        case "", plainTag.rawValue:
            return try resolvePlain(text, fail: fail)
        case core + "bool", core + "int", core + "float", core + "null", core + "timestamp":
            let value = try resolvePlain(text, fail: fail)
            let want = String(tag.dropFirst(core.count))
            let ok: Bool
            switch (want, value) {
            case ("bool", .bool), ("int", .int), ("float", .double), ("float", .int), ("null", .null): ok = true
            case ("timestamp", .string): ok = isDate(text)
            default: ok = false
            }
            guard ok else { throw fail("cannot decode `\(text)` as a !!\(want)") }
            return value
        default:
            // Quoted scalars, !!str, !!binary and application tags are all strings to go-yaml v2.
            return .string(text)
        }
    }

    /// go-yaml v2 `resolve` for an untagged plain scalar.
    static func resolvePlain(_ s: String, fail: (String) -> ManifestError) throws -> JSONValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
        case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
        case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
            // go-yaml accepts these, but JSON cannot carry them (json.Marshal fails).
            throw fail("unsupported value \(s): JSON has no NaN or infinity")
        default: break
        }
        guard let first = s.utf8.first else { return .string(s) }
        if first == UInt8(ascii: ".") {
            if isYAMLFloat(s), let d = Double(s) { return number(d) }
            return .string(s)
        }
        let isDigit = first >= 0x30 && first <= 0x39
        guard isDigit || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return .string(s) }
        if isDigit, let date = dateTimestamp(s) { return .string(date) }
        let plain = s.replacingAll("_", with: "")
        if let i = goParseInt(plain) { return .int(i) }
        if let u = goParseUInt(plain) { return .double(Double(u)) }
        if isYAMLFloat(plain), let d = Double(plain) { return number(d) }
        return .string(s)
    }

    /// A float as JSON carries it: Go writes integral float64 values without a fraction (`1.0` → `1`).
    static func number(_ d: Double) -> JSONValue {
        if d.rounded() == d, abs(d) < 9.0e15 { return .int(Int64(d)) }
        return .double(d)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    static func isYAMLFloat(_ s: String) -> Bool {
        var b = Array(s.utf8)[...]
        func digits() -> Int {
            var n = 0
            while let c = b.first, c >= 0x30, c <= 0x39 {
                b = b.dropFirst()
                n += 1
            }
            return n
        }
        if b.first == UInt8(ascii: "+") || b.first == UInt8(ascii: "-") { b = b.dropFirst() }
        if b.first == UInt8(ascii: ".") {
            b = b.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if b.first == UInt8(ascii: ".") {
                b = b.dropFirst()
                _ = digits()
            }
        }
        if b.first == UInt8(ascii: "e") || b.first == UInt8(ascii: "E") {
            b = b.dropFirst()
            if b.first == UInt8(ascii: "+") || b.first == UInt8(ascii: "-") { b = b.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return b.isEmpty
    }

    /// Go `strconv.ParseInt(s, 0, 64)`: optional sign, then 0x/0o/0b prefixes or a leading 0 for octal.
    static func goParseInt(_ s: String) -> Int64? {
        var body = Substring(s)
        var negative = false
        if body.first == "+" || body.first == "-" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard let magnitude = goParseMagnitude(body) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Go `strconv.ParseUint(s, 0, 64)` (no sign allowed).
    static func goParseUInt(_ s: String) -> UInt64? {
        goParseMagnitude(Substring(s))
    }

    static func goParseMagnitude(_ s: Substring) -> UInt64? {
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { return lower.count > 2 ? UInt64(lower.dropFirst(2), radix: 16) : nil }
        if lower.hasPrefix("0o") { return lower.count > 2 ? UInt64(lower.dropFirst(2), radix: 8) : nil }
        if lower.hasPrefix("0b") { return lower.count > 2 ? UInt64(lower.dropFirst(2), radix: 2) : nil }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if s.count > 1 && s.first == "0" { return UInt64(s.dropFirst(), radix: 8) }
        return UInt64(s)
    }

    /// A date-only timestamp (`2006-1-2`), which go-yaml v2 reads as a time and JSON writes as RFC 3339.
    static func dateTimestamp(_ s: String) -> String? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return nil }
        // time.Parse rejects days past the month's end ("2024-02-30" stays a string).
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1, day <= monthDays[month - 1] else { return nil }
        let mm = month < 10 ? "0\(month)" : "\(month)"
        let dd = day < 10 ? "0\(day)" : "\(day)"
        return "\(parts[0])-\(mm)-\(dd)T00:00:00Z"
    }

    static func isDate(_ s: String) -> Bool { dateTimestamp(s) != nil }
}

extension String {
    /// This string with every `target` replaced (kept local to avoid a Foundation dependency here).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
