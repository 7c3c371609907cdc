import SQLKit

/// Version 5: discovery's inventory snapshots (one per connection, replaced whole), the last preflight per
/// connection, and a deadline for the jobs Hitch runs.
enum InventorySchema {
    static func apply(_ database: any SQLDatabase) async throws {
        try await database.create(table: "inventory_snapshots")
            .column("connection_id", type: .text, .primaryKey(autoIncrement: false), .references("connections", "id"))
            .column("job_id", type: .text, .notNull)
            .column("credential_version", type: .bigint, .notNull)
            .column("taken_at", type: .bigint, .notNull)
            .column("counts", type: .text, .notNull)
            .run()
        try await database.create(table: "inventory_objects")
            .column("connection_id", type: .text, .notNull, .references("connections", "id"))
            .column("type", type: .text, .notNull)
            .column("moid", type: .text, .notNull)
            .column("name", type: .text, .notNull)
            .column("path", type: .text)
            .column("data", type: .text, .notNull)
            .unique("connection_id", "type", "moid")
            .run()
        try await database.create(index: "inventory_objects_name").on("inventory_objects")
            .column("connection_id").column("type").column("name").run()

        try await database.create(table: "preflight_results")
            .column("connection_id", type: .text, .primaryKey(autoIncrement: false), .references("connections", "id"))
            .column("credential_version", type: .bigint, .notNull)
            .column("checked_at", type: .bigint, .notNull)
            .column("capability", type: .text, .notNull)
            .column("report", type: .text, .notNull)
            .run()

        // When a Hitch-run job is past due: a job still running then was abandoned by a server that stopped.
        try await database.alter(table: "jobs").column("deadline_at", type: .bigint).run()
    }
}
