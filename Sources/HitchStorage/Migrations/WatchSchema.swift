import SQLKit

/// Version 13: watching connections. Each connection's check schedule and the certificate it first passed with; the
/// last results of its tests; webhooks, and the deliveries queued for them (so that a restart loses none).
enum WatchSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        for column in ["check_every_seconds", "status_revision"] {
            try await database.alter(table: "connections").column(column, type: .int).run()
        }
        for column in ["status_since", "known_cert_not_after", "offered_cert_not_after"] {
            try await database.alter(table: "connections").column(column, type: .bigint).run()
        }
        for column in ["known_cert_thumbprint", "known_cert_subject", "offered_cert_thumbprint", "offered_cert_subject"] {
            try await database.alter(table: "connections").column(column, type: .text).run()
        }
        try await database.create(table: "scheduled_checks")
            .column("connection_id", type: .text, .primaryKey(autoIncrement: false))
            .column("next_at", type: .bigint, .notNull)
            .column("rotation_due_version", type: .int)
            .foreignKey(["connection_id"], references: "connections", ["id"], onDelete: .cascade)
            .run()
        try await database.create(index: "scheduled_checks_next_at").on("scheduled_checks").column("next_at").run()
        try await database.create(table: "test_results")
            .column("connection_id", type: .text, .notNull)
            .column("at", type: .bigint, .notNull)
            .column("state", type: .text, .notNull)
            .column("stage", type: .text)
            .column("message", type: .text)
            .column("duration_ms", type: .int)
            .column("tested_by", type: .text, .notNull)
            .foreignKey(["connection_id"], references: "connections", ["id"], onDelete: .cascade)
            .run()
        try await database.create(index: "test_results_connection_at").on("test_results").column("connection_id").column("at").run()
        try await database.create(table: "webhooks")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("url", type: .text, .notNull)
            .column("events", type: .text, .notNull)
            .column("master_key_version", type: .int, .notNull)
            .column("wrapped_key", type: .text, .notNull)
            .column("ciphertext", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("created_by", type: .text, .notNull)
            .run()
        try await database.create(table: "webhook_deliveries")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("webhook_id", type: .text, .notNull)
            .column("event", type: .text, .notNull)
            .column("payload", type: .text, .notNull)
            .column("state", type: .text, .notNull)
            .column("attempts", type: .int, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("next_attempt_at", type: .bigint, .notNull)
            .column("last_attempt_at", type: .bigint)
            .column("last_status", type: .int)
            .column("last_error", type: .text)
            .foreignKey(["webhook_id"], references: "webhooks", ["id"], onDelete: .cascade)
            .run()
        try await database.create(index: "webhook_deliveries_due").on("webhook_deliveries").column("state").column("next_attempt_at").run()
        try await database.create(index: "webhook_deliveries_webhook").on("webhook_deliveries").column("webhook_id").column("created_at").run()
    }
}
