import Foundation

/// The user who ran `sudo podlab ...`: whose `~/.kube/config` also gets podlab's context, owned by them.
public struct InvokingUser: Sendable, Equatable {
    /// Login name (`SUDO_USER`).
    public var name: String
    /// Numeric user id from the password database.
    public var uid: uid_t
    /// Primary group id from the password database.
    public var gid: gid_t
    /// Home directory from the password database (not `$HOME`, which sudo may have reset to root's).
    public var home: String

    /// Makes a user record.
    public init(name: String, uid: uid_t, gid: gid_t, home: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
    }

    /// The owner to give files written for this user.
    public var owner: (uid_t, gid_t) { (uid, gid) }

    /// `~/.kube/config` for this user (kubectl's default when `KUBECONFIG` is unset).
    public var kubeconfigPath: String { (home as NSString).appendingPathComponent(".kube/config") }

    /// The user behind sudo, or nil when not run through sudo (or sudo'd from root itself).
    ///
    /// Reads `SUDO_USER` from `environment` and looks it up with getpwnam. Throws `UserLookupError` when the
    /// variable names a user the password database does not know.
    public static func fromSudo(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> InvokingUser? {
        guard let name = environment["SUDO_USER"], !name.isEmpty, name != "root" else { return nil }
        return try lookup(name: name)
    }

    /// Looks `name` up in the password database (getpwnam_r). Throws `UserLookupError` if it is unknown.
    public static func lookup(name: String) throws -> InvokingUser {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var bufferSize = max(sysconf(Int32(_SC_GETPW_R_SIZE_MAX)), 1024)
        // ERANGE means the buffer was too small for this entry: grow it, within reason.
        while bufferSize <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: bufferSize)
            let code = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
            if code == ERANGE {
                bufferSize *= 2
                continue
            }
            guard code == 0 else {
                throw UserLookupError(name: name, problem: "getpwnam_r failed: \(String(cString: strerror(code)))")
            }
            guard result != nil, let dir = entry.pw_dir else {
                throw UserLookupError(name: name, problem: "no such user in the password database")
            }
            return InvokingUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid, home: String(cString: dir))
        }
        throw UserLookupError(name: name, problem: "password database entry too large")
    }
}

/// A user name that could not be resolved to uid, gid and home.
public struct UserLookupError: Error, CustomStringConvertible, Equatable {
    /// The user name looked up.
    public var name: String
    /// Why it failed.
    public var problem: String
    /// Printed as `user "alice": no such user in the password database`.
    public var description: String { "user \"\(name)\": \(problem)" }
}
