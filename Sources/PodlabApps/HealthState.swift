import Synchronization

/// whoami's health status code, shared by all connections (POST /health changes it).
final class HealthState: Sendable {
    private let value = Mutex(200)
    var code: Int {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
