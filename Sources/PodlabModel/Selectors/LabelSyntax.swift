/// Label key and value syntax for selectors, worded as kube-apiserver words it. The rules themselves live
/// in `NameRules` (validation uses the same ones for metadata.labels), so a selector and an object's labels
/// can never disagree about what a valid label is.
public enum LabelSyntax {
    /// Label names and values: at most 63 bytes.
    public static let maxNameLength = 63
    /// DNS subdomains (label key prefixes): at most 253 bytes.
    public static let maxSubdomainLength = 253

    /// Problems with a label key (`[prefix/]name`); empty when valid.
    public static func keyProblems(_ key: String) -> [String] { NameRules.qualifiedName(key) }

    /// Problems with a label value (empty is valid); empty when valid.
    public static func valueProblems(_ value: String) -> [String] { NameRules.labelValue(value) }

    /// Problems with a DNS-1123 subdomain; empty when valid.
    public static func subdomainProblems(_ value: String) -> [String] { NameRules.dns1123Subdomain(value) }
}
