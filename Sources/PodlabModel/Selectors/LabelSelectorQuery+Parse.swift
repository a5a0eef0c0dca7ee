/// Parsing of label selector text as kube-apiserver parses `?labelSelector=` (apimachinery `labels.Parse`).
///
/// Grammar: requirements separated by `,` (AND); each is `[!]key`, `key (=|==|!=) value`,
/// `key (in|notin) (v1,v2)` or `key (>|<) integer`. Spaces, tabs and newlines separate tokens.
extension LabelSelectorQuery {
    /// Parses selector text; "" selects everything. Throws `SelectorError` with kube-apiserver's message.
    public init(parsing text: String) throws {
        var parser = LabelSelectorParser(tokens: LabelSelectorLexer.tokens(Array(text.utf8)))
        self.init(requirements: try parser.parse())
    }
}

/// The lexer's tokens (`labels.Token`).
enum LabelToken: Equatable {
    case error(String)
    case end
    case closePar, comma, not, doubleEquals, equals, greaterThan, lessThan, notEquals, openPar
    case `in`, notIn
    case identifier(String)

    /// The literal as the parser quotes it in `found '...'` messages.
    var literal: String {
        switch self {
        case .error(let s), .identifier(let s): return s
        case .end: return ""
        case .closePar: return ")"
        case .comma: return ","
        case .not: return "!"
        case .doubleEquals: return "=="
        case .equals: return "="
        case .greaterThan: return ">"
        case .lessThan: return "<"
        case .notEquals: return "!="
        case .openPar: return "("
        case .in: return "in"
        case .notIn: return "notin"
        }
    }

    /// In value position `in` and `notin` are plain identifiers (`x in (in)`).
    var asValue: LabelToken {
        switch self {
        case .in, .notIn: return .identifier(literal)
        default: return self
        }
    }
}

enum LabelSelectorLexer {
    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
    static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default: return false
        }
    }

    static func symbol(_ s: String) -> LabelToken? {
        switch s {
        case ")": return .closePar
        case ",": return .comma
        case "!": return .not
        case "==": return .doubleEquals
        case "=": return .equals
        case ">": return .greaterThan
        case "<": return .lessThan
        case "!=": return .notEquals
        case "(": return .openPar
        default: return nil
        }
    }

    /// All tokens of `bytes`, ending with `.end` (the parser looks ahead, as upstream's does).
    static func tokens(_ bytes: [UInt8]) -> [LabelToken] {
        var out: [LabelToken] = []
        var pos = 0
        // Go's lexer reads a NUL byte as end of input; do the same so `a\0b` means `a`.
        func peek() -> UInt8 { pos < bytes.count ? bytes[pos] : 0 }
        while true {
            while pos < bytes.count, isWhitespace(bytes[pos]) { pos += 1 }
            let c = peek()
            if c == 0 {
                out.append(.end)
                return out
            }
            if isSpecial(c) {
                // Longest run of special characters that still forms an operator ("!=" but "=(" is "=" then "(").
                var buffer: [UInt8] = []
                var last: LabelToken?
                while pos < bytes.count, peek() != 0, isSpecial(peek()) {
                    buffer.append(peek())
                    if let t = symbol(String(decoding: buffer, as: UTF8.self)) {
                        last = t
                        pos += 1
                    } else if last != nil {
                        break
                    } else {
                        pos += 1
                    }
                }
                out.append(last ?? .error("error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'"))
                continue
            }
            var buffer: [UInt8] = []
            while pos < bytes.count, peek() != 0, !isSpecial(peek()), !isWhitespace(peek()) {
                buffer.append(peek())
                pos += 1
            }
            let word = String(decoding: buffer, as: UTF8.self)
            switch word {
            case "in": out.append(.in)
            case "notin": out.append(.notIn)
            default: out.append(.identifier(word))
            }
        }
    }
}

/// Recursive descent over the token list, mirroring `labels.Parser` so error messages match.
struct LabelSelectorParser {
    var tokens: [LabelToken]
    var position = 0

    static let binaryOperators = "in, notin, =, ==, !=, gt, lt"

    func lookahead() -> LabelToken { tokens[min(position, tokens.count - 1)] }

    mutating func consume() -> LabelToken {
        let t = lookahead()
        position += 1
        return t
    }

