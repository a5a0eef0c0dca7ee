import Foundation
import PodlabModel
import Testing

@testable import PodlabAPI

@Suite("Streams: v5 frames, CRI logs, container resolution")
struct StreamsCodecTests {
    @Test("v5 frames decode by channel byte, and resize JSON is read")
    func v5Decode() {
        #expect(RemoteCommandFrame(decoding: [0, 104, 105]) == .stdin([104, 105]))
        #expect(RemoteCommandFrame(decoding: [255, 0]) == .close(channel: 0))
        #expect(RemoteCommandFrame(decoding: [4] + Array("{\"Width\":120,\"Height\":30}\n".utf8)) == .resize(width: 120, height: 30))
        #expect(RemoteCommandFrame(decoding: [4] + Array("nope".utf8)) == nil)
        #expect(RemoteCommandFrame(decoding: []) == nil)
        #expect(RemoteCommandFrame(decoding: [9, 1]) == nil)
        #expect(RemoteCommandFrame.stdout([65]).encoded == [1, 65])
        #expect(RemoteCommandFrame.close(channel: 0).encoded == [255, 0])
    }

    @Test("exit status: Success for 0, NonZeroExitCode with an ExitCode cause otherwise")
    func exitStatus() throws {
        #expect(RemoteCommandFrame.exitStatusJSON(0) == ["metadata": [:], "status": "Success"])
        let failure = RemoteCommandFrame.exitStatusJSON(3)
        #expect(failure["reason"].string == "NonZeroExitCode")
        #expect(failure["status"].string == "Failure")
        #expect(failure.at("details.causes")[0]["reason"].string == "ExitCode")
        #expect(failure.at("details.causes")[0]["message"].string == "3")
        guard case .status(let bytes) = RemoteCommandFrame.exitStatus(3) else {
            Issue.record("not a status frame")
            return
        }
        #expect(try JSONValue(parsing: bytes) == failure)
    }

    @Test("attach frames round-trip and wait for a whole frame")
    func attachFrames() throws {
        let frames: [AttachFrame] = [.stdin([1, 2]), .stdinClose, .resize(width: 200, height: 50), .stdout([]), .stderr([9]), .exit(-1)]
        let bytes = frames.flatMap(\.encoded)
        var decoded: [AttachFrame] = []
        var start = 0
        while let (frame, n) = try AttachFrame.decode(bytes[start...]) {
            decoded.append(frame)
            start += n
        }
        #expect(decoded == frames)
        #expect(try AttachFrame.decode(AttachFrame.stdin([1, 2, 3]).encoded.dropLast()[...]) == nil)
        #expect(throws: AttachProtocolError.self) { try AttachFrame.decode([7, 0, 0, 0, 0][...]) }
    }

    static let log = """
        2025-01-02T03:04:05.000000001Z stdout F first
        2025-01-02T03:04:06.5Z stderr P sec
        2025-01-02T03:04:06.6Z stderr F ond
        2025-01-02T03:04:07Z stdout F third
        2025-01-02T03:04:08Z stdout P unfini
        """

    @Test("CRI lines: partial records joined, an unfinished line left for later")
    func criParse() {
        let (lines, consumed) = CRILog.parseLines(Array((Self.log + "\n").utf8))
        #expect(lines.map { String(decoding: $0.content, as: UTF8.self) } == ["first", "second", "third"])
        #expect(lines[1].timestamp == "2025-01-02T03:04:06.5Z" && lines[1].stream == "stderr")
        let upToThird = Self.log.split(separator: "\n").prefix(4).joined(separator: "\n").utf8.count + 1
        #expect(consumed == upToThird)
    }

    @Test("tailLines, sinceTime and timestamps as kubelet applies them")
    func criSelect() throws {
        let lines = CRILog.parseLines(Array((Self.log + "\n").utf8)).lines
        let tail = CRILog.render(CRILog.select(lines, .init(tailLines: 2)), timestamps: false)
        #expect(String(decoding: tail, as: UTF8.self) == "second\nthird\n")
        let since = try #require(CRILog.parseTimestamp("2025-01-02T03:04:06Z"))
        let recent = CRILog.render(CRILog.select(lines, .init(since: since)), timestamps: true)
        #expect(String(decoding: recent, as: UTF8.self) == "2025-01-02T03:04:06.5Z second\n2025-01-02T03:04:07Z third\n")
        #expect(CRILog.parseTimestamp("2025-01-02T04:04:06+01:00") == since)
        #expect(CRILog.parseTimestamp("yesterday") == nil)
    }

    @Test("CRI records format with nanoseconds in UTC and parse back")
    func criFormat() throws {
        let date = Date(timeIntervalSince1970: 1_735_787_045.25)
        let record = CRILog.format(Array("hi".utf8), stream: "stdout", partial: false, at: date)
        #expect(String(decoding: record, as: UTF8.self) == "2025-01-02T03:04:05.250000000Z stdout F hi\n")
        let parsed = try #require(CRILog.parseRecord(record.dropLast()))
        #expect(parsed.content == Array("hi".utf8) && !parsed.partial)
        // Leading zeros in every field, and a partial record.
        let early = CRILog.format(Array("x".utf8), stream: "stderr", partial: true, at: Date(timeIntervalSince1970: 946_688_461.5))
        #expect(String(decoding: early, as: UTF8.self) == "2000-01-01T01:01:01.500000000Z stderr P x\n")
        #expect(CRILog.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000000Z")
    }

    static let pod: JSONValue = [
        "metadata": ["name": "web", "annotations": ["kubectl.kubernetes.io/default-container": "app"]],
        "spec": ["containers": [["name": "app"], ["name": "sidecar"]], "initContainers": [["name": "init"]]],
        "status": ["containerStatuses": [["name": "sidecar", "state": ["waiting": ["reason": "ErrImagePull"]]]]],
    ]

    @Test("container resolution: explicit, annotated default, only one, and kube-apiserver's errors")
    func resolution() throws {
        #expect(try ContainerResolution.resolve(pod: Self.pod, requested: "sidecar") == "sidecar")
        #expect(try ContainerResolution.resolve(pod: Self.pod, requested: nil) == "app")
        let single: JSONValue = ["metadata": ["name": "one"], "spec": ["containers": [["name": "c"]]]]
        #expect(try ContainerResolution.resolve(pod: single, requested: "") == "c")
        #expect(throws: StatusError.badRequest("container nope is not valid for pod web")) {
            try ContainerResolution.resolve(pod: Self.pod, requested: "nope")
        }
        let two: JSONValue = ["metadata": ["name": "two"], "spec": ["containers": [["name": "a"], ["name": "b"]]]]
        #expect(throws: StatusError.badRequest("a container name must be specified for pod two, choose one of: [a b]")) {
            try ContainerResolution.resolve(pod: two, requested: nil)
        }
        #expect(
            ContainerResolution.notRunning(pod: Self.pod, container: "sidecar").message
                == "container \"sidecar\" in pod \"web\" is waiting to start: ErrImagePull")
        #expect(
            ContainerResolution.notRunning(pod: Self.pod, container: "app").message
                == "container \"app\" in pod \"web\" is waiting to start: ContainerCreating")
    }
}
