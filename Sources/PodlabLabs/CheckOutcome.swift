/// How a check ended.
public enum CheckOutcome: Sendable, Hashable {
    /// Passed; the detail is the observed value worth showing (`answered by 3 pods: a×7, b×6, c×7`).
    case passed(String)
    /// Failed: what was observed, and the cause found by looking at the cluster, if any.
    case failed(String, cause: String?)
    /// Not run, and why (node internals on a cluster that is not podlab's).
    case skipped(String)

    public var isFailure: Bool { if case .failed = self { return true } else { return false } }
    public var isSkip: Bool { if case .skipped = self { return true } else { return false } }
}