    mutating func parse() throws -> [LabelSelectorQuery.Requirement] {
        var requirements: [LabelSelectorQuery.Requirement] = []
        while true {
            let t = lookahead().asValue
            switch t {
            case .identifier, .not:
                do {
                    requirements.append(try parseRequirement())
                } catch let e as SelectorError {
                    throw SelectorError("unable to parse requirement: \(e.message)")
                }
                let next = consume().asValue
                switch next {
                case .end:
                    return requirements
                case .comma:
                    let after = lookahead().asValue
                    switch after {
                    case .identifier, .not: break
                    default: throw SelectorError("found '\(after.literal)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError("found '\(next.literal)', expected: ',' or 'end of string'")
                }
            case .end:
                return requirements
            default:
                throw SelectorError("found '\(t.literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws -> LabelSelectorQuery.Requirement {
        var negated = false
        var t = consume().asValue
        if t == .not {
            negated = true
            t = consume().asValue
        }
        guard case .identifier(let key) = t else {
            throw SelectorError("found '\(t.literal)', expected: identifier")
        }
        // upstream validates the key with a nil field path, which Go prints as "<nil>".
        let keyProblems = LabelSyntax.keyProblems(key)
        if !keyProblems.isEmpty {
            throw SelectorError("<nil>: " + FieldError(.invalid, "", .string(key), keyProblems.joined(separator: "; ")).description)
        }
        // `!key` is complete by itself; whatever follows is the caller's to reject.
        if negated { return try Self.validated(key: key, op: .doesNotExist, values: []) }
        let next = lookahead().asValue
        if next == .end || next == .comma {
            return try Self.validated(key: key, op: .exists, values: [])
        }
        let opToken = consume()
        let op: LabelSelectorQuery.Requirement.Operator
        switch opToken {
        case .in: op = .in
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .greaterThan: op = .greaterThan
        case .lessThan: op = .lessThan
        case .notIn: op = .notIn
        case .notEquals: op = .notEquals
        default: throw SelectorError("found '\(opToken.literal)', expected: \(Self.binaryOperators)")
        }
        let values: Set<String>
        switch op {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        // sets.String.List(): sorted.
        return try Self.validated(key: key, op: op, values: values.sorted())
    }

    mutating func parseValues() throws -> Set<String> {
        let open = consume().asValue
        guard open == .openPar else { throw SelectorError("found '\(open.literal)' expected: '('") }
        let t = lookahead().asValue
        switch t {
        case .identifier, .comma:
            let s = try parseIdentifiersList()
            if consume().asValue != .closePar {
                throw SelectorError("found '\(t.literal)', expected: ')'")
            }
            return s
        case .closePar:
            _ = consume()
            return [""]
        default:
            throw SelectorError("found '\(t.literal)', expected: ',', ')' or identifier")
        }
    }

    mutating func parseIdentifiersList() throws -> Set<String> {
        var s = Set<String>()
        while true {
            let t = consume().asValue
            switch t {
            case .identifier(let v):
                s.insert(v)
                let next = lookahead().asValue
                switch next {
                case .comma: continue
                case .closePar: return s
                default: throw SelectorError("found '\(next.literal)', expected: ',' or ')'")
                }
            case .comma:
                // Empty values are allowed: "(,a)", "(a,)" and "(a,,b)" all hold "".
                if s.isEmpty { s.insert("") }
                let next = lookahead().asValue
                if next == .closePar {
                    s.insert("")
                    return s
                }
                if next == .comma { s.insert("") }
            default:
                throw SelectorError("found '\(t.literal)', expected: ',', or identifier")
            }
        }
    }

    mutating func parseExactValue() throws -> Set<String> {
        let t = lookahead().asValue
        if t == .end || t == .comma { return [""] }
        let v = consume().asValue
        if case .identifier(let value) = v { return [value] }
        throw SelectorError("found '\(v.literal)', expected: identifier")
    }

    /// `labels.NewRequirement` checks, with its field paths (`values[0][key]`) and aggregate formatting.
    static func validated(key: String, op: LabelSelectorQuery.Requirement.Operator, values: [String]) throws
        -> LabelSelectorQuery.Requirement
    {
        var errors: [String] = []
        let keyProblems = LabelSyntax.keyProblems(key)
        if !keyProblems.isEmpty {
            errors.append(FieldError(.invalid, "key", .string(key), keyProblems.joined(separator: "; ")).description)
        }
        switch op {
        case .greaterThan, .lessThan:
            for (i, v) in values.enumerated() where Int64(v) == nil {
                errors.append(
                    FieldError(.invalid, "values[\(i)]", .string(v), "for 'Gt', 'Lt' operators, the value must be an integer")
                        .description)
            }
        default: break
        }
        for (i, v) in values.enumerated() {
            let problems = LabelSyntax.valueProblems(v)
            if !problems.isEmpty {
                errors.append(FieldError(.invalid, "values[\(i)][\(key)]", .string(v), problems.joined(separator: "; ")).description)
            }
        }
        if !errors.isEmpty {
            // utilerrors.Aggregate: one message alone, several bracketed.
            throw SelectorError(errors.count == 1 ? errors[0] : "[" + errors.joined(separator: ", ") + "]")
        }
        return LabelSelectorQuery.Requirement(key: key, op: op, values: values)
    }
}
