import PodlabModel

extension NetworkManager {
    // MARK: - conntrack

    /// The IPv4 UDP entries of the conntrack table of `netns` (a node), as `conntrack -L -p udp -f ipv4` lists
    /// them: both tuples, the zone and the kernel's id of each. Reads only.
    ///
    /// Runs on the netns's own thread with a ctnetlink socket opened there for the call (the table read is the
    /// one of the netns the socket was created in). The table is empty until something in the netns uses
    /// conntrack, e.g. the NAT chains of `table ip kube-proxy`. Throws `KernelError` when the netns cannot be
    /// entered or the kernel refuses the dump.
    public func udpConntrackFlows(in netns: NetnsName) throws -> [ConntrackFlow] {
        try thread(netns).perform { ctx in
            try ConntrackSocket(netns: ctx.netns.rawValue).flows(protocolNumber: ConntrackFlow.udp)
        }
    }

    /// Deletes `flows` from the conntrack table of `netns`, each by its original tuple (and zone, and id when it
    /// was listed from the kernel, so a newer entry that reuses the tuple is left alone). Returns how many the
    /// kernel deleted; an entry that is already gone (ENOENT) counts as done but not as deleted.
    ///
    /// Idempotent: a second call with the same flows deletes nothing and succeeds. Stops at the first other
    /// refusal and throws it as `KernelError` naming the entry (e.g. `IPCTNL_MSG_CT_DELETE on conntrack entry udp
    /// src=… in netns podlab-worker: Operation not permitted (errno 1)`); entries deleted before it stay deleted.
    @discardableResult
    public func deleteConntrackFlows(_ flows: [ConntrackFlow], in netns: NetnsName) throws -> Int {
        guard !flows.isEmpty else { return 0 }
        let deleted = try thread(netns).perform { ctx in
            let socket = try ConntrackSocket(netns: ctx.netns.rawValue)
            return try flows.filter { try socket.delete($0) }.count
        }
        logger.debug("deleted \(deleted) of \(flows.count) conntrack entries in netns \(netns)")
        return deleted
    }

    /// One pass of kube-proxy's conntrack reconciler on node `netns`: lists its UDP flows, keeps the ones
    /// `cleanup` calls stale (flows to a Service frontend not answered by a serving endpoint) and deletes them,
    /// all on the netns's thread with one socket. Returns the flows the kernel deleted (for logs). Call it after
    /// each rule sync, once the new rules are in: a flow deleted before them would be recreated by the old ones.
    /// Idempotent; throws `KernelError` like `udpConntrackFlows` and `deleteConntrackFlows`.
    @discardableResult
    public func deleteStaleConntrackFlows(_ cleanup: ConntrackCleanup, in netns: NetnsName) throws -> [ConntrackFlow] {
        if cleanup.frontendCount == 0 { return [] }
        let deleted = try thread(netns).perform { ctx in
            let socket = try ConntrackSocket(netns: ctx.netns.rawValue)
            let stale = cleanup.staleFlows(try socket.flows(protocolNumber: ConntrackFlow.udp))
            return try stale.filter { try socket.delete($0) }
        }
        for flow in deleted { logger.debug("deleted stale conntrack entry \(flow) in netns \(netns)") }
        return deleted
    }
}
