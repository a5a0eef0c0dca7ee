import CNftables
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How nft prints what list commands return.
public struct NftOutput: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// nft's JSON schema (`nft -j`) instead of the ruleset language.
    public static let json = NftOutput(rawValue: UInt32(NFT_CTX_OUTPUT_JSON))
    /// Without counters, quotas and other state (`nft -s`), so two reads compare equal.
    public static let stateless = NftOutput(rawValue: UInt32(NFT_CTX_OUTPUT_STATELESS))
    /// With each object's handle (`nft -a`).
    public static let handles = NftOutput(rawValue: UInt32(NFT_CTX_OUTPUT_HANDLE))
    /// Without set and map elements (`nft -t`).
    public static let terse = NftOutput(rawValue: UInt32(NFT_CTX_OUTPUT_TERSE))
}

/// A libnftables context: runs nft scripts in the network namespace its creating thread was in.
///
/// libnftables opens its netfilter netlink socket in `nft_ctx_new` (1.0.6: `nft_ctx_netlink_init`),
/// so every command goes to the netns of the thread that *created* the context, wherever it runs
/// later. Create it on a `NetnsThread` after setns, and use it only there: it is deliberately not
/// `Sendable`. Interface names in rules (`iif "eth0"`) are looked up with a fresh rtnetlink socket in
/// the netns of the thread *running* the command, so run it from the netns it was created in.
///
/// A context is meant to be kept: on a tiny table its first command cost about 14 ms and later ones
/// about 0.2 ms (1.0.6). Symbols declared with `define` live as long as the context, as in `nft -i`:
/// defining one again in a later script is an error, so podlab's scripts do not use `define`.
public final class NftContext {
    private let handle: OpaquePointer
    /// Where it runs, for errors: `netns podlab-worker`.
    public let subject: String

    /// libnftables 1.0.6 keeps process-wide state: the interface cache of iface.c (one global list,
    /// filled from the calling thread's netns and freed at the end of every command) and the one-time
    /// initialisation in `nft_ctx_new`. Two namespace threads inside the library at once could free each
    /// other's cache or read another netns's interfaces, so every call into it holds this lock.
    private static let library = Mutex<Void>(())

    /// Creates a context bound to the calling thread's network namespace, with nft's output and error
    /// text captured in buffers (nothing is printed). Changes nothing in the kernel.
    ///
    /// libnftables ends the process if it cannot open its netlink socket (`netlink_init_error`), so a
    /// failure here is only the unexpected NULL.
    public init(subject: String) throws {
        let made = NftContext.library.withLock { _ -> OpaquePointer? in
            guard let ctx = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else { return nil }
            // Both return 0 on success; a failure leaves the stream on stdout/stderr, which only
            // loses the text, so it is not worth refusing the context for.
            _ = nft_ctx_buffer_output(ctx)
            _ = nft_ctx_buffer_error(ctx)
            return ctx
        }
        guard let made else {
            throw KernelError(call: "nft_ctx_new", subject: subject, errno: nil, detail: "returned NULL")
        }
        self.handle = made
        self.subject = subject
    }

    deinit {
        let handle = self.handle
        NftContext.library.withLock { _ in nft_ctx_free(handle) }
    }

    /// Runs `script` as one transaction and returns what nft printed (the result of `list` commands).
    ///
    /// All of the script's changes are sent in one netlink batch, which the kernel applies whole or not
    /// at all: when any command is refused (by nft's parser, its evaluation, or the kernel) nothing
    /// changes and this throws `NftError` naming the script lines nft's messages point at. Touches the
    /// nftables ruleset of the context's netns; idempotent exactly when the script is (`add` is, `create`
    /// is not).
    @discardableResult
    public func run(_ script: String, output: NftOutput = []) throws -> String {
        try execute(script, dryRun: false, output: output)
    }

    /// Checks `script` as `run` would, without committing it (`nft -c`). The kernel still sees the batch
    /// and refuses what it would refuse, then aborts it: nothing changes. Throws `NftError`.
    public func check(_ script: String) throws {
        _ = try execute(script, dryRun: true, output: [])
    }

    /// Why a memfd and `nft_run_cmd_from_filename` rather than `nft_run_cmd_from_buffer`: for buffer
    /// input nft 1.0.6 prints messages without their location and echoes the buffer's *first* line under
    /// every one of them (erec.c, `INDESC_BUFFER`), so a refused line could not be named. For a file it
    /// prints `NAME:LINE:COL-COL: Error: ...` and the right line. The file is still read and sent as one
    /// batch, as `nft -f` does; the memfd never touches a filesystem.
    private func execute(_ script: String, dryRun: Bool, output: NftOutput) throws -> String {
        let file = try ScriptFile(script, subject: subject)
        defer { file.close() }
        let call = "nft_run_cmd_from_filename" + (dryRun ? " (dry run)" : "")
        let handle = self.handle
        let (status, printed, errors) = NftContext.library.withLock { _ -> (Int32, String, String) in
            nft_ctx_set_dry_run(handle, dryRun)
            nft_ctx_output_set_flags(handle, output.rawValue)
            let status = nft_run_cmd_from_filename(handle, file.path)
            nft_ctx_set_dry_run(handle, false)
            nft_ctx_output_set_flags(handle, 0)
            // Reading a buffer also rewinds it for the next command, so read both every time.
            let printed = nft_ctx_get_output_buffer(handle).map { String(cString: $0) } ?? ""
            let errors = nft_ctx_get_error_buffer(handle).map { String(cString: $0) } ?? ""
            return (status, printed, errors)
        }
        if status != 0 {
            throw NftError(call: call, subject: subject, output: errors, script: script, scriptName: file.path)
        }
        return printed
    }
}

/// A script in an anonymous memory file, readable by path (`/proc/self/fd/N`) from any thread of
/// this process, whatever its netns.
private struct ScriptFile {
    let fd: Int32
    var path: String { "/proc/self/fd/\(fd)" }

    init(_ script: String, subject: String) throws {
        fd = podlab_nft_memfd("podlab-nft")
        if fd < 0 { throw KernelError.fromErrno("memfd_create", "nft script for \(subject)") }
        let bytes = Array(script.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                let error = KernelError.fromErrno("write", "nft script for \(subject)")
                Glibc.close(fd)
                throw error
            }
            written += n
        }
    }

    func close() { Glibc.close(fd) }
}
