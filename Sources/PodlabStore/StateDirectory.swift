import PodlabModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state directory: `lock`, `wal.log` and `snapshot.dat`; loads the state and writes snapshots.
///
/// See WriteAheadLog.swift for the reasoning. Holds an exclusive flock(2) on `lock` for its lifetime, so two
/// podlab processes never append to the same log.
final class StateDirectory {
    /// "PLSNAP1\n": podlab snapshot, format 1.
    static let snapshotMagic: [UInt8] = Array("PLSNAP1\n".utf8)
    /// Bytes gathered into one write(2) while writing a snapshot.
    private static let snapshotChunkBytes = 1 << 20

    let directory: String
    let walPath: String
    let snapshotPath: String
    let durable: Bool
    let wal: WriteAheadLog
    private var lockFD: Int32

    /// What the load found: the objects, the resourceVersion, and what was repaired on the way.
    struct Loaded {
        var table = ObjectTable()
        var resourceVersion: Int64 = 0
        var notes: [String] = []
    }

    /// Opens (creating if needed) the state directory, locks it and loads its state into `loaded`.
    init(directory: String, durable: Bool, resources: [ResourceInfo], loaded: inout Loaded) throws(StoreError) {
        self.directory = directory
        walPath = directory + "/wal.log"
        snapshotPath = directory + "/snapshot.dat"
        self.durable = durable
        try FileIO.makeDirectory(directory)
        lockFD = try StateDirectory.lock(directory)
        do throws(StoreError) {
            // Leftovers of a compaction or log creation that crashed before its rename: never the live state.
            unlink(snapshotPath + ".tmp")
            unlink(walPath + ".tmp")
            let snapshot = try FileIO.readAll(snapshotPath)
            guard let walBytes = try FileIO.readAll(walPath) else {
                if snapshot != nil {
                    throw StoreError(
                        .badFile, path: walPath,
                        "missing, but \(snapshotPath) exists: the writes made since that snapshot would be lost")
                }
                try WriteAheadLog.create(path: walPath, durable: durable)
                wal = try WriteAheadLog(path: walPath, size: WriteAheadLog.magic.count, durable: durable)
                loaded.notes.append("\(directory): new state directory")
                return
            }
            let replay = try StateDirectory.replay(
                snapshot: snapshot, snapshotPath: snapshotPath, wal: walBytes, walPath: walPath,
                resources: LogRecord.resourceTable(resources))
            loaded.table = replay.table
            loaded.resourceVersion = replay.resourceVersion
            if let torn = replay.tornTail {
                try StateDirectory.truncate(walPath, at: torn.offset, durable: durable)
                loaded.notes.append(
                    "\(walPath): dropped a torn final record at offset \(torn.offset) (\(torn.explanation)); "
                        + "a write interrupted by a crash, never acknowledged")
            }
            wal = try WriteAheadLog(path: walPath, size: replay.walGoodLength, durable: durable)
        } catch {
            FileIO.closeFile(lockFD)
            throw error
        }
    }

    deinit { close() }

    /// Closes the log and releases the directory lock.
    func close() {
        wal.close()
        if lockFD >= 0 { FileIO.closeFile(lockFD) }
        lockFD = -1
    }

    /// Appends one record to the log (durable on return when `durable`).
    func append(_ record: LogRecord) throws(StoreError) {
        try wal.append(record.payload())
    }

    /// Writes `table` at `resourceVersion` as the new snapshot, then empties the log.
    func compact(_ table: ObjectTable, resourceVersion: Int64) throws(StoreError) {
        var chunks: [[UInt8]] = [StateDirectory.snapshotMagic]
        let total = table.count
        var current = RecordFormat.frame(LogRecord.snapshotHeader(rv: resourceVersion, objects: total).payload())
        for bucket in table.buckets.values {
            for object in bucket.objects.values {
                let rv = Int64(object.at("metadata.resourceVersion").string ?? "") ?? resourceVersion
                current.append(contentsOf: RecordFormat.frame(LogRecord.put(bucket.resource, object, rv: rv).payload()))
                if current.count >= StateDirectory.snapshotChunkBytes {
                    chunks.append(current)
                    current = []
                }
            }
        }
        chunks.append(current)
        try FileIO.replaceAtomically(snapshotPath, with: chunks, sync: durable)
        // Only now may the log shrink: the snapshot holding its records is durable.
        try wal.reset()
    }

    // MARK: - Loading

    struct Replay {
        var table = ObjectTable()
        var resourceVersion: Int64 = 0
        var tornTail: RecordFormat.TornTail?
        var walGoodLength = 0
    }

