import SQLKit

/// Version 2: users' password hashes, the audit log and its head record.
enum IdentityAndAuditSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        try await database.alter(table: "identities").column("password_hash", type: .text).run()

        try await database.create(table: "audit_events")
            .column("sequence", type: .bigint, .primaryKey(autoIncrement: false))
            .column("recorded_at", type: .bigint, .notNull)
            .column("actor_id", type: .text, .notNull)
            .column("actor_name", type: .text, .notNull)
            .column("actor_kind", type: .text, .notNull)
            .column("token_name", type: .text)
            .column("client_address", type: .text)
            .column("request_id", type: .text)
            .column("action", type: .text, .notNull)
            .column("target_kind", type: .text)
            .column("target_name", type: .text)
            .column("target_id", type: .text)
            .column("outcome", type: .text, .notNull)
            .column("failure_code", type: .text)
            .column("changed_fields", type: .text, .notNull)
            .column("detail", type: .text)
            .column("key_version", type: .bigint, .notNull)
            .column("mac", type: .text, .notNull)
            .run()
        for column in ["recorded_at", "actor_name", "action", "target_name"] {
            try await database.create(index: "audit_events_\(column)").on("audit_events").column(column).run()
        }

        // One row (id 1): the last sequence and MAC, MAC'd again, so that a log cut at its tail shows.
        try await database.create(table: "audit_head")
            .column("id", type: .bigint, .primaryKey(autoIncrement: false))
            .column("sequence", type: .bigint, .notNull)
            .column("mac", type: .text, .notNull)
            .column("key_version", type: .bigint, .notNull)
            .column("head_mac", type: .text, .notNull)
            .run()
    }
}
