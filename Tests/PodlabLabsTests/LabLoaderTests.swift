import Foundation
import Testing

@testable import PodlabLabs

@Suite struct LabLoaderTests {
    static let labs = LabCatalog(
        directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("labs").path)

    @Test func theFiveSeedLabsLoadInSeedOrder() throws {
        #expect(Self.labs.names() == ["connecting-apps", "service-discovery", "routing-models", "exposing-containers", "clusterip-headless"])
        for name in Self.labs.names() {
            let lab = try Self.labs.load(name)
            #expect(!lab.steps.isEmpty && !lab.description.isEmpty, "\(name)")
            #expect(lab.steps.allSatisfy { !$0.checks.isEmpty }, "\(name): every step checks something")
            // Every file a command applies is shipped with the lab.
            for step in lab.steps {
                for command in step.commands {
                    for file in Self.appliedFiles(command.run) {
                        #expect(FileManager.default.fileExists(atPath: "\(Self.labs.directory)/\(name)/\(file)"), "\(name): \(file)")
                    }
                }
            }
        }
    }

    static func appliedFiles(_ command: String) -> [String] {
        let words = command.split(separator: " ").map(String.init)
        guard let i = words.firstIndex(of: "-f"), i + 1 < words.count else { return [] }
        return words[i + 1].split(separator: ",").map(String.init).filter { !$0.hasPrefix("~") }
    }

    @Test func routingModelsShowsTheTutorialsCommandsWithTodaysEquivalents() throws {
        let lab = try Self.labs.load("routing-models")
        let commands = lab.steps.flatMap(\.commands)
        let edit = try #require(commands.first { $0.shown == "vi kubeanimals-svc.yaml" })
        #expect(edit.run.hasPrefix("sed -i") && edit.note != nil)
        let spread = lab.steps[2].checks.compactMap { check -> HTTPProbe? in
            if case .http(let p) = check.kind { return p } else { return nil }
        }
        #expect(spread.first?.spread?.selector == "app=destination" && spread.first?.requests == 30)
        #expect(spread.first?.place == .pod(target: "deploy/origin", namespace: "default"))
    }

    @Test func errorsNameTheLineAndTheField() {
        func error(_ text: String) -> String {
            do {
                _ = try LabLoader.parse(text, name: "x", source: "x/lab.yaml")
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let base = "title: t\ndescription: d\nsteps:\n  - title: s\n    text: x\n"
        #expect(error(base + "    checks:\n      - http: http://a/\n        requests: 0\n")
            == "x/lab.yaml:8:19: steps[0].checks[0].requests: must be a whole number 1-500, got \"0\"")
        #expect(error(base + "    checks:\n      - rollout: deployment/a\n        http: http://a/\n")
            == "x/lab.yaml:7:9: steps[0].checks[0]: a check names exactly one of rollout, pods, kubectl, endpoints, http, dns, counters, command; found rollout, http")
        #expect(error(base + "    commands:\n      - run: x\n        in: laptop\n")
            == "x/lab.yaml:8:13: steps[0].commands[0].in: must be vm, pod, node or outside, got \"laptop\"")
        #expect(error(base + "    colour: red\n") .hasPrefix("x/lab.yaml:6:5: steps[0].colour: unknown field"))
        #expect(error("title: t\nsource: seed 002 (Services: basic)\n") == "x/lab.yaml:2:27: not YAML: mapping values are not allowed in this context")
        #expect(error("title: t\ndescription: d\nsteps: []\n") == "x/lab.yaml:3:8: steps: a lab needs at least one step")
        #expect(error("title: t\nsteps:\n  - title: s\n    text: x\n") == "x/lab.yaml:1:1: description: required")
        #expect(error(base + "    checks:\n      - http: http://a/\n        spread: {pods: a=b, identity: 'no group'}\n")
            .contains("spread.identity: must be a regular expression with a group"))
    }
}
