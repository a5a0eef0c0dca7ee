/// Syntax checks on names, labels and ports, returning kube-apiserver's (apimachinery's) messages.
///
/// Each function returns the problems found (empty when the value is valid); callers wrap them in `FieldError`s.
public enum NameRules {
    // apimachinery RegexError: examples are each followed by "', " and joined by " or ", hence the double spaces.
    static func regexError(_ msg: String, _ fmt: String, _ examples: String...) -> String {
        if examples.isEmpty { return msg + " (regex used for validation is '\(fmt)')" }
        var s = msg + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { s += " or " }
            s += "'\(e)', "
        }
        return s + "regex used for validation is '\(fmt)')"
    }

    static func maxLen(_ n: Int) -> String { "must be no more than \(n) characters" }

    static func isLowerAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
    static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func matchesDNS1123Label(_ s: Substring) -> Bool {
        guard let f = s.first, let l = s.last, isLowerAlnum(f), isLowerAlnum(l) else { return false }
        return s.allSatisfy { isLowerAlnum($0) || $0 == "-" }
    }

    /// A lowercase RFC 1123 label (container, port and volume names; namespaces), at most 63 characters.
    public static func dns1123Label(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 63 { errs.append(maxLen(63)) }
        if !matchesDNS1123Label(s[...]) {
            errs.append(
                regexError(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                        + "start and end with an alphanumeric character", "[a-z0-9]([-a-z0-9]*[a-z0-9])?", "my-name",
                    "123-abc"))
        }
        return errs
    }

    /// A lowercase RFC 1123 subdomain (most object names), at most 253 characters.
    public static func dns1123Subdomain(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 253 { errs.append(maxLen(253)) }
        let ok = !s.isEmpty && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(matchesDNS1123Label)
        if !ok {
            errs.append(
                regexError(
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                        + "and must start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", "example.com"))
        }
        return errs
    }

    /// A DNS-1035 label (Service names): starts with a letter, at most 63 characters.
    public static func dns1035Label(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 63 { errs.append(maxLen(63)) }
        let ok = matchesDNS1123Label(s[...]) && (s.first?.isLetter ?? false)
        if !ok {
            errs.append(
                regexError(
                    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                        + "alphabetic character, and end with an alphanumeric character", "[a-z]([-a-z0-9]*[a-z0-9])?",
                    "my-name", "abc-123"))
        }
        return errs
    }

    /// A wildcard-or-plain DNS subdomain (Ingress hosts): `*.example.com` or `example.com`.
    public static func wildcardOrSubdomain(_ s: String) -> [String] {
        if s.hasPrefix("*.") {
            var errs: [String] = []
            if s.count > 253 { errs.append(maxLen(253)) }
            if !dns1123Subdomain(String(s.dropFirst(2))).isEmpty {
                errs.append(
                    regexError(
                        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which "
                            + "must consist of lower case alphanumeric characters, '-' or '.' and end with an "
                            + "alphanumeric character", "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                        "*.example.com"))
            }
            return errs
        }
        return dns1123Subdomain(s)
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func matchesQualifiedNamePart(_ s: Substring) -> Bool {
        guard let f = s.first, let l = s.last, isAlnum(f), isAlnum(l) else { return false }
        return s.allSatisfy { isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    static let qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

    /// A qualified name (label and annotation keys): an optional DNS subdomain prefix and '/', then a name part.
    public static func qualifiedName(_ s: String) -> [String] {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        var errs: [String] = []
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else {
                errs += dns1123Subdomain(String(prefix)).map { "prefix part " + $0 }
            }
        default:
            return [
                regexError(
                    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                        + "end with an alphanumeric character", qualifiedNameFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.count > 63 {
            errs.append("name part " + maxLen(63))
        }
        if !name.isEmpty && !matchesQualifiedNamePart(name) {
            errs.append(
                "name part "
                    + regexError(
                        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                            + "alphanumeric character", qualifiedNameFmt, "MyName", "my.name", "123-abc"))
        }
        return errs
    }

    /// A label value: empty, or a qualified name part of at most 63 characters.
    public static func labelValue(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 63 { errs.append(maxLen(63)) }
        if !s.isEmpty && !matchesQualifiedNamePart(s[...]) {
            errs.append(
                regexError(
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                        + "and must start and end with an alphanumeric character",
                    "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", "MyValue", "my_value", "12345"))
        }
        return errs
    }

    /// An IANA service name (container port names, named target ports): 1-15 of [a-z0-9-], at least one letter.
    public static func portName(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 15 { errs.append(maxLen(15)) }
        if !s.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
            errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if s.contains("--") { errs.append("must not contain consecutive hyphens") }
        if !s.contains(where: { $0.isASCII && $0.isLetter }) { errs.append("must contain at least one letter (a-z)") }
        if s.hasPrefix("-") || s.hasSuffix("-") { errs.append("must not begin or end with a hyphen") }
        return errs
    }

    /// A port number: 1-65535.
    public static func portNumber(_ n: Int) -> [String] {
        (1...65535).contains(n) ? [] : ["must be between 1 and 65535, inclusive"]
    }

    /// A ConfigMap or Secret key: [-._a-zA-Z0-9]+, at most 253, not `.` or `..` or starting with `..`.
    public static func configMapKey(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 253 { errs.append(maxLen(253)) }
        if s.isEmpty || !s.allSatisfy({ isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }) {
            errs.append(
                regexError(
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+",
                    "key.name", "KEY_NAME", "key-name"))
        }
        if s == "." {
            errs.append("must not be '.'")
        } else if s == ".." {
            errs.append("must not be '..'")
        } else if s.hasPrefix("..") {
            errs.append("must not start with '..'")
        }
        return errs
    }

    /// An environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
    public static func envVarName(_ s: String) -> [String] {
        let ok =
            !s.isEmpty && !(s.first?.isNumber ?? true)
            && s.allSatisfy { isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
        return ok
            ? []
            : [
                regexError(
                    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
                        + "'.', and must not start with a digit", "[-._a-zA-Z][-._a-zA-Z0-9]*", "my.env-name",
                    "MY_ENV.NAME", "MyEnvName1")
            ]
    }

    /// An RBAC object name: any path segment (not `.` or `..`, no `/` or `%`).
    public static func pathSegmentName(_ s: String) -> [String] {
        if s == "." || s == ".." { return ["may not be '\(s)'"] }
        var errs: [String] = []
        if s.contains("/") { errs.append("may not contain '/'") }
        if s.contains("%") { errs.append("may not contain '%'") }
        return errs
    }

    /// Go's `%#v` of a `map[string]string`: `map[string]string{"app":"web", "tier":"db"}`.
    public static func goMap(_ m: [String: String]) -> String {
        "map[string]string{" + m.keys.sorted().map { "\"\($0)\":\"\(m[$0] ?? "")\"" }.joined(separator: ", ") + "}"
    }

    /// Go's `%#v` of a `[]string`: `[]string{"a", "b"}`.
    public static func goStrings(_ a: [String]) -> String {
        "[]string{" + a.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
    }
}
