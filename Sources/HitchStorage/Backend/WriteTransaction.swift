import SQLKit
import Synchronization

/// Numbers and MACs audit events: the audit log, which alone holds the chain's key. The storage layer calls it when
/// it appends what a transaction staged, with the head read under the append lock.
public protocol AuditSealer: Sendable {
    /// `entries` in order after `head` (nil when the log is empty), each with its sequence, time, key version and
    /// MAC set, and the head that the last of them leaves.
    func seal(_ entries: [AuditEntry], after head: AuditHead?) -> (entries: [AuditEntry], head: AuditHead)
}

/// One database transaction as a backend runs it: the handle its statements go to, and the notices and audit
/// events that its writes staged. Several writes may share it (a group commit). What they staged goes out in
/// `finish()`, the transaction's last statements before COMMIT: one statement for all the notices, and one append
/// for all the events, so the append lock (the audit head's row on PostgreSQL) is taken once and held only through
/// the append and the COMMIT.
public final class WriteTransaction: Sendable {
    public let database: any SQLDatabase
    private let backend: any SQLBackend
    private let audit: SQLAuditAppender
    private let staged = Mutex<[(entries: [AuditEntry], sealer: any AuditSealer)]>([])
    private let notices = Mutex<[Notice]>([])

    static let auditLockKey: Int64 = 0x6869_7463_6861_7564  // "hitchaud"

    init(database: any SQLDatabase, backend: any SQLBackend) {
        self.database = database
        self.backend = backend
        audit = SQLAuditAppender(
            database: database,
            lockForAppend: { try await backend.lockExclusively(database, key: Self.auditLockKey) },
            memo: backend.auditHeadMemo)
    }

    /// Keeps `entries` (their sequence and MAC not yet set) to be sealed by `sealer` and appended before COMMIT, after
    /// whatever was staged before them.
    func stage(_ entries: [AuditEntry], sealedBy sealer: any AuditSealer) {
        staged.withLock { $0.append((entries, sealer)) }
    }

    /// Keeps a notice to send before COMMIT (see `SQLBackend.notify`).
    func stage(_ notice: Notice) {
        notices.withLock { $0.append(notice) }
    }

    /// Sends the staged notices, then appends the staged events; the transaction commits next.
    func finish() async throws {
        let notices = notices.withLock { notices in
            defer { notices.removeAll() }
            return notices
        }
        try await backend.notify(database, notices)
        try await appendStagedAudit()
    }

    /// Appends the staged events in the order they were staged, chained after the head, and forgets them.
    private func appendStagedAudit() async throws {
        let groups = staged.withLock { staged in
            defer { staged.removeAll() }
            return staged
        }
        guard !groups.isEmpty else { return }
        var head = try await audit.lockedHead()
        var sealed: [AuditEntry] = []
        for group in groups {
            let (entries, moved) = group.sealer.seal(group.entries, after: head)
            sealed.append(contentsOf: entries)
            head = moved
        }
        if let head { try await audit.append(sealed, head: head) }
    }
}
