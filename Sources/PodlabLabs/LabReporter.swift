import Foundation

/// Output formats of `podlab lab run`.
public enum LabFormat: String, Sendable, CaseIterable {
    case human, tap, junit
}

/// One check's result, with where it was.
public struct CheckRecord: Sendable, Hashable {
    public var lab: String
    public var step: Int
    public var stepTitle: String
    public var check: String
    public var outcome: CheckOutcome
    public var seconds: Double
}

/// Receives a run's progress and prints it in one format.
public final class LabReporter: @unchecked Sendable {  // used from the one thread that runs the labs
    public let format: LabFormat
    let write: (String) -> Void
    public private(set) var records: [CheckRecord] = []
    var labStart = Date()
    var commandFailures = 0

    public init(format: LabFormat, write: @escaping (String) -> Void = { print($0) }) {
        self.format = format
        self.write = write
        if format == .tap { write("TAP version 13") }
    }

    func line(_ s: String) {
        switch format {
        case .human: write(s)
        case .tap:
            write(s.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { "# " + $0 }.joined(separator: "\n"))
        case .junit: FileHandle.standardError.write(Data((s + "\n").utf8))
        }
    }

    func labStarted(_ lab: Lab) {
        labStart = Date()
        line("Lab \(lab.name): \(lab.title)")
    }

    func stepStarted(_ index: Int, of total: Int, _ step: LabStep) {
        line("\nStep \(index + 1)/\(total): \(step.title)")
        if let note = step.note { line("  note: \(note)") }
    }

    func commandStarted(_ command: LabCommand) {
        if let shown = command.shown {
            line("  tutorial: \(shown)")
            if let note = command.note { line("  note: \(note)") }
        }
        let place = command.place == .vm ? "" : "[\(command.place)] "
        line("  $ \(place)\(command.run.split(separator: "\n").joined(separator: "\n    "))")
    }

    func commandFinished(_ command: LabCommand, _ result: CommandResult, ok: Bool) {
        let text = result.output.trimmed
        if !text.isEmpty {
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            let shown = lines.prefix(12).map { "    " + $0 }.joined(separator: "\n")
            line(shown + (lines.count > 12 ? "\n    … (\(lines.count - 12) more lines)" : ""))
        }
        if !ok {
            commandFailures += 1
            line("  ! the command " + (command.expectFailure ? "succeeded but the tutorial expects it to fail"
                : (result.timedOut ? "did not finish in \(command.timeout)s" : "failed (exit \(result.status))")))
        }
    }

    func checkFinished(_ record: CheckRecord) {
        records.append(record)
        let n = records.count
        switch format {
        case .human, .junit:
            switch record.outcome {
            case .passed(let detail): line("  ✓ \(record.check)" + (detail.isEmpty ? "" : ": \(detail)"))
            case .failed(let observed, let cause):
                line("  ✗ \(record.check)\n      observed: \(observed)" + (cause.map { "\n      cause: \($0)" } ?? ""))
            case .skipped(let why): line("  - \(record.check) (skipped: \(why))")
            }
        case .tap:
            let name = "\(record.lab) step \(record.step + 1): \(record.check)".replacingOccurrences(of: "#", with: "\\#")
            switch record.outcome {
            case .passed: write("ok \(n) - \(name)")
            case .skipped(let why): write("ok \(n) - \(name) # SKIP \(why)")
            case .failed(let observed, let cause):
                write("not ok \(n) - \(name)")
                write("  ---\n  observed: \(Self.yamlString(observed))"
                    + (cause.map { "\n  cause: \(Self.yamlString($0))" } ?? "") + "\n  ...")
            }
        }
    }

    func labFinished(_ lab: Lab) {
        let mine = records.filter { $0.lab == lab.name }
        let failed = mine.filter { $0.outcome.isFailure }.count
        let skipped = mine.filter { $0.outcome.isSkip }.count
        line(String(
            format: "\n%@: %d checks, %d passed, %d failed, %d skipped (%.1f s)", lab.name, mine.count,
            mine.count - failed - skipped, failed, skipped, Date().timeIntervalSince(labStart)))
    }

    /// Prints the end of the run: the TAP plan, or the JUnit document.
    public func finish(totalSeconds: Double) {
        switch format {
        case .human:
            if Set(records.map(\.lab)).count > 1 {
                let failed = records.filter { $0.outcome.isFailure }.count
                write(String(format: "\nAll labs: %d checks, %d failed (%.1f s)", records.count, failed, totalSeconds))
            }
        case .tap:
            write("1..\(records.count)")
        case .junit:
            write(junit(totalSeconds: totalSeconds))
        }
    }

    public var failed: Bool { records.contains { $0.outcome.isFailure } || commandFailures > 0 }

    func junit(totalSeconds: Double) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let failures = records.filter { $0.outcome.isFailure }.count
        xml += "<testsuites name=\"podlab labs\" tests=\"\(records.count)\" failures=\"\(failures)\" "
            + String(format: "time=\"%.3f\">\n", totalSeconds)
        var order: [String] = []
        for r in records where !order.contains(r.lab) { order.append(r.lab) }
        for lab in order {
            let mine = records.filter { $0.lab == lab }
            xml += "  <testsuite name=\"\(Self.xml(lab))\" tests=\"\(mine.count)\" "
                + "failures=\"\(mine.filter { $0.outcome.isFailure }.count)\" skipped=\"\(mine.filter { $0.outcome.isSkip }.count)\" "
                + String(format: "time=\"%.3f\">\n", mine.reduce(0) { $0 + $1.seconds })
            for r in mine {
                xml += "    <testcase classname=\"\(Self.xml("\(lab).step\(r.step + 1)"))\" name=\"\(Self.xml(r.check))\" "
                    + String(format: "time=\"%.3f\"", r.seconds)
                switch r.outcome {
                case .passed: xml += "/>\n"
                case .skipped(let why): xml += ">\n      <skipped message=\"\(Self.xml(why))\"/>\n    </testcase>\n"
                case .failed(let observed, let cause):
                    let message = observed + (cause.map { " (cause: \($0))" } ?? "")
                    xml += ">\n      <failure message=\"\(Self.xml(message))\"/>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>"
    }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func yamlString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
