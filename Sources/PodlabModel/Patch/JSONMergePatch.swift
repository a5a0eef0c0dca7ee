/// RFC 7386 JSON merge patch, as `kubectl label`, `annotate` and `scale` send it (`application/merge-patch+json`).
public enum JSONMergePatch {
    /// Applies `patch` to `target`: objects merge recursively, `null` removes a member, anything else replaces.
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        // RFC 7386 §2: a non-object target is treated as an empty object when the patch is an object.
        var result = target.object ?? [:]
        for (key, value) in patchMembers {
            if case .null = value {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}
