/// The framing on a container shim's `attach.sock` (a unix stream socket in the container's run dir), which
/// pods/attach uses to join the main process's stdio. Each frame is a type byte, a 4-byte big-endian length and
/// the payload. The API server sends stdin, stdin-close and resize; the shim sends output and the exit code.
public enum AttachFrame: Equatable, Sendable {
    case stdin([UInt8])
    /// The attacher's stdin ended; with `stdinOnce` the shim then closes the process's stdin.
    case stdinClose
    case resize(width: UInt16, height: UInt16)
    case stdout([UInt8])
    case stderr([UInt8])
    /// The main process ended with this code; the shim closes the socket after it.
    case exit(Int32)

    /// The largest payload accepted, so a corrupt length cannot make a reader allocate gigabytes.
    public static let maxPayload = 1 << 20

    var type: UInt8 {
        switch self {
        case .stdin: return 0
        case .stdinClose: return 1
        case .resize: return 2
        case .stdout: return 3
        case .stderr: return 4
        case .exit: return 5
        }
    }

    /// The frame as it goes on the socket.
    public var encoded: [UInt8] {
        let payload: [UInt8]
        switch self {
        case .stdin(let b), .stdout(let b), .stderr(let b): payload = b
        case .stdinClose: payload = []
        case .resize(let w, let h): payload = [UInt8(w >> 8), UInt8(w & 0xff), UInt8(h >> 8), UInt8(h & 0xff)]
        case .exit(let c):
            let u = UInt32(bitPattern: c)
            payload = [UInt8(u >> 24), UInt8((u >> 16) & 0xff), UInt8((u >> 8) & 0xff), UInt8(u & 0xff)]
        }
        let n = UInt32(payload.count)
        return [type, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + payload
    }

    /// Decodes the first frame of `buffer`: the frame and its encoded length, nil when more bytes are needed.
    /// Throws on an unknown type or an oversized length (the peer is not speaking this protocol).
    public static func decode(_ buffer: ArraySlice<UInt8>) throws -> (AttachFrame, Int)? {
        guard buffer.count >= 5 else { return nil }
        let s = buffer.startIndex
        let n = Int(buffer[s + 1]) << 24 | Int(buffer[s + 2]) << 16 | Int(buffer[s + 3]) << 8 | Int(buffer[s + 4])
        guard n <= maxPayload else { throw AttachProtocolError(message: "frame of \(n) bytes exceeds the limit") }
        guard buffer.count >= 5 + n else { return nil }
        let p = Array(buffer[(s + 5)..<(s + 5 + n)])
        let frame: AttachFrame
        switch buffer[s] {
        case 0: frame = .stdin(p)
        case 1: frame = .stdinClose
        case 2:
            guard p.count == 4 else { throw AttachProtocolError(message: "resize frame of \(p.count) bytes") }
            frame = .resize(width: UInt16(p[0]) << 8 | UInt16(p[1]), height: UInt16(p[2]) << 8 | UInt16(p[3]))
        case 3: frame = .stdout(p)
        case 4: frame = .stderr(p)
        case 5:
            guard p.count == 4 else { throw AttachProtocolError(message: "exit frame of \(p.count) bytes") }
            let u = UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
            frame = .exit(Int32(bitPattern: u))
        default: throw AttachProtocolError(message: "unknown frame type \(buffer[s])")
        }
        return (frame, 5 + n)
    }
}

/// A peer on attach.sock sent bytes that are not `AttachFrame`s.
public struct AttachProtocolError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "attach socket: \(message)" }
}
