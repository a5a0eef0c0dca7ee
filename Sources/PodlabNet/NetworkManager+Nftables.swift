extension NetworkManager {
    // MARK: - nftables

    /// Applies `script` to the nftables ruleset of `netns` (a node, the wire or the outside) as one
    /// transaction, and returns what nft printed.
    ///
    /// Runs on the netns's own thread with that thread's `NftContext`, which was created there after
    /// setns (libnftables binds its socket to the netns it is created in) and is reused for every call.
    /// All or nothing: when nft or the kernel refuses any line, the ruleset stays as it was and this
    /// throws `NftError` with the refused lines. Idempotent exactly when the script is (a full sync that
    /// starts `add table` / `delete table` is). Throws `KernelError` when the netns cannot be entered.
    @discardableResult
    public func applyNft(_ script: String, in netns: NetnsName) throws -> String {
        let output = try thread(netns).perform { ctx in try ctx.nft().run(script) }
        logger.debug("applied nft script (\(script.utf8.count) bytes) in netns \(netns)")
        return output
    }

    /// Checks `script` against the ruleset of `netns` without committing it (`nft -c`): the kernel
    /// sees the batch and refuses what it would refuse, then aborts it. Changes nothing.
    /// Throws `NftError` naming the refused lines, or `KernelError` when the netns cannot be entered.
    public func checkNft(_ script: String, in netns: NetnsName) throws {
        try thread(netns).perform { ctx in try ctx.nft().check(script) }
    }

    /// Runs nft read commands (`list ruleset`, `list table ip kube-proxy`) in `netns` and returns
    /// their text, printed as `output` asks (`.json`, `.stateless`, ...). Meant for reads only; it
    /// runs whatever it is given, on the same context as `applyNft`. Throws `NftError` or `KernelError`.
    public func listNft(_ command: String = "list ruleset", in netns: NetnsName, output: NftOutput = [])
        throws -> String
    {
        try thread(netns).perform { ctx in try ctx.nft().run(command, output: output) }
    }
}
