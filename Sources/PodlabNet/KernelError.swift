#if canImport(Glibc)
    import Glibc
#endif

/// A kernel call that failed, and what it was done to.
///
/// Printed as `RTM_NEWLINK veth on plv5f2a91c3 in netns podlab-worker: File exists (errno 17)`.
public struct KernelError: Error, CustomStringConvertible, Sendable {
    /// The call or message, e.g. `RTM_NEWLINK veth`, `setns(CLONE_NEWNET)`, `open /proc/sys/...`.
    public var call: String
    /// What it was done to, e.g. `veth plv5f2a91c3 in netns podlab-worker`.
    public var subject: String
    /// The errno, read right after the call (for libnl calls, mapped from the NLE_* code where one exists).
    public var errno: Int32?
    /// Extra text: `nl_geterror()` for libnl failures, or a short explanation.
    public var detail: String?
    /// The libnl error code (positive NLE_* value) when the call was a libnl one.
    public var netlinkCode: Int32?

    public init(call: String, subject: String, errno: Int32?, detail: String? = nil, netlinkCode: Int32? = nil) {
        self.call = call
        self.subject = subject
        self.errno = errno
        self.detail = detail
        self.netlinkCode = netlinkCode
    }

    /// The object already exists (EEXIST, NLE_EXIST): "ensure" operations treat this as done.
    public var isAlreadyExists: Bool {
        errno == EEXIST || netlinkCode == 6  // NLE_EXIST
    }

    /// The object is not there (ENOENT, ENODEV, ESRCH, NLE_OBJ_NOTFOUND, NLE_NODEV): deletes treat this as done.
    public var isNotFound: Bool {
        if let e = errno, e == ENOENT || e == ENODEV || e == ESRCH { return true }
        return netlinkCode == 12 || netlinkCode == 31  // NLE_OBJ_NOTFOUND, NLE_NODEV
    }

    /// The address is not on the device (EADDRNOTAVAIL, libnl's NLE_NOADDR): address deletes treat this as done.
    public var isAddressNotAvailable: Bool {
        errno == EADDRNOTAVAIL || netlinkCode == 24  // NLE_NOADDR
    }

    public var description: String {
        var reason = "failed"
        if let e = errno {
            reason = String(cString: strerror(e)) + " (errno \(e))"
        }
        if let d = detail, !d.isEmpty {
            // libnl's text often repeats strerror's; keep one of them.
            if errno == nil || !reason.lowercased().hasPrefix(d.lowercased()) { reason += ": " + d }
        }
        return "\(call) on \(subject): \(reason)"
    }

    /// Builds an error from the current `errno`; call it on the line right after the failing call.
    static func fromErrno(_ call: String, _ subject: String, detail: String? = nil) -> KernelError {
        let code = Glibc.errno
        return KernelError(call: call, subject: subject, errno: code, detail: detail)
    }
}
