import Synchronization

/// The audit head as this process last wrote it, for the embedded SQLite database that only this process writes:
/// an append takes the head from memory instead of reading it on the one writer, a statement fewer on every write.
/// It follows the writer's transactions: what an append sets is seen by later appends of the same transaction at
/// once, and by others only once that transaction commits; after a rollback, or any doubt, the next append reads
/// the database again.
public final class AuditHeadMemo: Sendable {
    private struct State {
        var committed: AuditHead?
        var pending: AuditHead?
    }

    private let state = Mutex(State())

    /// The head the current transaction appends after, when known.
    var head: AuditHead? { state.withLock { $0.pending } }

    /// Called as the writer's transaction begins.
    func begin() { state.withLock { $0.pending = $0.committed } }

    /// Called by an append, once its statements ran, with the head it moved to.
    func moved(to head: AuditHead) { state.withLock { $0.pending = head } }

    /// Called once the transaction's COMMIT has returned.
    func commit() { state.withLock { $0.committed = $0.pending } }

    /// Called after a rollback or a failed commit, and by anything that writes the head by other means.
    func forget() { state.withLock { $0 = State() } }
}
