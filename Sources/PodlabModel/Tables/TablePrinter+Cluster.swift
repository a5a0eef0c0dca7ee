import Foundation

extension TablePrinter {
    // MARK: Namespaces

    static let namespaceColumns: [TableColumn] = [
        .name, .string("Status", "The status of the namespace"), .age,
    ]

    /// printNamespace: STATUS is the phase (Active, Terminating).
    static func namespaceCells(_ namespace: JSONValue, now: Date) -> [JSONValue] {
        [name(namespace), .string(string(namespace.at("status.phase"))), age(namespace, now: now)]
    }

    // MARK: Nodes

    static let nodeColumns: [TableColumn] = [
        .name,
        .string("Status", "The status of the node"),
        .string("Roles", "The roles of the node"),
        .age,
        .string("Version", SwaggerDoc.nodeSystemInfoKubeletVersion),
        .string("Internal-IP", SwaggerDoc.nodeStatusAddresses, priority: 1),
        .string("External-IP", SwaggerDoc.nodeStatusAddresses, priority: 1),
        .string("OS-Image", SwaggerDoc.nodeSystemInfoOSImage, priority: 1),
        .string("Kernel-Version", SwaggerDoc.nodeSystemInfoKernelVersion, priority: 1),
        .string("Container-Runtime", SwaggerDoc.nodeSystemInfoContainerRuntimeVersion, priority: 1),
    ]

