/// A label selector ready to match: parsed from `labelSelector=` text, converted from a structured
/// `LabelSelector`, or built from a Service-style `[String: String]` map.
///
/// Matching and `description` follow apimachinery `pkg/labels`: requirements are ANDed and printed sorted by key.
public struct LabelSelectorQuery: Sendable, Hashable, CustomStringConvertible {
    /// One requirement (`key op values`).
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        /// The operators of `selection.Operator` that label selectors use.
        public enum Operator: String, Sendable, Hashable {
            case `in` = "in"
            case notIn = "notin"
            case equals = "="
            case doubleEquals = "=="
            case notEquals = "!="
            case exists = "exists"
            case doesNotExist = "!"
            case greaterThan = "gt"
            case lessThan = "lt"
        }

        public var key: String
        public var op: Operator
        /// The values as given; `description` prints them sorted.
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        /// Whether `labels` satisfy this requirement (`Requirement.Matches`).
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .in, .equals, .doubleEquals:
                guard let value else { return false }
                return values.contains(value)
            case .notIn, .notEquals:
                guard let value else { return true }
                return !values.contains(value)
            case .exists:
                return value != nil
            case .doesNotExist:
                return value == nil
            case .greaterThan, .lessThan:
                guard let value, let have = Int64(value), values.count == 1, let want = Int64(values[0]) else {
                    return false
                }
                return op == .greaterThan ? have > want : have < want
            }
        }

        /// `Requirement.String()`: `!key`, `key`, `key=v`, `key in (a,b)`, `key>1`.
        public var description: String {
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            default: break
            }
            let shown = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
            switch op {
            case .equals: return "\(key)=\(shown)"
            case .doubleEquals: return "\(key)==\(shown)"
            case .notEquals: return "\(key)!=\(shown)"
            case .in: return "\(key) in (\(shown))"
            case .notIn: return "\(key) notin (\(shown))"
            case .greaterThan: return "\(key)>\(shown)"
            case .lessThan: return "\(key)<\(shown)"
            case .exists, .doesNotExist: return key
            }
        }
    }

    /// The requirements, sorted by key; all must hold.
    public private(set) var requirements: [Requirement]
    /// `labels.Nothing()`: what a nil structured selector means; matches no object.
    public private(set) var matchesNothing: Bool

    /// A selector with the given requirements (sorted by key, as `Selector.Add` does).
    public init(requirements: [Requirement]) {
        self.requirements = Self.sortedByKey(requirements)
        self.matchesNothing = false
    }

    /// The selector that matches every object (`labels.Everything()`).
    public static let everything = LabelSelectorQuery(requirements: [])

    /// The selector that matches no object (`labels.Nothing()`), what a missing structured selector means.
    public static var nothing: LabelSelectorQuery {
        var q = LabelSelectorQuery(requirements: [])
        q.matchesNothing = true
        return q
    }

    /// `SelectorFromSet`: every `key=value` of the map must match; an empty map matches everything.
    public init(matchingLabels map: [String: String]) {
        self.init(requirements: map.map { Requirement(key: $0.key, op: .equals, values: [$0.value]) })
    }

    /// True when the selector has no requirements and so matches every object.
    public var isEmpty: Bool { !matchesNothing && requirements.isEmpty }

    /// Whether an object with `labels` is selected.
    public func matches(_ labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    /// `Selector.String()`: requirements joined by commas, e.g. `app=web,tier in (a,b)`; "" when empty.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// The value a selector requires for `key` with `=`, `==` or a one-value `in`, if any (`RequiresExactMatch`).
    public func requiredValue(for key: String) -> String? {
        guard let r = requirements.first(where: { $0.key == key }) else { return nil }
        switch r.op {
        case .equals, .doubleEquals, .in: return r.values.count == 1 ? r.values[0] : nil
        default: return nil
        }
    }

    /// `labels.FormatLabels`: a label map as `a=b,c=d` (sorted), or `<none>` when empty — the SELECTOR column
    /// of Services and `--show-labels`.
    public static func formatLabels(_ labels: [String: String]?) -> String {
        let text = (labels ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
        return text.isEmpty ? "<none>" : text
    }

    static func sortedByKey(_ requirements: [Requirement]) -> [Requirement] {
        requirements.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
    }
}
