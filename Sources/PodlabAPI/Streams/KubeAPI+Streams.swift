import Foundation
import NIOHTTP1
import NIOPosix
import PodlabModel
import PodlabStore

/// A streaming answer: chunked text (pods/log?follow=true) or a WebSocket session (pods/exec, pods/attach).
public enum APIStreamAnswer: Sendable {
    /// An ordinary answer (errors, and logs without follow).
    case response(APIResponse)
    /// A chunked body: `produce` calls `write` for each chunk and returns at the end. The server cancels it
    /// when the client goes away.
    case chunked(
        contentType: String, produce: @Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void)
    /// Upgrade to a WebSocket and run the session.
    case webSocket(WebSocketSession)
}

extension KubeAPI {
    /// Answers pods/log, pods/exec and pods/attach when `streams` is configured; nil for every other request
    /// (and for these when it is not, so `handle` gives its 503).
    public func handleStream(_ req: APIRequest) async -> APIStreamAnswer? {
        // Every request passes here first; the suffix test keeps that free for all but the three subresources.
        guard req.path.hasSuffix("/log") || req.path.hasSuffix("/exec") || req.path.hasSuffix("/attach") else {
            return nil
        }
        guard let streams, case .resource(let t) = Route.parse(req.path), t.resource == Resources.pods,
            let sub = t.subresource, ["log", "exec", "attach"].contains(sub), let name = t.name
        else { return nil }
        do {
            guard let pod = await store.get(t.resource, namespace: t.namespace, name: name) else {
                throw StatusError.notFound(t.resource, name)
            }
            let container = try ContainerResolution.resolve(pod: pod, requested: req.query["container"])
            let runDir = streams.runDir(podUID: pod.at("metadata.uid").string ?? "", container: container)
            if sub == "log" {
                return try await log(req, pod: pod, container: container, runDir: runDir)
            }
            return try remoteCommand(sub, req, pod: pod, container: container, runDir: runDir, streams: streams)
        } catch let e as StatusError {
            return .response(.error(e))
        } catch {
            return .response(
                .error(StatusError(code: 500, reason: "InternalError", message: "Internal error occurred: \(error)")))
        }
    }

    // MARK: - exec and attach

