/// An nftables script that libnftables refused, with the lines of the script its messages point at.
///
/// Printed as (one line)
/// ```
/// nft_run_cmd_from_filename on netns podlab-worker: line 12 `delete element ip kube-proxy cluster-ips
/// { 10.9.9.9 }`: Could not process rule: No such file or directory
/// ```
/// A refused script changed nothing: libnftables sends a script as one netlink batch, which the kernel
/// commits whole or not at all.
public struct NftError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One message of nft's, and the script line it names when it names one.
    public struct Problem: Sendable, Equatable {
        /// The 1-based line of the script, when nft gave a location inside the script.
        public var line: Int?
        /// That line of the script, without surrounding whitespace.
        public var source: String?
        /// nft's message, e.g. `Error: Could not process rule: File exists`.
        public var message: String

        public init(line: Int?, source: String?, message: String) {
            self.line = line
            self.source = source
            self.message = message
        }
    }

    /// The libnftables call, e.g. `nft_run_cmd_from_filename` or `nft_run_cmd_from_filename (dry run)`.
    public var call: String
    /// Where it ran, e.g. `netns podlab-worker`.
    public var subject: String
    /// nft's error buffer, verbatim.
    public var output: String
    /// The messages in `output`, in order, duplicates dropped.
    public var problems: [Problem]

    /// Builds the error from nft's error buffer. `scriptName` is the name nft was given for the script
    /// (it prefixes locations inside the script); `<cmdline>` and `/dev/stdin`, nft's names for buffer
    /// and stdin input, count as the script too.
    public init(call: String, subject: String, output: String, script: String, scriptName: String) {
        self.call = call
        self.subject = subject
        self.output = output
        self.problems = NftError.problems(in: output, script: script, scriptNames: [scriptName])
    }

    /// The script lines named by nft's messages, in order, each once.
    public var lines: [Int] {
        var seen = Set<Int>()
        return problems.compactMap(\.line).filter { seen.insert($0).inserted }
    }

    public var description: String {
        let text = problems.map { problem -> String in
            var message = Substring(problem.message)
            if message.hasPrefix("Error: ") { message = message.dropFirst("Error: ".count) }
            guard let line = problem.line else { return String(message) }
            return "line \(line) `\(problem.source ?? "")`: \(message)"
        }
        if text.isEmpty {
            let raw = output.trimmingWhitespace()
            return "\(call) on \(subject): failed" + (raw.isEmpty ? " (nft printed no message)" : ": \(raw)")
        }
        return "\(call) on \(subject): " + text.joined(separator: "; ")
    }

    // MARK: - Reading nft's messages

    /// Splits nft's error buffer into its messages. A message starts at a line with a location
    /// (`NAME:LINE:COL-COL: Error: ...`) or at a line starting `Error:`/`Warning:` (nft 1.0.6 prints no
    /// location for buffer input, and netlink messages have none); the lines after it (the echoed source
    /// and the `^^^` marker) belong to it and are skipped. A location names a script line only when NAME
    /// is one of `scriptNames`, `<cmdline>` or `/dev/stdin` and LINE is inside the script.
    static func problems(in output: String, script: String, scriptNames: Set<String>) -> [Problem] {
        let scriptLines = script.split(separator: "\n", omittingEmptySubsequences: false)
        let names = scriptNames.union(["<cmdline>", "/dev/stdin"])
        var result: [Problem] = []
        func add(_ problem: Problem) {
            if !result.contains(problem) { result.append(problem) }
        }
        for rawLine in output.split(separator: "\n") {
            if let location = location(of: rawLine) {
                var problem = Problem(line: nil, source: nil, message: String(location.rest))
                if names.contains(String(location.name)), (1...scriptLines.count).contains(location.line) {
                    problem.line = location.line
                    problem.source = String(scriptLines[location.line - 1]).trimmingWhitespace()
                }
                add(problem)
            } else if rawLine.hasPrefix("Error:") || rawLine.hasPrefix("Warning:") || rawLine.hasPrefix("netlink: ") {
                add(Problem(line: nil, source: nil, message: String(rawLine).trimmingWhitespace()))
            }
        }
        return result
    }

    /// Parses the location nft puts before a message: `NAME:LINE:FIRST-LAST: rest` (or `NAME:LINE:COL:`).
    /// NAME holds no whitespace, which keeps out `In file included from X:1:2-3:` lines.
    static func location(of line: Substring) -> (name: Substring, line: Int, rest: Substring)? {
        guard let nameEnd = line.firstIndex(of: ":") else { return nil }
        let name = line[..<nameEnd]
        if name.isEmpty || name.contains(where: \.isWhitespace) { return nil }
        var rest = line[line.index(after: nameEnd)...]

        func digits() -> Int? {
            let run = rest.prefix(while: \.isASCIIDigit)
            guard !run.isEmpty, let value = Int(run) else { return nil }
            rest = rest.dropFirst(run.count)
            return value
        }
        guard let lineNumber = digits(), rest.first == ":" else { return nil }
        rest = rest.dropFirst()
        guard digits() != nil else { return nil }
        if rest.first == "-" {
            rest = rest.dropFirst()
            guard digits() != nil else { return nil }
        }
        guard rest.first == ":" else { return nil }
        return (name, lineNumber, rest.dropFirst().drop(while: { $0 == " " }))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        let trimmedFront = drop(while: \.isWhitespace)
        return String(trimmedFront.reversed().drop(while: \.isWhitespace).reversed())
    }
}
