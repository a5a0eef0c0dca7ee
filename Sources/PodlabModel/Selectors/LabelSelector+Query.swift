/// The structured `metav1.LabelSelector` (Deployment, ReplicaSet, NetworkPolicy selectors) as a matcher.
extension LabelSelectorQuery {
    /// `metav1.LabelSelectorAsSelector`: nil matches nothing, an empty selector matches everything,
    /// matchLabels become `key=value` and matchExpressions In/NotIn/Exists/DoesNotExist.
    ///
    /// Throws `SelectorError` (`"Foo" is not a valid label selector operator`) for what validation would reject;
    /// run `LabelSelector.validate(at:)` first to get field errors instead.
    public init(_ selector: LabelSelector?) throws {
        guard let selector else {
            self = .nothing
            return
        }
        var requirements: [Requirement] = []
        for (key, value) in selector.matchLabels ?? [:] {
            requirements.append(try LabelSelectorParser.validated(key: key, op: .equals, values: [value]))
        }
        for expression in selector.matchExpressions ?? [] {
            let op: Requirement.Operator
            switch expression.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default: throw SelectorError("\"\(expression.operator)\" is not a valid label selector operator")
            }
            let values = expression.values ?? []
            // Go renders the bad []string value with %#v: `[]string{"a", "b"}`.
            let rendered = "[]string{" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
            if (op == .in || op == .notIn) && values.isEmpty {
                throw SelectorError("values: Invalid value: \(rendered): for 'in', 'notin' operators, values set can't be empty")
            }
            if (op == .exists || op == .doesNotExist) && !values.isEmpty {
                throw SelectorError("values: Invalid value: \(rendered): values set must be empty for exists and does not exist")
            }
            requirements.append(try LabelSelectorParser.validated(key: expression.key, op: op, values: values))
        }
        self.init(requirements: requirements)
    }
}

extension LabelSelector {
    /// `metav1validation.ValidateLabelSelector`: field errors under `path` (e.g. `spec.selector`).
    public func validate(at path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let labelsPath = path.isEmpty ? "matchLabels" : "\(path).matchLabels"
        for (key, value) in (matchLabels ?? [:]).sorted(by: { $0.key < $1.key }) {
            for problem in LabelSyntax.keyProblems(key) {
                errors.append(FieldError(.invalid, labelsPath, .string(key), problem))
            }
            for problem in LabelSyntax.valueProblems(value) {
                errors.append(FieldError(.invalid, labelsPath, .string(value), problem))
            }
        }
        for (i, expression) in (matchExpressions ?? []).enumerated() {
            let base = (path.isEmpty ? "" : "\(path).") + "matchExpressions[\(i)]"
            let values = expression.values ?? []
            switch expression.operator {
            case "In", "NotIn":
                if values.isEmpty {
                    errors.append(
                        FieldError(.required, "\(base).values", nil, "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    errors.append(
                        FieldError(
                            .forbidden, "\(base).values", nil, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                errors.append(FieldError(.invalid, "\(base).operator", .string(expression.operator), "not a valid selector operator"))
            }
            for problem in LabelSyntax.keyProblems(expression.key) {
                errors.append(FieldError(.invalid, "\(base).key", .string(expression.key), problem))
            }
            for (j, value) in values.enumerated() {
                for problem in LabelSyntax.valueProblems(value) {
                    errors.append(FieldError(.invalid, "\(base).values[\(j)]", .string(value), problem))
                }
            }
        }
        return errors
    }

    /// `metav1.FormatLabelSelector`: `app=web,tier in (a,b)`, `<none>` when empty, `<error>` when invalid —
    /// the SELECTOR column of Deployments and ReplicaSets and NetworkPolicy's POD-SELECTOR.
    public static func format(_ selector: LabelSelector?) -> String {
        guard let query = try? LabelSelectorQuery(selector) else { return "<error>" }
        let text = query.description
        return text.isEmpty ? "<none>" : text
    }

    /// This selector formatted as `metav1.FormatLabelSelector` does.
    public var formatted: String { LabelSelector.format(self) }
}