    func remoteCommand(
        _ sub: String, _ req: APIRequest, pod: JSONValue, container: String, runDir: String,
        streams: PodStreamsConfig
    ) throws -> APIStreamAnswer {
        let q = req.query
        let podName = pod.at("metadata.name").string ?? ""
        let phase = pod.at("status.phase").string ?? ""
        if phase == "Succeeded" || phase == "Failed" {
            let verb = sub == "exec" ? "exec into" : "attach to"
            throw StatusError.badRequest("cannot \(verb) a container in a completed pod; current phase is \(phase)")
        }
        let (stdin, stdout, stderr, tty) = (q.bool("stdin"), q.bool("stdout"), q.bool("stderr"), q.bool("tty"))
        guard stdin || stdout || stderr else {
            throw StatusError.badRequest("you must specify at least one of stdin, stdout, stderr")
        }
        let command = q.all("command")
        if sub == "exec", command.isEmpty {
            throw StatusError.badRequest("you must specify at least 1 command")
        }
        let shim = ShimState(runDir: runDir)
        guard shim.isAlive else { throw ContainerResolution.notRunning(pod: pod, container: container) }
        if sub == "attach", !FileManager.default.fileExists(atPath: "\(runDir)/attach.sock") {
            throw StatusError.badRequest(
                "cannot attach to container \"\(container)\" in pod \"\(podName)\": it was not started with "
                    + "stdin or tty (set stdin: true or tty: true in the container spec)")
        }
        // Validation is done before looking at the transport: kubectl 1.30+ retries a failed WebSocket
        // upgrade over SPDY, so the SPDY answer must carry the same error for the user to see it.
        let upgrade = req.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        if upgrade.contains(where: { $0.hasPrefix("spdy") }) {
            throw StatusError.badRequest(
                "podlab supports pods/\(sub) over WebSocket (\(RemoteCommandFrame.subprotocol)) only, which kubectl "
                    + "1.30 or newer uses; this client asked for SPDY/3.1 (kubectl older than 1.30, or "
                    + "KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)")
        }
        guard req.method == .GET, upgrade.contains("websocket") else {
            throw StatusError.badRequest("Upgrade request required")
        }
        let offered = req.headers[canonicalForm: "sec-websocket-protocol"].flatMap {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard offered.contains(RemoteCommandFrame.subprotocol) else {
            throw StatusError.badRequest(
                "podlab speaks only the \(RemoteCommandFrame.subprotocol) subprotocol for pods/\(sub); this client "
                    + "offered \(offered.isEmpty ? "none" : offered.joined(separator: ", ")) (use kubectl 1.30 or newer)")
        }
        if sub == "attach" {
            let socketPath = "\(runDir)/attach.sock"
            return .webSocket(
                WebSocketSession(subprotocol: RemoteCommandFrame.subprotocol) { connection in
                    await AttachRelay.run(
                        socketPath: socketPath, stdin: stdin, stdout: stdout, stderr: stderr, over: connection)
                })
        }
        let argv = [streams.podlabExecutable, "internal", "nsexec", runDir] + (tty ? ["--tty"] : []) + ["--"] + command
        let spawner = streams.spawner
        return .webSocket(
            WebSocketSession(subprotocol: RemoteCommandFrame.subprotocol) { connection in
                let process: StreamProcess
                do {
                    process = try spawner.spawn(argv, tty: tty)
                } catch {
                    try? await connection.send(RemoteCommandFrame.failure("cannot start exec helper: \(error)").encoded)
                    await connection.close()
                    return
                }
                await ExecRelay.run(
                    process, tty: tty, stdin: stdin, stdout: stdout, stderr: stderr, over: connection)
            })
    }

    // MARK: - log

    func log(_ req: APIRequest, pod: JSONValue, container: String, runDir: String) async throws -> APIStreamAnswer {
        let q = req.query
        let podName = pod.at("metadata.name").string ?? ""
        func intParam(_ key: String) throws -> Int? {
            guard let raw = q[key], !raw.isEmpty else { return nil }
            guard let v = Int(raw), v >= 0 else {
                throw StatusError.badRequest("invalid \(key) \"\(raw)\": must be a non-negative integer")
            }
            return v
        }
        var options = CRILog.Options(timestamps: q.bool("timestamps"))
        options.tailLines = try intParam("tailLines")
        options.limitBytes = try intParam("limitBytes")
        if let seconds = try intParam("sinceSeconds") {
            guard q["sinceTime"] == nil else {
                throw StatusError.badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified")
            }
            options.since = clock().addingTimeInterval(-Double(seconds))
        } else if let raw = q["sinceTime"], !raw.isEmpty {
            guard let date = CRILog.parseTimestamp(raw) else {
                throw StatusError.badRequest("invalid sinceTime \"\(raw)\": must be RFC 3339")
            }
            options.since = date
        }
        let previous = q.bool("previous")
        let path = "\(runDir)/\(previous ? "previous.log" : "container.log")"
        guard FileManager.default.fileExists(atPath: path) else {
            if previous {
                throw StatusError.badRequest("previous terminated container \"\(container)\" in pod \"\(podName)\" not found")
            }
            throw ContainerResolution.notRunning(pod: pod, container: container)
        }
        let follow = q.bool("follow") && !previous
        let shimPID = follow ? ShimState.livePID(runDir: runDir) : nil
        guard follow, shimPID != nil else {
            let bytes = try await LogFile.read(path, from: 0)
            var out = CRILog.render(CRILog.select(CRILog.parseLines(bytes).lines, options), timestamps: options.timestamps)
            if let limit = options.limitBytes, out.count > limit { out = Array(out.prefix(limit)) }
            return .response(.bytes(.ok, contentType: "text/plain", out))
        }
        let chosen = options
        return .chunked(contentType: "text/plain") { write in
            try await LogFile.follow(path, runDir: runDir, options: chosen, write: write)
        }
    }
}

/// Reading container.log for pods/log, off the cooperative pool.
enum LogFile {
    /// How often a follow looks for new lines; kubelet's own follow polls too (every second, or on inotify).
    static let pollInterval: Duration = .milliseconds(200)

    static func read(_ path: String, from offset: Int) async throws -> [UInt8] {
        try await NIOThreadPool.singleton.runIfActive {
            guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            return Array(try handle.readToEnd() ?? Data())
        }
    }

    /// Sends what is there (since/tail applied), then new complete lines as they are written, until the
    /// container's shim has exited and the file is drained, or the client goes away (the task is cancelled).
    static func follow(
        _ path: String, runDir: String, options: CRILog.Options, write: @Sendable ([UInt8]) async throws -> Void
    ) async throws {
        var offset = 0
        var sent = 0
        var first = true
        while true {
            let alive = ShimState.livePID(runDir: runDir) != nil
            let bytes = try await read(path, from: offset)
            let (lines, consumed) = CRILog.parseLines(bytes)
            offset += consumed
            var kept = first ? CRILog.select(lines, options) : lines
            if !first, let since = options.since { kept = kept.filter { ($0.date ?? .distantFuture) >= since } }
            first = false
            var out = CRILog.render(kept, timestamps: options.timestamps)
            if let limit = options.limitBytes, sent + out.count >= limit {
                out = Array(out.prefix(limit - sent))
                if !out.isEmpty { try await write(out) }
                return
            }
            if !out.isEmpty {
                try await write(out)
                sent += out.count
            }
            // Checked before reading, so lines written just before the shim exited are still sent.
            if !alive { return }
            try await Task.sleep(for: pollInterval)
        }
    }
}
