import Foundation

/// The labs on this machine: folders under a labs directory, each with a lab.yaml and the tutorial's files.
public struct LabCatalog: Sendable {
    public var directory: String

    public init(directory: String) { self.directory = directory }

    /// The labs directory: $PODLAB_LABS, then the installed copy, then the repository beside the binary
    /// (`.build/<config>/podlab` -> `labs/`).
    public static func locate(executable: String) -> LabCatalog? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["PODLAB_LABS"] { candidates.append(env) }
        let exeDir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(exeDir.deletingLastPathComponent().appendingPathComponent("share/podlab/labs").path)
        candidates.append("/usr/local/share/podlab/labs")
        var dir = exeDir
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("labs").path)
            dir = dir.deletingLastPathComponent()
        }
        for c in candidates where FileManager.default.fileExists(atPath: c + "/") {
            let catalog = LabCatalog(directory: c)
            if !catalog.names().isEmpty { return catalog }
        }
        return nil
    }

    public func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)/lab.yaml") }.sorted { a, b in
            order(a) < order(b)
        }
    }

    /// Labs sort by the seed they come from (`source: seed 002 ...`), then by name.
    func order(_ name: String) -> String {
        let text = (try? String(contentsOfFile: "\(directory)/\(name)/lab.yaml", encoding: .utf8)) ?? ""
        if let r = text.range(of: #"source: *"?seed (\d+)"#, options: .regularExpression) {
            return String(text[r].filter(\.isNumber)) + name
        }
        return "zzz" + name
    }

    public func load(_ name: String) throws -> Lab {
        let path = "\(directory)/\(name)/lab.yaml"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LabError("no lab named \"\(name)\" (labs: \(names().joined(separator: ", ")))")
        }
        return try LabLoader.parse(text, name: name, source: path)
    }

    /// Copies the lab's files into `workDir` (made afresh), where its commands run.
    public func stage(_ name: String, into workDir: String) throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: workDir)
        try fm.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        for file in try fm.contentsOfDirectory(atPath: "\(directory)/\(name)") where file != "lab.yaml" {
            try fm.copyItem(atPath: "\(directory)/\(name)/\(file)", toPath: "\(workDir)/\(file)")
        }
    }
}

/// A lab problem to print as `error: ...`.
public struct LabError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Exercise mode's progress: which lab, which step, which steps have passed. Kept in the state dir.
public struct LabProgress: Codable, Sendable, Hashable {
    public var lab: String
    /// 0-based index of the current step.
    public var step: Int
    public var passed: [Int]
    /// Where the learner's copy of the lab's files is.
    public var workDir: String

    public init(lab: String, step: Int = 0, passed: [Int] = [], workDir: String) {
        self.lab = lab
        self.step = step
        self.passed = passed
        self.workDir = workDir
    }

    public static func load(_ path: String) -> LabProgress? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(LabProgress.self, from: data)
    }

    public func save(_ path: String) throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
