import Foundation

/// What each Table row carries besides its cells (`?includeObject=` on a Table request).
public enum IncludeObject: String, Sendable {
    case none = "None"
    case metadata = "Metadata"
    case object = "Object"
}

/// kube-apiserver's server-side printing: `meta.k8s.io/v1` Tables built the way
/// `pkg/printers/internalversion/printers.go` builds them, so the real kubectl prints podlab's objects
/// column for column as it prints a cluster's.
///
/// The apiserver always generates the wide set (`GenerateOptions{Wide: true}`); kubectl hides the
/// priority-1 columns unless `-o wide` is given. Resources without a printer get the apiserver's default
/// table (`rest.NewDefaultTableConvertor`): Name and Created At.
public enum TablePrinter {
    /// The Table for `objects` of `resource`: columnDefinitions + one row per object, `now` for the AGE cells.
    public static func table(
        resource: ResourceInfo, objects: [JSONValue], now: Date,
        includeObject: IncludeObject = .metadata,
        resourceVersion: String?, continueToken: String? = nil,
        remainingItemCount: Int? = nil
    ) -> JSONValue {
        let kind = TableKind(resource)
        var metadata: [String: JSONValue] = [:]
        if let resourceVersion, !resourceVersion.isEmpty { metadata["resourceVersion"] = .string(resourceVersion) }
        if let continueToken, !continueToken.isEmpty { metadata["continue"] = .string(continueToken) }
        if let remainingItemCount { metadata["remainingItemCount"] = .int(Int64(remainingItemCount)) }

        let rows: [JSONValue] = objects.map { object in
            var row: [String: JSONValue] = ["cells": .array(kind.cells(object, now: now))]
            if let conditions = kind.conditions(object) { row["conditions"] = .array(conditions) }
            switch includeObject {
            // RawExtension with no object marshals as null, and the field has no omitempty.
            case .none: row["object"] = .null
            case .metadata: row["object"] = partialObjectMetadata(object)
            case .object: row["object"] = object
            }
            return .object(row)
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": .object(metadata),
            "columnDefinitions": .array(kind.columns.map(\.json)),
            "rows": .array(rows),
        ]
    }

    /// The columnDefinitions of `resource`'s Table, wide (priority 1) columns included.
    public static func columnDefinitions(for resource: ResourceInfo) -> [JSONValue] {
        TableKind(resource).columns.map(\.json)
    }

    /// The cells of one row for `object`, in column order, each a JSON string or integer as Go emits it.
    public static func cells(for object: JSONValue, resource: ResourceInfo, now: Date) -> [JSONValue] {
        TableKind(resource).cells(object, now: now)
    }

    /// `meta.AsPartialObjectMetadata`: the object's whole metadata under kind PartialObjectMetadata.
    static func partialObjectMetadata(_ object: JSONValue) -> JSONValue {
        [
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": object["metadata"].isNull ? .object([:]) : object["metadata"],
        ]
    }

    // MARK: - Shared cell helpers

    /// `translateTimestampSince`: the age of an RFC 3339 timestamp, `<unknown>` when absent or unreadable.
    static func since(_ timestamp: JSONValue, now: Date) -> String {
        guard let text = timestamp.string, !text.isEmpty, let date = Timestamps.parse(text) else { return "<unknown>" }
        return HumanDuration.string(now.timeIntervalSince(date))
    }

    /// The AGE cell of any object.
    static func age(_ object: JSONValue, now: Date) -> JSONValue {
        .string(since(object.at("metadata.creationTimestamp"), now: now))
    }

    static func name(_ object: JSONValue) -> JSONValue {
        .string(object.at("metadata.name").string ?? "")
    }

    /// A Go int32/int64 field: absent reads as zero, as an unset Go field does.
    static func int(_ value: JSONValue, default fallback: Int = 0) -> Int {
        value.int ?? fallback
    }

    static func string(_ value: JSONValue) -> String { value.string ?? "" }

    /// `layoutContainerCells`: container names and images, each joined by commas.
    static func containerCells(_ containers: JSONValue) -> (names: JSONValue, images: JSONValue) {
        let list = containers.array ?? []
        return (
            .string(list.map { string($0["name"]) }.joined(separator: ",")),
            .string(list.map { string($0["image"]) }.joined(separator: ","))
        )
    }

    /// `listWithMoreString`: the first `max` entries, then ` + N more...`; `<unset>` when empty.
    static func listWithMore(_ list: [String], more: Bool, count: Int, max: Int) -> String {
        let text = list.joined(separator: ",")
        if more { return "\(text) + \(count - max) more..." }
        return text.isEmpty ? "<unset>" : text
    }
}

/// Which printer a resource gets; unknown resources get the apiserver's default table.
enum TableKind: Sendable {
    case pods, services, endpoints, endpointSlices, deployments, replicaSets, namespaces, nodes, events
    case ingresses, ingressClasses, networkPolicies, configMaps, secrets, serviceAccounts
    case roleBindings, clusterRoleBindings
    /// Roles, ClusterRoles and anything else: `rest.NewDefaultTableConvertor` (Name, Created At).
    case defaultTable

