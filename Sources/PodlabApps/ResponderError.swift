/// Why a responder could not start.
public enum ResponderError: Error, CustomStringConvertible, Equatable {
    /// The image is a shell image (busybox, alpine, ...): it runs its command, not a built-in server.
    case noServer(image: String)

    public var description: String {
        switch self {
        case .noServer(let image): return "image \(image) has no built-in server; its command runs instead"
        }
    }
}
