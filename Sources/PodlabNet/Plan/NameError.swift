/// A name that the kernel or podlab's naming scheme would refuse, found before anything is changed.
public struct NameError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of name: `interface name`, `netns name`, `prefix`.
    public var kind: String
    public var name: String
    public var problem: String

    public var description: String { "\(kind) \"\(name)\": \(problem)" }
}
