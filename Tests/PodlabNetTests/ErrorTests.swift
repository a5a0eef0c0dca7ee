import Glibc
import Logging
import Testing

@testable import PodlabNet

@Suite("errors and undo")
struct ErrorTests {
    @Test("a kernel error names the call, the subject and the errno")
    func description() {
        let e = KernelError(call: "RTM_NEWLINK veth", subject: "plv1 in netns podlab-worker", errno: EEXIST)
        #expect(e.description == "RTM_NEWLINK veth on plv1 in netns podlab-worker: File exists (errno 17)")
        #expect(e.isAlreadyExists)
        #expect(!e.isNotFound)
    }

    @Test("libnl codes map to already-exists and not-found")
    func netlinkCodes() {
        #expect(
            KernelError(call: "c", subject: "s", errno: nil, detail: "Object exists", netlinkCode: 6).isAlreadyExists)
        #expect(KernelError(call: "c", subject: "s", errno: nil, detail: "No such device", netlinkCode: 31).isNotFound)
        #expect(KernelError(call: "c", subject: "s", errno: nil, netlinkCode: 12).isNotFound)
        #expect(KernelError(call: "c", subject: "s", errno: ENODEV).isNotFound)
        #expect(KernelError(call: "c", subject: "s", errno: nil, detail: "x").description == "c on s: failed: x")
    }

    @Test("the missing-capability error is one line that says to use sudo")
    func capabilities() {
        let e = Capabilities.MissingError(missing: ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"])
        #expect(
            e.description
                == "podlab needs CAP_NET_ADMIN and CAP_SYS_ADMIN (missing: CAP_NET_ADMIN, CAP_SYS_ADMIN); run it with sudo"
        )
        if getuid() == 0 { #expect(Capabilities.missing().isEmpty) }
    }

    @Test("an undo stack unwinds in reverse unless committed, and goes on past a failing step")
    func undo() {
        final class Log: @unchecked Sendable { var steps: [String] = [] }
        let log = Log()
        do {
            var undo = UndoStack(logger: Logger(label: "test"))
            undo.push("one") { log.steps.append("one") }
            undo.push("two") { throw KernelError(call: "x", subject: "y", errno: EIO) }
            undo.push("three") { log.steps.append("three") }
            undo.unwindUnlessCommitted()
            undo.unwindUnlessCommitted()
        }
        #expect(log.steps == ["three", "one"])
        var committed = UndoStack(logger: Logger(label: "test"))
        committed.push("never") { log.steps.append("never") }
        committed.commit()
        committed.unwindUnlessCommitted()
        #expect(log.steps == ["three", "one"])
    }
}
