/// Label key and value syntax checks, worded as apimachinery's `validation.IsQualifiedName` and
/// `IsValidLabelValue` word them (Kubernetes 1.31), because kubectl shows these messages verbatim.
public enum LabelSyntax {
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFormat = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
    static let labelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let subdomainFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    /// Label names and values: at most 63 bytes (`validation.LabelValueMaxLength`).
    public static let maxNameLength = 63
    /// DNS subdomains (label key prefixes): at most 253 bytes.
    public static let maxSubdomainLength = 253

    /// Problems with a label key (`[prefix/]name`); empty when valid.
    public static func keyProblems(_ key: String) -> [String] {
        var problems: [String] = []
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                problems.append("prefix part must be non-empty")
            } else {
                problems += subdomainProblems(String(prefix)).map { "prefix part " + $0 }
            }
        default:
            return [
                "a qualified name "
                    + regexError(qualifiedNameMessage, qualifiedNameFormat, ["MyName", "my.name", "123-abc"])
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.utf8.count > maxNameLength {
            problems.append("name part must be no more than \(maxNameLength) characters")
        }
        if !isQualifiedNamePart(name) {
            problems.append("name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, ["MyName", "my.name", "123-abc"]))
        }
        return problems
    }

    /// Problems with a label value (empty is valid); empty when valid.
    public static func valueProblems(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > maxNameLength {
            problems.append("must be no more than \(maxNameLength) characters")
        }
        if !value.isEmpty && !isQualifiedNamePart(Substring(value)) {
            problems.append(regexError(labelValueMessage, labelValueFormat, ["MyValue", "my_value", "12345"]))
        }
        return problems
    }

    /// Problems with a lowercase RFC 1123 subdomain; empty when valid.
    public static func subdomainProblems(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > maxSubdomainLength {
            problems.append("must be no more than \(maxSubdomainLength) characters")
        }
        let labels = value.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return isLowerAlnum(first) && isLowerAlnum(last)
                && label.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
        }
        if !valid {
            problems.append(regexError(subdomainMessage, subdomainFormat, ["example.com"]))
        }
        return problems
    }

    /// `validation.RegexError`: the message, examples, then the regex.
    static func regexError(_ message: String, _ format: String, _ examples: [String]) -> String {
        var s = message + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { s += " or " }
            s += "'\(e)', "
        }
        return s + "regex used for validation is '\(format)')"
    }

    /// Matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    static func isQualifiedNamePart(_ s: Substring) -> Bool {
        let bytes = s.utf8
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A)
    }
}