    /// printNode: STATUS from the Ready condition plus SchedulingDisabled when cordoned; ROLES from
    /// `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role` label.
    static func nodeCells(_ node: JSONValue, now: Date) -> [JSONValue] {
        let status = node["status"]
        var states: [String] = []
        // The last Ready condition wins, as a Go map keyed by type keeps the last one written.
        if let ready = (status["conditions"].array ?? []).last(where: { $0["type"].string == "Ready" }) {
            states.append(ready["status"].string == "True" ? "Ready" : "NotReady")
        }
        if states.isEmpty { states.append("Unknown") }
        if node.at("spec.unschedulable").bool == true { states.append("SchedulingDisabled") }

        var roles = Set<String>()
        for (key, value) in node.at("metadata.labels").object ?? [:] {
            let prefix = "node-role.kubernetes.io/"
            if key.hasPrefix(prefix) {
                let role = String(key.dropFirst(prefix.count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", let role = value.string, !role.isEmpty {
                roles.insert(role)
            }
        }
        let rolesText = roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")

        func address(_ type: String) -> String {
            (status["addresses"].array ?? []).first { $0["type"].string == type }?["address"].string ?? "<none>"
        }
        func info(_ key: String) -> String {
            let value = string(status["nodeInfo"][key])
            return value.isEmpty ? "<unknown>" : value
        }
        return [
            name(node), .string(states.joined(separator: ",")), .string(rolesText), age(node, now: now),
            .string(string(status.at("nodeInfo.kubeletVersion"))),
            .string(address("InternalIP")), .string(address("ExternalIP")),
            .string(info("osImage")), .string(info("kernelVersion")), .string(info("containerRuntimeVersion")),
        ]
    }

    // MARK: Events

    // The modern order: Last Seen, Type, Reason, Object, then the wide columns around Message.
    static let eventColumns: [TableColumn] = [
        .string("Last Seen", SwaggerDoc.eventLastTimestamp),
        .string("Type", SwaggerDoc.eventType),
        .string("Reason", SwaggerDoc.eventReason),
        .string("Object", SwaggerDoc.eventInvolvedObject),
        .string("Subobject", SwaggerDoc.objectReferenceFieldPath, priority: 1),
        .string("Source", SwaggerDoc.eventSource, priority: 1),
        .string("Message", SwaggerDoc.eventMessage),
        .string("First Seen", SwaggerDoc.eventFirstTimestamp, priority: 1),
        .string("Count", SwaggerDoc.eventCount, priority: 1),
        TableColumn(name: "Name", type: "string", format: "name", description: SwaggerDoc.objectMetaName, priority: 1),
    ]

    /// printEvent: times fall back from lastTimestamp to firstTimestamp to eventTime; a series overrides
    /// both the last-seen time and the count.
    static func eventCells(_ event: JSONValue, now: Date) -> [JSONValue] {
        func isZero(_ v: JSONValue) -> Bool { (v.string ?? "").isEmpty }
        var firstSeen = since(event["firstTimestamp"], now: now)
        if isZero(event["firstTimestamp"]) { firstSeen = since(event["eventTime"], now: now) }
        var lastSeen = since(event["lastTimestamp"], now: now)
        if isZero(event["lastTimestamp"]) { lastSeen = firstSeen }
        var count = int(event["count"])
        let series = event["series"]
        if case .object = series {
            lastSeen = since(series["lastObservedTime"], now: now)
            count = int(series["count"])
        } else if count == 0 {
            // Singleton events of the events.k8s.io API carry no count.
            count = 1
        }
        let involved = event["involvedObject"]
        let kind = string(involved["kind"]).lowercased()
        let involvedName = string(involved["name"])
        let target = involvedName.isEmpty ? kind : "\(kind)/\(involvedName)"

        // formatEventSource: component (or reportingComponent), then ", host" (or reportingInstance).
        func firstNonEmpty(_ a: JSONValue, _ b: JSONValue) -> String {
            let s = string(a)
            return s.isEmpty ? string(b) : s
        }
        let component = firstNonEmpty(event.at("source.component"), event["reportingComponent"])
        let instance = firstNonEmpty(event.at("source.host"), event["reportingInstance"])
        let source = instance.isEmpty ? component : "\(component), \(instance)"

        return [
            .string(lastSeen), .string(string(event["type"])), .string(string(event["reason"])), .string(target),
            .string(string(involved["fieldPath"])), .string(source),
            .string(string(event["message"]).trimmingCharacters(in: .whitespacesAndNewlines)),
            .string(firstSeen), .int(Int64(count)), name(event),
        ]
    }

    // MARK: ConfigMaps, Secrets, ServiceAccounts

    static let configMapColumns: [TableColumn] = [.name, .string("Data", SwaggerDoc.configMapData), .age]

    /// printConfigMap: DATA counts data and binaryData keys.
    static func configMapCells(_ configMap: JSONValue, now: Date) -> [JSONValue] {
        let count = (configMap["data"].object?.count ?? 0) + (configMap["binaryData"].object?.count ?? 0)
        return [name(configMap), .int(Int64(count)), age(configMap, now: now)]
    }

    static let secretColumns: [TableColumn] = [
        .name, .string("Type", SwaggerDoc.secretType), .string("Data", SwaggerDoc.secretData), .age,
    ]

    /// printSecret. Only `data` counts: the apiserver has merged stringData into it before storing.
    static func secretCells(_ secret: JSONValue, now: Date) -> [JSONValue] {
        [
            name(secret), .string(string(secret["type"])), .int(Int64(secret["data"].object?.count ?? 0)),
            age(secret, now: now),
        ]
    }

    static let serviceAccountColumns: [TableColumn] = [
        .name, .string("Secrets", SwaggerDoc.serviceAccountSecrets), .age,
    ]

    /// printServiceAccount.
    static func serviceAccountCells(_ account: JSONValue, now: Date) -> [JSONValue] {
        [name(account), .int(Int64(account["secrets"].array?.count ?? 0)), age(account, now: now)]
    }

    // MARK: RoleBindings and ClusterRoleBindings (Roles and ClusterRoles use the default table)

    static func roleBindingColumns(kind: String, roleRef: String) -> [TableColumn] {
        [
            .name, .string("Role", roleRef), .age,
            .string("Users", "Users in the \(kind)", priority: 1),
            .string("Groups", "Groups in the \(kind)", priority: 1),
            .string("ServiceAccounts", "ServiceAccounts in the \(kind)", priority: 1),
        ]
    }

    /// printRoleBinding / printClusterRoleBinding: ROLE is `Kind/name`; subjects split by kind.
    static func roleBindingCells(_ binding: JSONValue, now: Date) -> [JSONValue] {
        var users: [String] = []
        var groups: [String] = []
        var serviceAccounts: [String] = []
        for subject in binding["subjects"].array ?? [] {
            switch subject["kind"].string {
            case "ServiceAccount": serviceAccounts.append("\(string(subject["namespace"]))/\(string(subject["name"]))")
            case "User": users.append(string(subject["name"]))
            case "Group": groups.append(string(subject["name"]))
            default: break
            }
        }
        let roleRef = binding["roleRef"]
        return [
            name(binding), .string("\(string(roleRef["kind"]))/\(string(roleRef["name"]))"), age(binding, now: now),
            .string(users.joined(separator: ", ")), .string(groups.joined(separator: ", ")),
            .string(serviceAccounts.joined(separator: ", ")),
        ]
    }
}
