import Testing

@testable import PodlabNet

@Suite("nft error messages")
struct NftablesErrorTests {
    let script = """
        add table ip kube-proxy
        add chain ip kube-proxy services
        delete element ip kube-proxy cluster-ips { 10.9.9.9 }
        add rule ip kube-proxy nochain counter
        """

    @Test("a refused line is named by number and text, from the NAME:LINE:COL-COL location nft prints for files")
    func fileLocations() {
        // nft 1.0.6's error buffer for a script read from /proc/self/fd/7, two commands refused.
        let output = """
            /proc/self/fd/7:3:44-51: Error: Could not process rule: No such file or directory
            delete element ip kube-proxy cluster-ips { 10.9.9.9 }
                                                       ^^^^^^^^
            /proc/self/fd/7:4:24-30: Error: Could not process rule: No such file or directory
            add rule ip kube-proxy nochain counter
                                   ^^^^^^^

            """
        let error = NftError(
            call: "nft_run_cmd_from_filename", subject: "netns pltest-node", output: output, script: script,
            scriptName: "/proc/self/fd/7")
        #expect(error.lines == [3, 4])
        #expect(
            error.problems == [
                .init(
                    line: 3, source: "delete element ip kube-proxy cluster-ips { 10.9.9.9 }",
                    message: "Error: Could not process rule: No such file or directory"),
                .init(
                    line: 4, source: "add rule ip kube-proxy nochain counter",
                    message: "Error: Could not process rule: No such file or directory"),
            ])
        #expect(
            error.description
                == "nft_run_cmd_from_filename on netns pltest-node: "
                + "line 3 `delete element ip kube-proxy cluster-ips { 10.9.9.9 }`: "
                + "Could not process rule: No such file or directory; "
                + "line 4 `add rule ip kube-proxy nochain counter`: Could not process rule: No such file or directory")
        #expect(error.output == output)
    }

    @Test("<cmdline> and /dev/stdin locations name script lines too", arguments: ["<cmdline>", "/dev/stdin"])
    func otherInputNames(name: String) {
        let output = "\(name):2:25-32: Error: syntax error, unexpected junk\nadd chain ip kube-proxy services\n"
        let error = NftError(call: "c", subject: "s", output: output, script: script, scriptName: "/proc/self/fd/9")
        #expect(error.lines == [2])
        #expect(error.problems.first?.source == "add chain ip kube-proxy services")
    }

    @Test("the location parser reads NAME:LINE:COL-COL and NAME:LINE:COL, and nothing else")
    func locationParser() {
        let full = NftError.location(of: "/proc/self/fd/4:12:3-9: Error: File exists")
        #expect(full?.name == "/proc/self/fd/4")
        #expect(full?.line == 12)
        #expect(full?.rest == "Error: File exists")
        #expect(NftError.location(of: "<cmdline>:7:5: Warning: x")?.line == 7)
        #expect(NftError.location(of: "In file included from /etc/a.nft:1:2-3:") == nil)
        #expect(NftError.location(of: "Error: Could not process rule: File exists") == nil)
        #expect(NftError.location(of: "add rule ip t c ip daddr 10.0.0.1:80") == nil)
        #expect(NftError.location(of: "x:12:: Error") == nil)
        #expect(NftError.location(of: ":1:2-3: Error") == nil)
    }

    @Test("locations in other files, line 0 or past the end name no script line but keep the message")
    func foreignLocations() {
        let output = """
            internal:0:0-0: Error: Could not process rule: Operation not permitted
            /etc/nftables.d/x.nft:2:1-4: Error: syntax error
            /proc/self/fd/7:99:1-4: Error: out of range
            """
        let error = NftError(call: "c", subject: "s", output: output, script: script, scriptName: "/proc/self/fd/7")
        #expect(error.lines.isEmpty)
        #expect(
            error.problems.map(\.message) == [
                "Error: Could not process rule: Operation not permitted", "Error: syntax error",
                "Error: out of range",
            ])
    }

    @Test("a message without a location (1.0.6 buffer input) is kept whole, its echoed line skipped, repeats dropped")
    func noLocation() {
        let output = """
            Error: Could not process rule: File exists
            add table ip kube-proxy
                                   ^^^^^
            Error: Could not process rule: File exists
            add table ip kube-proxy
                                   ^^^^^
            """
        let error = NftError(call: "c", subject: "s", output: output, script: script, scriptName: "<cmdline>")
        #expect(error.lines.isEmpty)
        #expect(
            error.problems == [.init(line: nil, source: nil, message: "Error: Could not process rule: File exists")])
        #expect(error.description == "c on s: Could not process rule: File exists")
    }

    @Test("an empty error buffer still says what failed")
    func empty() {
        let error = NftError(call: "c", subject: "netns n", output: "", script: script, scriptName: "<cmdline>")
        #expect(error.description == "c on netns n: failed (nft printed no message)")
    }
}
