import PodlabModel

/// One message of the `v5.channel.k8s.io` WebSocket subprotocol that kubectl 1.30+ speaks for exec and attach
/// (KEP-4006): every binary frame starts with a channel byte. kubectl-wire.md §6 has the observed traffic.
public enum RemoteCommandFrame: Equatable, Sendable {
    /// Channel 0, client to server.
    case stdin([UInt8])
    /// Channel 1, server to client.
    case stdout([UInt8])
    /// Channel 2, server to client (absent with a tty: the terminal merges both streams).
    case stderr([UInt8])
    /// Channel 3, server to client: the `metav1.Status` JSON that ends the session.
    case status([UInt8])
    /// Channel 4, client to server: `{"Width":120,"Height":30}` at start and on SIGWINCH.
    case resize(width: Int, height: Int)
    /// Channel 255 with the channel it closes: `[255, 0]` means the client's stdin ended.
    case close(channel: UInt8)

    /// The subprotocol podlab offers; kubectl 1.30-1.37 offers no other.
    public static let subprotocol = "v5.channel.k8s.io"

    /// Channel numbers (kubernetes/apimachinery remotecommand constants).
    public enum Channel {
        public static let stdin: UInt8 = 0
        public static let stdout: UInt8 = 1
        public static let stderr: UInt8 = 2
        public static let status: UInt8 = 3
        public static let resize: UInt8 = 4
        public static let close: UInt8 = 255
    }

    /// Decodes a binary frame's payload. Returns nil for an empty payload, an unknown channel, or a resize whose
    /// JSON is not an object with integer Width and Height (kube-apiserver drops those too).
    public init?(decoding payload: some Collection<UInt8>) {
        guard let channel = payload.first else { return nil }
        let rest = Array(payload.dropFirst())
        switch channel {
        case Channel.stdin: self = .stdin(rest)
        case Channel.stdout: self = .stdout(rest)
        case Channel.stderr: self = .stderr(rest)
        case Channel.status: self = .status(rest)
        case Channel.resize:
            guard let json = try? JSONValue(parsing: rest), let w = json["Width"].int, let h = json["Height"].int,
                w >= 0, h >= 0
            else { return nil }
            self = .resize(width: w, height: h)
        case Channel.close:
            guard let which = rest.first else { return nil }
            self = .close(channel: which)
        default: return nil
        }
    }

    /// The frame's payload: the channel byte, then the data.
    public var encoded: [UInt8] {
        switch self {
        case .stdin(let b): return [Channel.stdin] + b
        case .stdout(let b): return [Channel.stdout] + b
        case .stderr(let b): return [Channel.stderr] + b
        case .status(let b): return [Channel.status] + b
        case .resize(let w, let h): return [Channel.resize] + Array("{\"Width\":\(w),\"Height\":\(h)}\n".utf8)
        case .close(let c): return [Channel.close, c]
        }
    }

    /// The channel-3 message kube-apiserver sends when the command ends: Success for exit 0, otherwise the
    /// NonZeroExitCode Failure whose ExitCode cause kubectl turns into its own exit code.
    public static func exitStatus(_ code: Int) -> RemoteCommandFrame {
        .status(exitStatusJSON(code).serialized())
    }

    /// The Status JSON for an exit code (kubelet's `remotecommand` server writes the same).
    public static func exitStatusJSON(_ code: Int) -> JSONValue {
        if code == 0 { return ["metadata": [:], "status": "Success"] }
        return [
            "metadata": [:], "status": "Failure",
            "message": .string("command terminated with non-zero exit code: exit status \(code)"),
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]],
        ]
    }

    /// A channel-3 Failure for an error that is not an exit code (the command could not be started, ...).
    public static func failure(_ message: String) -> RemoteCommandFrame {
        .status(
            JSONValue.object(["metadata": [:], "status": "Failure", "message": .string(message)]).serialized())
    }
}
