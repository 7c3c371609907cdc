import SQLKit

/// One step of the schema, applied once, in order, in a transaction of its own.
struct Migration: Sendable {
    let version: Int
    let name: String
    let apply: @Sendable (any SQLDatabase) async throws -> Void
}

enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "initial schema", apply: InitialSchema.apply),
        Migration(version: SchemaVersion.auditLog, name: "identities and audit log", apply: IdentityAndAuditSchema.apply),
        Migration(version: 3, name: "connection test results", apply: ConnectionTestSchema.apply),
        Migration(version: 4, name: "jobs, assignments and rotation policy", apply: ReferencesSchema.apply),
        Migration(version: 5, name: "inventory snapshots, preflight results and job deadlines", apply: InventorySchema.apply),
    ]
}

/// Schema versions that code outside storage acts on.
public enum SchemaVersion {
    /// The version that creates the audit log; the server writes the log's first event when it applies it.
    public static let auditLog = 2
}
