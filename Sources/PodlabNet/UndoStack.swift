import Logging

/// Steps to undo a multi-step apply, run in reverse unless the apply commits (STYLE §6).
///
/// Each failure while undoing is logged and the rest still run: an undo never throws, because the
/// caller is already propagating the error that made it unwind.
struct UndoStack {
    private var steps: [(String, () throws -> Void)] = []
    private var committed = false
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    mutating func push(_ what: String, _ step: @escaping () throws -> Void) {
        steps.append((what, step))
    }

    mutating func commit() { committed = true }

    /// Runs the steps in reverse order unless `commit()` was called.
    mutating func unwindUnlessCommitted() {
        guard !committed else { return }
        committed = true
        for (what, step) in steps.reversed() {
            do {
                try step()
                logger.debug("undo: \(what)")
            } catch {
                logger.warning("undo failed: \(what): \(error)")
            }
        }
        steps.removeAll()
    }
}
