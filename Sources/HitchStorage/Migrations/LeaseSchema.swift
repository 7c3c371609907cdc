import SQLKit

/// Version 8: leases, and the tags a consumer identity is limited to.
enum LeaseSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        try await database.create(table: "leases")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("connection_id", type: .text, .notNull)
            .column("connection_name", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("credential_version", type: .bigint, .notNull)
            .column("consumer_id", type: .text, .notNull)
            .column("consumer_name", type: .text, .notNull)
            .column("job_id", type: .text)
            .column("scope", type: .text)
            .column("issued_at", type: .bigint, .notNull)
            .column("expires_at", type: .bigint, .notNull)
            .column("ended_at", type: .bigint)
            .column("end_reason", type: .text)
            .column("handle_master_key_version", type: .bigint)
            .column("handle_wrapped_key", type: .text)
            .column("handle_ciphertext", type: .text)
            .run()
        try await database.create(index: "leases_connection").on("leases").column("connection_id").column("ended_at").run()
        try await database.create(index: "leases_expiry").on("leases").column("ended_at").column("expires_at").run()
        try await database.create(index: "leases_job").on("leases").column("job_id").run()
        // A JSON list of tags; null for no limit.
        try await database.alter(table: "identities").column("allowed_tags", type: .text).run()
    }

    /// Version 9: an ended lease that still holds a handle has a platform session still to end; the sweep finds
    /// those few rows by this partial index, not by reading every lease.
    static func pendingHandles(_ database: any SQLDatabase) async throws {
        try await database.raw("""
            CREATE INDEX leases_pending_handle ON leases (ended_at)
            WHERE handle_ciphertext IS NOT NULL AND ended_at IS NOT NULL
            """).run()
    }
}