    init(_ resource: ResourceInfo) {
        switch (resource.group, resource.plural) {
        case ("", "pods"): self = .pods
        case ("", "services"): self = .services
        case ("", "endpoints"): self = .endpoints
        case ("discovery.k8s.io", "endpointslices"): self = .endpointSlices
        case ("apps", "deployments"): self = .deployments
        case ("apps", "replicasets"): self = .replicaSets
        case ("", "namespaces"): self = .namespaces
        case ("", "nodes"): self = .nodes
        case ("", "events"): self = .events
        case ("networking.k8s.io", "ingresses"): self = .ingresses
        case ("networking.k8s.io", "ingressclasses"): self = .ingressClasses
        case ("networking.k8s.io", "networkpolicies"): self = .networkPolicies
        case ("", "configmaps"): self = .configMaps
        case ("", "secrets"): self = .secrets
        case ("", "serviceaccounts"): self = .serviceAccounts
        case ("rbac.authorization.k8s.io", "rolebindings"): self = .roleBindings
        case ("rbac.authorization.k8s.io", "clusterrolebindings"): self = .clusterRoleBindings
        default: self = .defaultTable
        }
    }

    var columns: [TableColumn] {
        switch self {
        case .pods: TablePrinter.podColumns
        case .services: TablePrinter.serviceColumns
        case .endpoints: TablePrinter.endpointsColumns
        case .endpointSlices: TablePrinter.endpointSliceColumns
        case .deployments: TablePrinter.deploymentColumns
        case .replicaSets: TablePrinter.replicaSetColumns
        case .namespaces: TablePrinter.namespaceColumns
        case .nodes: TablePrinter.nodeColumns
        case .events: TablePrinter.eventColumns
        case .ingresses: TablePrinter.ingressColumns
        case .ingressClasses: TablePrinter.ingressClassColumns
        case .networkPolicies: TablePrinter.networkPolicyColumns
        case .configMaps: TablePrinter.configMapColumns
        case .secrets: TablePrinter.secretColumns
        case .serviceAccounts: TablePrinter.serviceAccountColumns
        case .roleBindings: TablePrinter.roleBindingColumns(kind: "roleBinding", roleRef: SwaggerDoc.roleBindingRoleRef)
        case .clusterRoleBindings:
            TablePrinter.roleBindingColumns(kind: "clusterRoleBinding", roleRef: SwaggerDoc.clusterRoleBindingRoleRef)
        case .defaultTable: TablePrinter.defaultColumns
        }
    }

    func cells(_ object: JSONValue, now: Date) -> [JSONValue] {
        switch self {
        case .pods: TablePrinter.podCells(object, now: now)
        case .services: TablePrinter.serviceCells(object, now: now)
        case .endpoints: TablePrinter.endpointsCells(object, now: now)
        case .endpointSlices: TablePrinter.endpointSliceCells(object, now: now)
        case .deployments: TablePrinter.deploymentCells(object, now: now)
        case .replicaSets: TablePrinter.replicaSetCells(object, now: now)
        case .namespaces: TablePrinter.namespaceCells(object, now: now)
        case .nodes: TablePrinter.nodeCells(object, now: now)
        case .events: TablePrinter.eventCells(object, now: now)
        case .ingresses: TablePrinter.ingressCells(object, now: now)
        case .ingressClasses: TablePrinter.ingressClassCells(object, now: now)
        case .networkPolicies: TablePrinter.networkPolicyCells(object, now: now)
        case .configMaps: TablePrinter.configMapCells(object, now: now)
        case .secrets: TablePrinter.secretCells(object, now: now)
        case .serviceAccounts: TablePrinter.serviceAccountCells(object, now: now)
        case .roleBindings, .clusterRoleBindings: TablePrinter.roleBindingCells(object, now: now)
        case .defaultTable: TablePrinter.defaultCells(object)
        }
    }

    /// Row conditions: only pods set them (Completed, for a pod that succeeded or failed).
    func conditions(_ object: JSONValue) -> [JSONValue]? {
        guard case .pods = self else { return nil }
        return TablePrinter.podRowConditions(object)
    }
}

extension TablePrinter {
    static let defaultColumns: [TableColumn] = [
        .name,
        TableColumn(name: "Created At", type: "date", description: SwaggerDoc.objectMetaCreationTimestamp),
    ]

    /// The default convertor prints creationTimestamp in RFC 3339 UTC; Go's zero time when it is unset.
    static func defaultCells(_ object: JSONValue) -> [JSONValue] {
        let created = object.at("metadata.creationTimestamp").string.flatMap(Timestamps.parse)
        return [name(object), .string(created.map(Timestamps.format) ?? "0001-01-01T00:00:00Z")]
    }
}
