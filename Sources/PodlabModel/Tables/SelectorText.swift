/// Label and selector strings as apimachinery prints them in Table cells.
enum SelectorText {
    /// `labels.FormatLabels`: `k=v` pairs sorted by key and joined by commas, or `<none>` when empty.
    static func labels(_ map: JSONValue) -> String {
        let pairs = (map.object ?? [:]).compactMap { key, value in value.string.map { (key, $0) } }
        guard !pairs.isEmpty else { return "<none>" }
        return pairs.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    /// `metav1.LabelSelectorAsSelector(s).String()`: "" for an absent or empty selector, nil when the
    /// selector cannot be converted (unknown operator, wrong number of values).
    static func selector(_ selector: JSONValue) -> String? {
        guard case .object = selector else { return selector.isNull ? "" : nil }
        var requirements: [(key: String, text: String)] = []
        for (key, value) in selector["matchLabels"].object ?? [:] {
            guard let v = value.string else { return nil }
            requirements.append((key, "\(key)=\(v)"))
        }
        for expression in selector["matchExpressions"].array ?? [] {
            guard let key = expression["key"].string, let op = expression["operator"].string else { return nil }
            let values = (expression["values"].array ?? []).compactMap(\.string)
            let text: String
            switch op {
            case "In", "NotIn":
                guard !values.isEmpty else { return nil }
                // Requirement.String() sorts a copy of the values so equal selectors print alike.
                text = "\(key) \(op == "In" ? "in" : "notin") (\(values.sorted().joined(separator: ",")))"
            case "Exists":
                guard values.isEmpty else { return nil }
                text = key
            case "DoesNotExist":
                guard values.isEmpty else { return nil }
                text = "!\(key)"
            default:
                return nil
            }
            requirements.append((key, text))
        }
        // internalSelector.Add sorts the requirements by key; keep insertion order among equal keys.
        let ordered = requirements.enumerated().sorted {
            $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset
        }
        return ordered.map(\.element.text).joined(separator: ",")
    }

    /// `metav1.FormatLabelSelector`: the selector string, `<none>` when it selects everything or nothing,
    /// `<error>` when it cannot be converted.
    static func formatLabelSelector(_ selector: JSONValue) -> String {
        guard let text = self.selector(selector) else { return "<error>" }
        return text.isEmpty ? "<none>" : text
    }
}
