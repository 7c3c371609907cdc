import SQLKit

/// Version 4: jobs and assignments, the references that keep a connection from being deleted, and the rotation
/// policy's columns (a connection's own maximum secret age, and when its credential version was made).
enum ReferencesSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        // No foreign key to connections: a finished job stays in the history after its connection is deleted.
        try await database.create(table: "jobs")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("connection_id", type: .text, .notNull)
            .column("connection_name", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("state", type: .text, .notNull)
            .column("ref", type: .text)
            .column("credential_version", type: .bigint, .notNull)
            .column("detail", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .column("created_by", type: .text, .notNull)
            .column("finished_at", type: .bigint)
            .run()
        try await database.create(index: "jobs_connection_state").on("jobs").column("connection_id").column("state").run()

        try await database.create(table: "assignments")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("connection_id", type: .text, .notNull, .references("connections", "id"))
            .column("kind", type: .text, .notNull)
            .column("ref", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("created_by", type: .text, .notNull)
            .unique("connection_id", "kind", "ref")
            .run()

        try await database.alter(table: "connections").column("max_secret_age_days", type: .bigint).run()
        // When the current credential version was made: the start of the secret's age.
        try await database.alter(table: "connections").column("credential_created_at", type: .bigint).run()
        try await database.raw("""
            UPDATE connections SET credential_created_at = (SELECT v.created_at FROM credential_versions v
            WHERE v.connection_id = connections.id AND v.version = connections.credential_version)
            """).run()
    }
}
