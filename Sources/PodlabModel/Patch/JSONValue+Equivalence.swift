extension JSONValue {
    /// Whether two values are the same JSON document, treating `1` and `1.0` as equal.
    ///
    /// JSON has one number type (Go decodes both into float64), so patch `test` operations and merge-key
    /// lookups must not tell an integer from an integral double.
    func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.int(let a), .double(let b)), (.double(b: let b), .int(let a)):
            return Double(a) == b
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a {
                guard let w = b[k], v.isEquivalent(to: w) else { return false }
            }
            return true
        default:
            return self == other
        }
    }
}
