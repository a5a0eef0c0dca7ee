import Foundation

/// What a finished command printed and how it ended.
public struct CommandResult: Sendable, Hashable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool

    public var output: String { stderr.isEmpty ? stdout : (stdout.isEmpty ? stderr : stdout + "\n" + stderr) }
}

/// Runs a program with a time bound; a program that outlives it is killed by its PID (SIGKILL: children of
/// podlab's test processes inherit a blocked SIGTERM).
public enum LabShell {
    public static func run(
        _ argv: [String], env: [String: String], cwd: String? = nil, timeout: Int, stdin: String? = nil
    ) -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = env
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        do {
            try p.run()
        } catch {
            return CommandResult(status: 127, stdout: "", stderr: "cannot run \(argv[0]): \(error)", timedOut: false)
        }
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        let collected = Collected()
        let group = DispatchGroup()
        for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
            group.enter()
            Thread.detachNewThread {
                let data = handle.readDataToEndOfFile()
                collected.set(data, isOut: isOut)
                group.leave()
            }
        }
        let pid = p.processIdentifier
        let deadline = DispatchTime.now() + .seconds(timeout)
        let timedOut = group.wait(timeout: deadline) == .timedOut
        if timedOut {
            kill(pid, SIGKILL)
            _ = group.wait(timeout: .now() + .seconds(5))
        }
        p.waitUntilExit()
        let (o, e) = collected.get()
        return CommandResult(
            status: timedOut ? 124 : p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self), timedOut: timedOut)
    }
}

/// The two pipes' contents, filled by reader threads.
private final class Collected: Sendable {
    private let data = Mutex<(Data, Data)>((Data(), Data()))
    func set(_ d: Data, isOut: Bool) { data.withLock { if isOut { $0.0 = d } else { $0.1 = d } } }
    func get() -> (Data, Data) { data.withLock { $0 } }
}

import Synchronization
