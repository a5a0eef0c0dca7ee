/// A label or field selector that cannot be parsed or used, with kube-apiserver's message
/// (`unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt`).
///
/// The API answers it as 400 BadRequest with `message` as the Status message.
public struct SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
