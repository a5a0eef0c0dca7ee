import CPodlabShim
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Creates and deletes network namespaces pinned at `/run/netns/NAME`, the way iproute2's
/// `ip netns add/del` does, so `ip netns exec NAME` works for users and `podlab down` finds them.
enum NetnsPin {
    // <sys/mount.h> values the shim does not export; stable kernel ABI.
    private static let msShared: UInt = 1 << 20  // MS_SHARED

    /// Whether `/run/netns/NAME` exists and is a netns bind mount (not a leftover empty file).
    static func isPinned(_ name: NetnsName) -> Bool {
        // A pinned netns is a file on nsfs; every namespace file shares nsfs's st_dev, so compare with
        // our own /proc/self/ns/net (Glibc's Swift module has no statfs for NSFS_MAGIC).
        var pin = stat()
        var own = stat()
        guard stat(name.path, &pin) == 0, stat("/proc/self/ns/net", &own) == 0 else { return false }
        return pin.st_dev == own.st_dev
    }

    /// Makes sure `/run/netns` exists and is a shared mount point. As iproute2 explains, a shared
    /// `/run/netns` lets a pin made later show up in mount namespaces copied earlier (a pod shim's), and,
    /// more importantly, lets `umount` of a pin propagate to them, so the netns can be freed.
    /// Remounting a plain directory shared fails with EINVAL: bind it onto itself first. Idempotent.
    static func prepareRunDirectory() throws {
        let dir = NetnsName.runDirectory
        if mkdir(dir, 0o755) != 0 && Glibc.errno != EEXIST {
            throw KernelError.fromErrno("mkdir", dir)
        }
        var boundOnce = false
        while podlab_mount("none", dir, "none", msShared | PODLAB_MS_REC, nil) != 0 {
            let code = Glibc.errno
            guard code == EINVAL, !boundOnce else {
                throw KernelError(call: "mount(MS_SHARED|MS_REC)", subject: dir, errno: code)
            }
            if podlab_mount(dir, dir, "none", PODLAB_MS_BIND | PODLAB_MS_REC, nil) != 0 {
                throw KernelError.fromErrno("mount(MS_BIND|MS_REC)", dir)
            }
            boundOnce = true
        }
    }

    /// Creates netns `name` and pins it at `/run/netns/NAME`. Idempotent: returns false when it is
    /// already pinned. Touches the mount table of podlab's own mount namespace (the bind mount).
    @discardableResult
    static func create(_ name: NetnsName) throws -> Bool {
        if isPinned(name) { return false }
        try prepareRunDirectory()
        let path = name.path
        // An empty file to bind onto; it may be left from a crash between creating and mounting.
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0)
        if fd < 0 { throw KernelError.fromErrno("open(O_CREAT)", path) }
        close(fd)

        // unshare acts on the calling thread, so a throw-away thread makes the namespace and exits:
        // the bind mount then holds the only reference, and no pool thread ever changes netns.
        let outcome = ResultBox<Void>()
        let thread = Thread {
            outcome.set(
                Result {
                    if podlab_unshare(PODLAB_CLONE_NEWNET) != 0 {
                        throw KernelError.fromErrno("unshare(CLONE_NEWNET)", "netns \(name)")
                    }
                    // /proc/self is the thread-group leader; this thread's namespace is under task/<tid>.
                    let source = "/proc/self/task/\(podlab_gettid())/ns/net"
                    if podlab_mount(source, path, "none", PODLAB_MS_BIND, nil) != 0 {
                        throw KernelError.fromErrno("mount(MS_BIND) \(source)", path)
                    }
                })
        }
        thread.name = "podlab-netns-create"
        thread.start()
        do {
            try outcome.wait().get()
        } catch {
            unlink(path)
            throw error
        }
        return true
    }

    /// Unmounts and removes the pin of `name`. The netns dies when nothing else holds it (a process
    /// inside, an open fd, another mount namespace's copy). "Already gone" is success.
    static func delete(_ name: NetnsName) throws {
        let path = name.path
        // MNT_DETACH: a lazy unmount succeeds even while some process has the file open.
        if podlab_umount2(path, PODLAB_MNT_DETACH) != 0 {
            let code = Glibc.errno
            // EINVAL: not a mount point (an empty leftover file); ENOENT: already gone.
            if code != EINVAL && code != ENOENT {
                throw KernelError(call: "umount2(MNT_DETACH)", subject: path, errno: code)
            }
        }
        if unlink(path) != 0 && Glibc.errno != ENOENT {
            throw KernelError.fromErrno("unlink", path)
        }
    }

    /// The entries of `/run/netns` (empty when it does not exist).
    static func list() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: NetnsName.runDirectory))?.sorted() ?? []
    }
}

/// A one-shot result handed from one thread to a waiting one.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    // `value` is guarded by `condition`.
    private let condition = NSCondition()
    private var value: Result<T, any Error>?

    func set(_ result: Result<T, any Error>) {
        condition.lock()
        value = result
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<T, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value { return value }
            condition.wait()
        }
    }
}
