import SQLKit

/// One step of the schema, applied once, in order, in a transaction of its own.
struct Migration: Sendable {
    let version: Int
    let name: String
    let apply: @Sendable (any SQLDatabase) async throws -> Void
    /// The migration also needs work that storage cannot do (opening and sealing secrets): the server supplies it
    /// as a `MigrationStep`, run in the same transaction, and the migration is not applied without it.
    var needsServerStep = false
}

/// Work of the server's that a migration needs, run in the migration's own transaction so that the schema and
/// the data it changes commit together or not at all.
public typealias MigrationStep = @Sendable (StoreSession) async throws -> Void

enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "initial schema", apply: InitialSchema.apply),
        Migration(version: SchemaVersion.auditLog, name: "identities and audit log", apply: IdentityAndAuditSchema.apply),
        Migration(version: 3, name: "connection test results", apply: ConnectionTestSchema.apply),
        Migration(version: 4, name: "jobs, assignments and rotation policy", apply: ReferencesSchema.apply),
        Migration(version: 5, name: "inventory snapshots, preflight results and job deadlines", apply: InventorySchema.apply),
        // No schema change: every stored secret is sealed again with its connection's destination in its binding.
        Migration(
            version: SchemaVersion.destinationBinding, name: "secrets bound to their destinations", apply: { _ in },
            needsServerStep: true),
        Migration(version: 7, name: "who issued each token", apply: { database in
            try await database.alter(table: "tokens").column("issued_by", type: .text).run()
        }),
        Migration(version: 8, name: "leases and consumers' tag limits", apply: LeaseSchema.apply),
        Migration(version: 9, name: "ended leases whose platform session is still to end", apply: LeaseSchema.pendingHandles),
        Migration(version: 10, name: "connections' display names", apply: { database in
            try await database.raw("ALTER TABLE connections ADD COLUMN display_name TEXT NOT NULL DEFAULT ''").run()
        }),
        Migration(version: SchemaVersion.keyring, name: "the keyring", apply: KeyringSchema.apply, needsServerStep: true),
        Migration(version: 12, name: "expiries the platforms report, and rotation on the platform", apply: PlatformRotationSchema.apply),
        Migration(version: 13, name: "scheduled checks, test history, remembered certificates and webhooks", apply: WatchSchema.apply),
    ]
}

/// Schema versions that code outside storage acts on.
public enum SchemaVersion {
    /// The version that creates the audit log; the server writes the log's first event when it applies it.
    public static let auditLog = 2
    /// The version that binds every stored secret to its connection's destination (a server step).
    public static let destinationBinding = 6
    /// The version that keeps the keyring in the database (a server step writes its first rows).
    public static let keyring = 11
}
