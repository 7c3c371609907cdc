import SQLKit

/// Version 3: a test's duration, and the last passing and the last failing test kept apart from the latest one.
enum ConnectionTestSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        for column in ["status_duration_ms", "last_ok_at", "last_failure_at"] {
            try await database.alter(table: "connections").column(column, type: .bigint).run()
        }
    }
}
