import Foundation
import Logging
import SQLKit

/// Applies the pending migrations at start. Several servers starting at once on one PostgreSQL take turns.
public struct Migrator: Sendable {
    static let table = "hitch_migrations"
    private static let lockKey: Int64 = 0x6869_7463_686D_6967  // "hitchmig"

    let backend: any SQLBackend
    /// The last version to apply; nil for all of them (a test leaves a database at an earlier version).
    let lastVersion: Int?

    public init(backend: any SQLBackend) { self.init(backend: backend, upTo: nil) }

    init(backend: any SQLBackend, upTo lastVersion: Int?) {
        self.backend = backend
        self.lastVersion = lastVersion
    }

    /// The versions already applied; empty for a new database.
    public func appliedVersions(logger: Logger) async throws -> [Int] {
        try await backend.read(logger: logger) { database in
            guard try await Self.tableExists(database) else { return [] }
            return try await database.select().column("version").from(Self.table).orderBy("version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }

    /// Applies every pending migration; `steps` holds the server's part of the migrations that need one, by version.
    @discardableResult
    public func migrate(logger: Logger, steps: [Int: MigrationStep] = [:]) async throws -> [Int] {
        var applied: [Int] = []
        for migration in Migrations.all where migration.version <= lastVersion ?? Int.max {
            let step = steps[migration.version]
            if migration.needsServerStep && step == nil {
                throw StorageError(code: .migrationIncomplete, message: "migration \(migration.version) (\(migration.name)) needs the server's step")
            }
            let didApply = try await backend.write(logger: logger) { transaction in
                let database = transaction.database
                try await backend.lockExclusively(database, key: Self.lockKey)
                try await database.create(table: Self.table).ifNotExists()
                    .column("version", type: .bigint, .primaryKey(autoIncrement: false))
                    .column("name", type: .text, .notNull)
                    .column("applied_at", type: .bigint, .notNull)
                    .run()
                let done = try await database.select().column("version").from(Self.table)
                    .where("version", .equal, migration.version).first()
                if done != nil { return false }
                try await migration.apply(database)
                try await step?(StoreSession(transaction: transaction, backend: backend))
                try await database.insert(into: Self.table)
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Timestamp.now()))
                    .run()
                return true
            }
            // A migration may rewrite any table, the audit head's included, by means of its own.
            backend.auditHeadMemo?.forget()
            if didApply {
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }

    static func tableExists(_ database: any SQLDatabase, named table: String = Migrator.table) async throws -> Bool {
        let query: SQLQueryString =
            database.dialect.name == "sqlite"
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)"
            : "SELECT table_name FROM information_schema.tables WHERE table_name = \(bind: table)"
        return try await database.raw(query).first() != nil
    }
}

/// Times are stored as milliseconds since 1970 in a BIGINT, the same on both backends.
public enum Timestamp {
    static func now() -> Int64 { milliseconds(Date()) }
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
