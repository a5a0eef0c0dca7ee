/// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds, as
/// `kubectl apply` (re-apply) and `kubectl edit` send it.
///
/// Follows apimachinery `pkg/util/strategicpatch` as the server applies it (`MergeParallelList` and
/// `IgnoreUnmatchedNulls` on): maps merge and `null` deletes a key; lists tagged `patchStrategy:"merge"` merge
/// element-wise by their `patchMergeKey` (containers by `name`, Service ports by `port`, ...), scalar merge lists
/// (finalizers) merge as sets, other lists are replaced. Directives: `$patch: replace|delete|merge`,
/// `$setElementOrder/<list>`, `$retainKeys` and `$deleteFromPrimitiveList/<list>`.
public enum StrategicMergePatch {
    /// Applies `patch` to `target`, an object of `kind` (`Deployment`, `Service`, ...).
    ///
    /// Throws `PatchError` naming the field path when the patch is malformed (no merge key, a bad directive).
    public static func apply(_ patch: JSONValue, to target: JSONValue, kind: String) throws -> JSONValue {
        guard case .object(let patchMap) = patch else {
            throw PatchError(field: "", problem: "a strategic merge patch must be a JSON object, got \(patch.typeName)")
        }
        let original: [String: JSONValue]
        switch target {
        case .object(let members): original = members
        case .null: original = [:]
        default: throw PatchError(field: "", problem: "the object to patch must be a JSON object, got \(target.typeName)")
        }
        return .object(try mergeMap(original, patchMap, type: PatchType.root(forKind: kind), path: ""))
    }

    static let directiveMarker = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let setElementOrderPrefix = "$setElementOrder"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"

    // MARK: - Maps

    static func mergeMap(
        _ original: [String: JSONValue], _ patchIn: [String: JSONValue], type: PatchType?, path: String
    ) throws -> [String: JSONValue] {
        var patch = patchIn
        if let directive = patch[directiveMarker] {
            switch directive {
            case "replace":
                // The patch is the whole new map (upstream: "don't merge it, just use the patch directly").
                patch[directiveMarker] = nil
                return clean(patch)
            case "delete":
                return [:]
            case "merge":
                // Upstream rejects this marker in maps; merging is what it would mean, and what it does here.
                patch[directiveMarker] = nil
            default:
                throw PatchError(field: join(path, directiveMarker), problem: "unknown patch directive \(directive.jsonText) in a map (want replace, delete or merge)")
            }
        }
        var result = original

        if let retain = patch.removeValue(forKey: retainKeysDirective) {
            try applyRetainKeys(retain, patch: patch, to: &result, path: path)
        }

        // Ordered lists first: this merges each list named by a $setElementOrder and removes it from the patch.
        for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
            let order = patch.removeValue(forKey: key) ?? .null
            let listKey = try directiveTarget(key, prefix: setElementOrderPrefix, path: path)
            try mergeOrderedList(listKey, order: order, patch: &patch, into: &result, type: type, path: path)
        }

        // Deletions from scalar lists run after additions, as when the list is ordered above.
        var deletions: [(String, JSONValue)] = []
        for key in patch.keys.sorted() {
            let value = patch[key] ?? .null
            if key.hasPrefix(deleteFromPrimitiveListPrefix) {
                deletions.append((try directiveTarget(key, prefix: deleteFromPrimitiveListPrefix, path: path), value))
                continue
            }
            let fieldPath = join(path, key)
            let field = type?.fields[key]
            if case .null = value {
                result[key] = nil
                continue
            }
            guard let current = result[key] else {
                result[key] = try mergeIntoAbsent(value, field: field, path: fieldPath)
                continue
            }
            switch (current, value) {
            case (.object(let o), .object(let p)):
                result[key] = .object(try mergeMap(o, p, type: field?.type, path: fieldPath))
            case (.array(let o), .array(let p)):
                if let field, field.mergesList {
                    result[key] = .array(try mergeList(o, p, field: field, path: fieldPath))
                } else {
                    result[key] = cleanValue(value)
                }
            default:
                // Different JSON types, or scalars: the patch value wins.
                if let v = try mergeIntoAbsent(value, field: field, path: fieldPath) {
                    result[key] = v
                } else {
                    result[key] = nil
                }
            }
        }

