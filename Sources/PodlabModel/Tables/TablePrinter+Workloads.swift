import Foundation

extension TablePrinter {
    // MARK: Deployments

    // Upstream declares Up-to-date and Available as "string" columns yet fills them with int64 cells.
    static let deploymentColumns: [TableColumn] = [
        .name,
        .string("Ready", "Number of the pod with ready state"),
        .string("Up-to-date", SwaggerDoc.deploymentStatusUpdatedReplicas),
        .string("Available", SwaggerDoc.deploymentStatusAvailableReplicas),
        .age,
        .containers, .images,
        .string("Selector", SwaggerDoc.deploymentSpecSelector, priority: 1),
    ]

    /// printDeployment: READY is `ready/desired`; spec.replicas defaults to 1 as the apiserver defaults it.
    static func deploymentCells(_ deployment: JSONValue, now: Date) -> [JSONValue] {
        let spec = deployment["spec"]
        let status = deployment["status"]
        let desired = int(spec["replicas"], default: 1)
        let (names, images) = containerCells(spec.at("template.spec.containers"))
        return [
            name(deployment), .string("\(int(status["readyReplicas"]))/\(desired)"),
            .int(Int64(int(status["updatedReplicas"]))), .int(Int64(int(status["availableReplicas"]))),
            age(deployment, now: now), names, images,
            .string(SelectorText.selector(spec["selector"]) ?? "<invalid>"),
        ]
    }

    // MARK: ReplicaSets

    static let replicaSetColumns: [TableColumn] = [
        .name,
        .integer("Desired", SwaggerDoc.replicaSetSpecReplicas),
        .integer("Current", SwaggerDoc.replicaSetStatusReplicas),
        .integer("Ready", SwaggerDoc.replicaSetStatusReadyReplicas),
        .age,
        .containers, .images,
        .string("Selector", SwaggerDoc.replicaSetSpecSelector, priority: 1),
    ]

    /// printReplicaSet.
    static func replicaSetCells(_ replicaSet: JSONValue, now: Date) -> [JSONValue] {
        let spec = replicaSet["spec"]
        let status = replicaSet["status"]
        let (names, images) = containerCells(spec.at("template.spec.containers"))
        return [
            name(replicaSet), .int(Int64(int(spec["replicas"], default: 1))),
            .int(Int64(int(status["replicas"]))), .int(Int64(int(status["readyReplicas"]))),
            age(replicaSet, now: now), names, images,
            .string(SelectorText.formatLabelSelector(spec["selector"])),
        ]
    }
}