    /// Rebuilds the state from the snapshot (if any) and the log. Throws at the first damaged record.
    static func replay(
        snapshot: [UInt8]?, snapshotPath: String, wal: [UInt8], walPath: String, resources: [String: ResourceInfo]
    ) throws(StoreError) -> Replay {
        var out = Replay()
        var snapshotRV: Int64 = 0
        if let snapshot {
            let scan = try RecordFormat.scan(snapshot, path: snapshotPath, magic: snapshotMagic, what: "snapshot")
            // A snapshot is renamed into place only once complete, so a short one is damage, never a crash.
            if let torn = scan.tornTail {
                throw StoreError(
                    .corruptRecord, path: snapshotPath, offset: torn.offset, "truncated: \(torn.explanation)")
            }
            guard let first = scan.records.first else {
                throw StoreError(.badFile, path: snapshotPath, "no header record")
            }
            let header = try LogRecord(
                payload: first.payload, resources: resources, path: snapshotPath, offset: first.offset)
            guard case .snapshotHeader(let rv, let count) = header else {
                throw StoreError(.corruptRecord, path: snapshotPath, offset: first.offset, "not a snapshot header")
            }
            guard scan.records.count - 1 == count else {
                throw StoreError(
                    .badFile, path: snapshotPath,
                    "incomplete: the header promises \(count) objects, the file holds \(scan.records.count - 1)")
            }
            for record in scan.records.dropFirst() {
                let decoded = try LogRecord(
                    payload: record.payload, resources: resources, path: snapshotPath, offset: record.offset)
                guard case .put(let r, let object, _) = decoded else {
                    throw StoreError(.corruptRecord, path: snapshotPath, offset: record.offset, "not an object record")
                }
                out.table.put(r, object)
            }
            snapshotRV = rv
            out.resourceVersion = rv
        }
        let scan = try RecordFormat.scan(wal, path: walPath, magic: WriteAheadLog.magic, what: "write-ahead log")
        var previous: Int64 = 0
        for record in scan.records {
            let decoded = try LogRecord(
                payload: record.payload, resources: resources, path: walPath, offset: record.offset)
            func bad(_ problem: String) -> StoreError {
                StoreError(.corruptRecord, path: walPath, offset: record.offset, problem)
            }
            let rv: Int64
            switch decoded {
            case .put(_, _, let v), .delete(_, _, let v): rv = v
            case .snapshotHeader: throw bad("a snapshot header inside the log")
            }
            guard rv > previous else { throw bad("resourceVersion \(rv) does not follow \(previous)") }
            previous = rv
            // Already in the snapshot: a crash came between the snapshot's rename and the log's truncation.
            if rv <= snapshotRV { continue }
            switch decoded {
            case .put(let r, let object, _):
                out.table.put(r, object)
            case .delete(let r, let object, _):
                let id = ObjectTable.identity(of: object, in: r)
                guard out.table.remove(r, namespace: id.namespace, name: id.name) != nil else {
                    let shown = id.namespace.map { "\($0)/\(id.name)" } ?? id.name
                    throw bad("deletes \(r.groupResource) \(shown), which does not exist")
                }
            case .snapshotHeader:
                break
            }
            out.resourceVersion = rv
        }
        out.tornTail = scan.tornTail
        out.walGoodLength = scan.goodLength
        return out
    }

    /// Takes the directory's exclusive lock, or says who has it.
    private static func lock(_ directory: String) throws(StoreError) -> Int32 {
        let path = directory + "/lock"
        let fd = try FileIO.openFile(path, O_RDWR | O_CREAT)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let failure = StoreError.syscall("flock", path: path)
            FileIO.closeFile(fd)
            if busy { throw StoreError(.inUse, path: directory, "in use by another podlab store (locked: \(path))") }
            throw failure
        }
        return fd
    }

    /// Cuts `path` to `length` bytes and syncs it.
    static func truncate(_ path: String, at length: Int, durable: Bool) throws(StoreError) {
        let fd = try FileIO.openFile(path, O_WRONLY)
        defer { FileIO.closeFile(fd) }
        if ftruncate(fd, off_t(length)) != 0 { throw .syscall("ftruncate", path: path) }
        if durable { try FileIO.fsyncFile(fd, path: path) }
    }

    // MARK: - Repair

    /// Cuts the log at its first damaged record after copying it aside. See `ClusterStore.repair(directory:)`.
    static func repair(directory: String, resources: [ResourceInfo], now: Int64) throws(StoreError) -> RepairReport {
        let walPath = directory + "/wal.log"
        let snapshotPath = directory + "/snapshot.dat"
        let lockFD = try lock(directory)
        defer { FileIO.closeFile(lockFD) }
        guard let wal = try FileIO.readAll(walPath) else {
            throw StoreError(.badFile, path: walPath, "missing; there is no log to repair")
        }
        let snapshot = try FileIO.readAll(snapshotPath)
        let table = LogRecord.resourceTable(resources)
        var cut: (offset: Int, reason: String)?
        do {
            let replay = try StateDirectory.replay(
                snapshot: snapshot, snapshotPath: snapshotPath, wal: wal, walPath: walPath, resources: table)
            if let torn = replay.tornTail { cut = (torn.offset, "torn final record: \(torn.explanation)") }
        } catch  where error.path == walPath && error.offset != nil && error.kind == .corruptRecord {
            cut = (error.offset ?? wal.count, error.problem)
        }
        guard let cut else { return RepairReport(path: walPath, cutAt: nil, droppedBytes: 0, backup: nil, reason: nil) }
        let backup = "\(walPath).corrupt-\(now)"
        try FileIO.replaceAtomically(backup, with: [wal], sync: true)
        try truncate(walPath, at: cut.offset, durable: true)
        return RepairReport(
            path: walPath, cutAt: cut.offset, droppedBytes: wal.count - cut.offset, backup: backup, reason: cut.reason)
    }
}

/// What `ClusterStore.repair(directory:)` did.
public struct RepairReport: Sendable, Equatable, CustomStringConvertible {
    /// The log that was examined.
    public var path: String
    /// Where the log was cut, or nil when nothing was wrong.
    public var cutAt: Int?
    /// How many bytes were dropped (records from `cutAt` on, the damaged one included).
    public var droppedBytes: Int
    /// The copy of the whole log made before cutting.
    public var backup: String?
    /// What was wrong at `cutAt`.
    public var reason: String?

    public var description: String {
        guard let cutAt, let backup, let reason else { return "\(path): no damage found; nothing changed" }
        return "\(path): cut at offset \(cutAt) (\(reason)); dropped \(droppedBytes) bytes; "
            + "the original is kept as \(backup)"
    }
}