        for (listKey, value) in deletions {
            let fieldPath = join(path, "\(deleteFromPrimitiveListPrefix)/\(listKey)")
            guard case .array(let toDelete) = value else {
                throw PatchError(field: fieldPath, problem: "must be a list of values to delete, got \(value.typeName)")
            }
            for (i, item) in toDelete.enumerated() where item.isContainer {
                throw PatchError(field: "\(fieldPath)[\(i)]", problem: "only scalar values can be deleted from a primitive list, got \(item.typeName)")
            }
            guard case .array(let items)? = result[listKey] else { continue }
            result[listKey] = .array(items.filter { item in !toDelete.contains { $0.isEquivalent(to: item) } })
        }
        return result
    }

    /// A patch value for a key the original does not have: merged into nothing, so directives still apply.
    /// Returns nil when nothing should be stored (a map that says `$patch: delete`).
    static func mergeIntoAbsent(_ value: JSONValue, field: PatchField?, path: String) throws -> JSONValue? {
        switch value {
        case .object(let p):
            if p[directiveMarker] == "delete" { return nil }
            return .object(try mergeMap([:], p, type: field?.type, path: path))
        case .array(let p):
            if let field, field.mergesList { return .array(try mergeList([], p, field: field, path: path)) }
            return cleanValue(value)
        default:
            return value
        }
    }

    /// `$retainKeys`: keys of the original not listed are cleared, and the patch may only set listed keys.
    static func applyRetainKeys(
        _ retain: JSONValue, patch: [String: JSONValue], to result: inout [String: JSONValue], path: String
    ) throws {
        let field = join(path, retainKeysDirective)
        guard case .array(let items) = retain else {
            throw PatchError(field: field, problem: "must be a list of field names, got \(retain.typeName)")
        }
        var keep = Set<String>()
        for (i, item) in items.enumerated() {
            guard case .string(let name) = item else {
                throw PatchError(field: "\(field)[\(i)]", problem: "must be a field name, got \(item.typeName)")
            }
            keep.insert(name)
        }
        for (key, value) in patch.sorted(by: { $0.key < $1.key }) {
            if value.isNull || key.hasPrefix(setElementOrderPrefix) || key.hasPrefix(deleteFromPrimitiveListPrefix) {
                continue
            }
            guard keep.contains(key) else {
                throw PatchError(field: field, problem: "the patch sets \"\(key)\", which $retainKeys does not list")
            }
        }
        result = result.filter { keep.contains($0.key) }
    }

    /// The list field a `$setElementOrder/<f>` or `$deleteFromPrimitiveList/<f>` key names.
    static func directiveTarget(_ key: String, prefix: String, path: String) throws -> String {
        let rest = key.dropFirst(prefix.count)
        guard rest.hasPrefix("/"), rest.count > 1 else {
            throw PatchError(field: join(path, key), problem: "directive must have the form \(prefix)/<list field>")
        }
        return String(rest.dropFirst())
    }

    // MARK: - Lists

    /// Merges two lists of a field tagged `patchStrategy:"merge"`, then orders the result as upstream does:
    /// patch items in patch order, server-only items in their live order, interleaved by the live order.
    static func mergeList(
        _ original: [JSONValue], _ patch: [JSONValue], field: PatchField, path: String
    ) throws -> [JSONValue] {
        if original.isEmpty && patch.isEmpty { return original }
        guard let mergeKey = field.mergeKey else {
            // A set of scalars (finalizers): union, keeping the first occurrence of each value.
            for (i, item) in patch.enumerated() where item.isContainer {
                throw PatchError(field: "\(path)[\(i)]", problem: "this list holds scalar values, got \(item.typeName)")
            }
            var merged: [JSONValue] = []
            for item in original + patch where !merged.contains(where: { $0.isEquivalent(to: item) }) {
                merged.append(item)
            }
            let inPatch = merged.filter { m in patch.contains { $0.isEquivalent(to: m) } }
            let serverOnly = merged.filter { m in !patch.contains { $0.isEquivalent(to: m) } }
            return normalizeOrder(patchItems: inPatch, serverOnly: serverOnly, patchOrder: patch, serverOrder: original, key: nil)
        }

        var base: [[String: JSONValue]] = []
        for (i, item) in original.enumerated() {
            guard case .object(let m) = item else {
                throw PatchError(field: "\(path)[\(i)]", problem: "the live list element must be an object with merge key \"\(mergeKey)\", got \(item.typeName)")
            }
            base.append(m)
        }
        // Special elements first: `$patch: delete` removes matching live elements, `$patch: replace` makes the
        // remaining patch elements the whole list.
        var plain: [(index: Int, map: [String: JSONValue])] = []
        var replace = false
        for (i, item) in patch.enumerated() {
            guard case .object(var m) = item else {
                throw PatchError(field: "\(path)[\(i)]", problem: "must be an object with merge key \"\(mergeKey)\", got \(item.typeName)")
            }
            guard let directive = m[directiveMarker] else {
                plain.append((i, m))
                continue
            }
            switch directive {
            case "delete":
                guard let keyValue = m[mergeKey] else {
                    throw PatchError(field: "\(path)[\(i)]", problem: "$patch: delete needs the merge key \"\(mergeKey)\"")
                }
                base.removeAll { $0[mergeKey]?.isEquivalent(to: keyValue) ?? false }
            case "replace":
                replace = true
            case "merge":
                m[directiveMarker] = nil
                plain.append((i, m))
            default:
                throw PatchError(field: "\(path)[\(i)].\(directiveMarker)", problem: "unknown patch directive \(directive.jsonText) in a list (want delete, replace or merge)")
            }
        }
        if replace {
            base = plain.map { clean($0.map) }
            plain = []
        }
        let serverOrder = base.map(JSONValue.object)
        var merged = base
        for (i, m) in plain {
            guard let keyValue = m[mergeKey] else {
                throw PatchError(field: "\(path)[\(i)]", problem: "does not contain declared merge key: \(mergeKey)")
            }
            let elementPath = "\(path)[\(i)]"
            if let j = merged.firstIndex(where: { $0[mergeKey]?.isEquivalent(to: keyValue) ?? false }) {
                merged[j] = try mergeMap(merged[j], m, type: field.type, path: elementPath)
            } else {
                merged.append(try mergeMap([:], m, type: field.type, path: elementPath))
            }
        }
        let patchKeys = plain.compactMap { $0.map[mergeKey] }
        let isPatchItem = { (m: [String: JSONValue]) in
            guard let v = m[mergeKey] else { return false }
            return patchKeys.contains { $0.isEquivalent(to: v) }
        }
        return normalizeOrder(
            patchItems: merged.filter(isPatchItem).map(JSONValue.object),
            serverOnly: merged.filter { !isPatchItem($0) }.map(JSONValue.object),
            patchOrder: plain.map { JSONValue.object($0.map) }, serverOrder: serverOrder, key: mergeKey)
    }

    /// `$setElementOrder/<listKey>`: merge the list as usual, then order it as the directive says.
    static func mergeOrderedList(
        _ listKey: String, order: JSONValue, patch: inout [String: JSONValue], into result: inout [String: JSONValue],
        type: PatchType?, path: String
    ) throws {
        let fieldPath = join(path, listKey)
        guard case .array(let orderList) = order else {
            throw PatchError(field: join(path, "\(setElementOrderPrefix)/\(listKey)"), problem: "must be a list, got \(order.typeName)")
        }
        guard let field = type?.fields[listKey], field.mergesList else {
            // Only merged lists have an order to set; for others the directive has nothing to do.
            return
        }
        if let key = field.mergeKey {
            for (i, item) in orderList.enumerated() where item[key].isNull {
                throw PatchError(
                    field: join(path, "\(setElementOrderPrefix)/\(listKey)[\(i)]"),
                    problem: "does not contain declared merge key: \(key)")
            }
        }
        let originalList: [JSONValue]?
        switch result[listKey] {
        case nil: originalList = nil
        case .array(let items)?: originalList = items
        case let other?: throw PatchError(field: fieldPath, problem: "the live value must be a list to order it, got \(other.typeName)")
        }
        let patchList: [JSONValue]?
        switch patch[listKey] {
        case nil: patchList = nil
        // A null list is a deletion; leave it to the main loop.
        case .null?: return
        case .array(let items)?: patchList = items
        case let other?: throw PatchError(field: fieldPath, problem: "must be a list, got \(other.typeName)")
        }
        let merged: [JSONValue]
        switch (originalList, patchList) {
        case (nil, nil): return
        case (let o?, nil): merged = o
        case (let o, let p?): merged = try mergeList(o ?? [], p, field: field, path: fieldPath)
        }
        let inOrder = { (item: JSONValue) in
            orderList.contains { sameElement($0, item, key: field.mergeKey) }
        }
        result[listKey] = .array(
            normalizeOrder(
                patchItems: merged.filter(inOrder), serverOnly: merged.filter { !inOrder($0) },
                patchOrder: orderList, serverOrder: originalList ?? [], key: field.mergeKey))
        patch[listKey] = nil
    }

    /// Whether two list elements are the same element: equal merge keys, or equal scalars for key-less lists.
    static func sameElement(_ a: JSONValue, _ b: JSONValue, key: String?) -> Bool {
        guard let key else { return a.isEquivalent(to: b) }
        guard case .object(let l) = a, case .object(let r) = b, let lv = l[key], let rv = r[key] else { return false }
        return lv.isEquivalent(to: rv)
    }

    /// upstream `normalizeElementOrder`: sort patch items by `patchOrder` and server-only items by `serverOrder`,
    /// then interleave them, placing a server-only item before a patch item when the live list had it first.
    static func normalizeOrder(
        patchItems: [JSONValue], serverOnly: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue],
        key: String?
    ) -> [JSONValue] {
        func position(_ item: JSONValue, in list: [JSONValue]) -> Int? {
            list.firstIndex { sameElement($0, item, key: key) }
        }
        func sorted(_ items: [JSONValue], by order: [JSONValue]) -> [JSONValue] {
            // Stable: items the order does not mention keep their relative order, after those it does.
            items.enumerated()
                .map { (pos: position($0.element, in: order) ?? Int.max, seq: $0.offset, item: $0.element) }
                .sorted { ($0.pos, $0.seq) < ($1.pos, $1.seq) }
                .map(\.item)
        }
        let right = sorted(patchItems, by: patchOrder)
        let left = sorted(serverOnly, by: serverOrder)
        var out: [JSONValue] = []
        out.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                out.append(right[j]); j += 1
            } else if j >= right.count {
                out.append(left[i]); i += 1
            } else if let li = position(left[i], in: serverOrder), let ri = position(right[j], in: serverOrder), li < ri {
                out.append(left[i]); i += 1
            } else {
                out.append(right[j]); j += 1
            }
        }
        return out
    }

    // MARK: - Helpers

    /// A patch value stored as it is: nulls dropped (nothing to delete below a new value), directive keys
    /// removed and list elements marked `$patch: delete` left out.
    static func cleanValue(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let m): return .object(clean(m))
        case .array(let items):
            return .array(
                items.compactMap { item in
                    if case .object(let m) = item, m[directiveMarker] == "delete" { return nil }
                    return cleanValue(item)
                })
        default: return value
        }
    }

    static func clean(_ map: [String: JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (k, v) in map where !v.isNull && !isDirectiveKey(k) {
            out[k] = cleanValue(v)
        }
        return out
    }

    static func isDirectiveKey(_ key: String) -> Bool {
        key == directiveMarker || key == retainKeysDirective || key.hasPrefix(setElementOrderPrefix + "/")
            || key.hasPrefix(deleteFromPrimitiveListPrefix + "/")
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// A patch that cannot be applied, and the field where that was found.
///
/// Printed as `spec.template.spec.containers[0]: does not contain declared merge key: name`.
public struct PatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Dotted field path with list indexes into the patch (`spec.ports[1]`); empty for the patch as a whole.
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

extension JSONValue {
    /// Whether this is an object or an array.
    var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }
}
