import SQLKit

/// Version 12: what a test hears of expiries, the opt-in to rotation on the platform, and the state of automatic
/// rotations (a claim, so that one server at a time rotates a connection, and the failures' backoff).
enum PlatformRotationSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        for column in ["expires_at", "platform_created_at"] {
            try await database.alter(table: "connections").column(column, type: .bigint).run()
        }
        try await database.alter(table: "connections").column("expires_what", type: .text).run()
        try await database.raw("ALTER TABLE connections ADD COLUMN auto_rotate INTEGER NOT NULL DEFAULT 0").run()
        try await database.create(table: "auto_rotations")
            .column("connection_id", type: .text, .primaryKey(autoIncrement: false))
            .column("claimed_until", type: .bigint)
            .column("failures", type: .int, .notNull)
            .column("next_attempt_at", type: .bigint)
            .column("last_error", type: .text)
            .foreignKey(["connection_id"], references: "connections", ["id"], onDelete: .cascade)
            .run()
    }
}
