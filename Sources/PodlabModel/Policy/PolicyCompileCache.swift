/// Compiled NetworkPolicies kept between syncs, by namespace/name and resourceVersion: a sync caused by a pod or
/// namespace change (most of them) then decodes and compiles no policy again.
public struct PolicyCompileCache: Sendable {
    private var entries: [String: (version: String, result: Result<CompiledPolicy, PolicyError>)] = [:]

    public init() {}

    /// The compiled policies and the errors of those that do not decode or compile, for `objects` as the store
    /// holds them. Entries of policies no longer present are dropped. An object without a resourceVersion is
    /// compiled every time.
    public mutating func compile(_ objects: [JSONValue]) -> (policies: [CompiledPolicy], errors: [PolicyError]) {
        var policies: [CompiledPolicy] = []
        var errors: [PolicyError] = []
        var next: [String: (version: String, result: Result<CompiledPolicy, PolicyError>)] = [:]
        for object in objects {
            let meta = object["metadata"]
            let key = "\(meta["namespace"].string ?? "default")/\(meta["name"].string ?? "")"
            let version = meta["resourceVersion"].string
            let result: Result<CompiledPolicy, PolicyError>
            if let version, let hit = entries[key], hit.version == version {
                result = hit.result
            } else {
                do {
                    result = .success(try CompiledPolicy(try object.decode(as: NetworkPolicy.self)))
                } catch let e as PolicyError {
                    result = .failure(e)
                } catch {
                    result = .failure(PolicyError(policy: key, field: "spec", problem: "\(error)"))
                }
            }
            if let version { next[key] = (version, result) }
            switch result {
            case .success(let p): policies.append(p)
            case .failure(let e): errors.append(e)
            }
        }
        entries = next
        return (policies, errors)
    }
}
