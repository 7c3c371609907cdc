import Logging
import SQLKit

/// A database that Hitch stores its records in: SQLite (embedded default) or PostgreSQL.
public protocol SQLBackend: Sendable {
    var name: String { get }

    /// True when no other process writes this database, so what was read stays true until this process writes.
    var isExclusive: Bool { get }

    /// Runs statements that only read. They may run beside a write transaction and never see its uncommitted state.
    func read<Result: Sendable>(
        logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result

    /// Runs a write's statements in one transaction, then the audit events it staged: all of them commit, durably,
    /// or none does. The body may run in another task, and again after a failure of another write: concurrent writes
    /// share one transaction and one commit (`GroupCommit`).
    func write<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (WriteTransaction) async throws -> Result
    ) async throws -> Result

    /// Serializes work across every server sharing the database, inside a transaction.
    func lockExclusively(_ database: any SQLDatabase, key: Int64) async throws

    func isUniqueViolation(_ error: any Error) -> Bool

    /// Tells every server sharing the database each notice, once this transaction commits (PostgreSQL NOTIFY);
    /// nothing on a database that only this process uses.
    func notify(_ database: any SQLDatabase, _ notices: [Notice]) async throws

    /// Calls `receive` with each payload any server sends on `channel`, until cancelled or the connection fails;
    /// returns at once on a database that only this process uses.
    func listen(channel: String, logger: Logger, _ receive: @escaping @Sendable (String) async -> Void) async throws

    /// Writes a consistent copy of the whole database to a new file at `path` while writes go on (SQLite's
    /// `VACUUM INTO`); PostgreSQL has its own tools and throws `StorageError.unsupported`.
    func snapshot(to path: String, logger: Logger) async throws

    func close() async throws

    /// The audit head kept in memory by a backend that only this process writes (SQLite); nil where another server
    /// may append (PostgreSQL), so every append reads the head under its lock.
    var auditHeadMemo: AuditHeadMemo? { get }
}

/// What `SQLBackend.notify` tells the other servers: a payload on a channel.
public struct Notice: Sendable, Equatable {
    public var channel: String
    public var payload: String

    public init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }
}

extension SQLBackend {
    public var auditHeadMemo: AuditHeadMemo? { nil }

    /// Runs statements in one transaction (a write that stages no audit events).
    public func transaction<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await write(logger: logger) { try await body($0.database) }
    }
}
