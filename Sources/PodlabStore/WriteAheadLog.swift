// Persistence: why a write-ahead log plus snapshots, and what each fsync buys.
//
// The store's promise is etcd's: a write that returned success survives a crash or a power cut. Rewriting the whole
// state on every write would keep that promise at a cost proportional to the cluster (a 1,000-pod cluster is a few
// MB per write). Appending one record per write costs proportional to the change, so each mutation appends
// `{op, rv, resource, object}` to `wal.log` and fdatasync(2)s it before the call returns; memory and watchers are
// updated only after that, so nothing unacknowledged is ever observed. One fdatasync is the whole price of
// durability: about a millisecond on an SSD (~0.1 ms on NVMe with a volatile-cache flush, ~10 ms on spinning
// disks). fdatasync rather than fsync because the log only grows: the size change is flushed, other metadata
// (mtime) need not be. `Durability.none` skips every sync, for benchmarks that compare against a peer without them.
//
// A log alone grows without bound and makes a restart replay every write ever made, so once it passes a size the
// whole state is written to `snapshot.dat` (temporary name, fsync, rename, directory fsync: after a crash the
// snapshot is either the old one or all of the new one) and only then is the log truncated to its header. Every
// record carries its resourceVersion and replay skips records at or below the snapshot's, so a crash between the
// rename and the truncation replays nothing twice.
//
// Damage is never papered over: a checksum mismatch, an impossible length, unparsable JSON, an unknown resource or
// a resourceVersion out of order stops `ClusterStore.init` with a `StoreError` naming the file and the offset, and
// a missing log next to a snapshot is an error too. Podlab never starts as an empty cluster because a file was bad.
//
// One case is repaired automatically: a *torn final record* (the file ends inside the last record's header or
// payload, or in zero bytes). A crash during an append leaves exactly this, and such a record was never
// acknowledged: its fdatasync had not returned, so no client was told it succeeded and no watcher saw it. Dropping it
// loses nothing that was promised, which is why etcd's WAL does the same. A damaged record with a complete length is
// different (it may be an acknowledged write), so it stays an error; `ClusterStore.repair(directory:)` cuts the log
// at the first bad record after copying the file aside, for an operator who decides that is acceptable.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The append side of `wal.log`: frames, writes and syncs one record per mutation.
///
/// A class because it owns a file descriptor (identity matters); it lives inside the `ClusterStore` actor and never
/// leaves it, so the actor serialises every use.
final class WriteAheadLog {
    /// "PLWAL01\n": podlab write-ahead log, format 1.
    static let magic: [UInt8] = Array("PLWAL01\n".utf8)

    let path: String
    private var fd: Int32
    /// Bytes in the file: the offset the next record will start at.
    private(set) var size: Int
    let durable: Bool

    /// Opens the existing, already validated log at `path` whose intact part is `size` bytes long.
    init(path: String, size: Int, durable: Bool) throws(StoreError) {
        self.path = path
        self.size = size
        self.durable = durable
        fd = try FileIO.openFile(path, O_WRONLY | O_APPEND)
    }

    deinit { if fd >= 0 { FileIO.closeFile(fd) } }

    /// Creates an empty log (just the magic) atomically, so a crash never leaves a log without its header.
    static func create(path: String, durable: Bool) throws(StoreError) {
        try FileIO.replaceAtomically(path, with: [magic], sync: durable)
    }

    /// Appends one record and, when durable, waits until it is on disk.
    ///
    /// A failed write is cut back off, so the next record does not follow a partial one. A failed sync leaves the
    /// file's state unknown (Linux may drop the dirty pages and report success on the next fsync), so the log
    /// refuses all further writes: the store must be reopened, which re-reads what really reached the disk.
    func append(_ payload: [UInt8]) throws(StoreError) {
        guard fd >= 0 else { throw StoreError(.failed, path: path, "the log is closed") }
        let record = RecordFormat.frame(payload)
        do {
            try FileIO.writeAll(fd, record, path: path)
        } catch {
            if ftruncate(fd, off_t(size)) != 0 {
                let undo = StoreError.syscall("ftruncate after a failed write", path: path)
                FileIO.closeFile(fd)
                fd = -1
                throw StoreError(.failed, path: path, "\(error.problem); then \(undo.problem)")
            }
            throw error
        }
        if durable {
            #if os(Linux)
                let synced = fdatasync(fd) == 0
            #else
                let synced = fsync(fd) == 0
            #endif
            if !synced {
                let failure = StoreError.syscall("fdatasync", path: path)
                FileIO.closeFile(fd)
                fd = -1
                throw StoreError(.failed, path: path, failure.problem + "; restart podlab to recover from the log")
            }
        }
        size += record.count
    }

    /// Drops every record, keeping the header: called once a snapshot holding them all is durable.
    func reset() throws(StoreError) {
        guard fd >= 0 else { throw StoreError(.failed, path: path, "the log is closed") }
        if ftruncate(fd, off_t(WriteAheadLog.magic.count)) != 0 { throw .syscall("ftruncate", path: path) }
        size = WriteAheadLog.magic.count
        if durable { try FileIO.fsyncFile(fd, path: path) }
    }

    /// Closes the file; later appends fail.
    func close() {
        if fd >= 0 { FileIO.closeFile(fd) }
        fd = -1
    }
}
