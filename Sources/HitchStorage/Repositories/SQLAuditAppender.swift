import SQLKit

/// Appends sealed events to the audit log and moves its head: only a `WriteTransaction` does, as its last statements
/// before COMMIT, so that no write can append anywhere else in its transaction.
struct SQLAuditAppender {
    let database: any SQLDatabase
    /// Takes the lock that serializes appends across every server on the database.
    let lockForAppend: @Sendable () async throws -> Void
    /// The head as this process last wrote it, on a database only it writes (see `AuditHeadMemo`).
    let memo: AuditHeadMemo?

    /// Takes the lock that serializes appends (across servers on PostgreSQL) and reads the head under it.
    func lockedHead() async throws -> AuditHead? {
        // On PostgreSQL the head row's own lock serializes appends, in the same round trip as its read: FOR UPDATE
        // waits for the appender before, then reads the head that one committed (READ COMMITTED reads again a row it
        // waited for). Before the first event there is no row to lock, and the advisory lock does it; the read after
        // it is a statement of its own, so it sees the head of whoever held the lock before. On SQLite, BEGIN
        // IMMEDIATE already holds the one write lock.
        let postgres = database.dialect.name == "postgresql"
        if postgres, let head = try await SQLAuditRepository.head(in: database, forUpdate: true) { return head }
        try await lockForAppend()
        if let head = memo?.head { return head }
        return try await SQLAuditRepository.head(in: database, forUpdate: postgres)
    }

    /// Inserts events that continue the chain and moves the head to the last of them.
    func append(_ entries: [AuditEntry], head: AuditHead) async throws {
        // Bounded so that one statement stays under every backend's limit on bound values.
        let chunks = stride(from: 0, to: entries.count, by: 1_000).map { entries[$0..<min($0 + 1_000, entries.count)].map(AuditRow.init) }
        let moveHead: SQLQueryString = """
            UPDATE audit_head SET sequence = \(bind: head.sequence), mac = \(bind: head.mac), \
            key_version = \(bind: head.keyVersion), head_mac = \(bind: head.headMac) WHERE id = \(bind: SQLAuditRepository.headId) RETURNING id
            """
        let updated: [any SQLRow]
        if database.dialect.name == "postgresql", chunks.count == 1 {
            // One round trip fewer while the append lock is held (every other server's writes wait on it): the
            // events go in through a data-modifying WITH that runs with the head's move, in one statement.
            let insert = try RowInsert(into: "audit_events", rows: chunks[0])
            updated = try await database.raw("WITH appended AS (" + insert.statement + " RETURNING 1) " + moveHead).all()
        } else {
            for rows in chunks { try await RowInsert(into: "audit_events", rows: rows).run(on: database) }
            updated = try await database.raw(moveHead).all()
        }
        if updated.isEmpty {
            try await database.insert(into: "audit_head")
                .columns("id", "sequence", "mac", "key_version", "head_mac")
                .values(SQLBind(SQLAuditRepository.headId), SQLBind(head.sequence), SQLBind(head.mac), SQLBind(head.keyVersion),
                        SQLBind(head.headMac))
                .run()
        }
        memo?.moved(to: head)
    }
}
