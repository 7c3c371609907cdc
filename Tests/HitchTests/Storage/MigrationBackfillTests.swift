import Foundation
@testable import HitchStorage
import SQLKit
import Testing

/// Migrations that fill new columns from existing rows, run on a database left at the version before them.
struct MigrationBackfillTests {
    /// Version 4 starts a secret's age at its current credential version's creation, not at the connection's.
    @Test(arguments: TestBackend.all)
    func secretAgeStartsAtTheCurrentCredentialVersion(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            for migration in Migrations.all where migration.version < 4 {
                try await sql.transaction(logger: TestBackend.logger) { try await migration.apply($0) }
            }
            try await sql.transaction(logger: TestBackend.logger) { database in
                // "rotated" was made at 500 and is on its second version (2000); "original" keeps its first (3000).
                for (id, name, current, created) in [("c1", "rotated", 2, Int64(500)), ("c2", "original", 1, Int64(600))] {
                    try await database.insert(into: "connections")
                        .columns(
                            "id", "name", "kind", "description", "tags", "fields", "credential_version", "revision", "status",
                            "created_at", "created_by", "updated_at", "updated_by")
                        .values(
                            SQLBind(id), SQLBind(name), SQLBind("vsphere"), SQLBind(""), SQLBind("[]"), SQLBind("{}"),
                            SQLBind(current), SQLBind(1), SQLBind("untested"), SQLBind(created), SQLBind("admin"), SQLBind(created),
                            SQLBind("admin"))
                        .run()
                }
                for (id, version, created) in [("c1", 1, Int64(1000)), ("c1", 2, Int64(2000)), ("c2", 1, Int64(3000))] {
                    try await database.insert(into: "credential_versions")
                        .columns("connection_id", "version", "created_at", "actor_id", "actor_name", "changed_fields")
                        .values(SQLBind(id), SQLBind(version), SQLBind(created), SQLBind("i1"), SQLBind("admin"), SQLBind("[]"))
                        .run()
                }
            }
            for migration in Migrations.all where migration.version >= 4 {
                try await sql.transaction(logger: TestBackend.logger) { try await migration.apply($0) }
            }

            let store = Store(backend: sql)
            let (rotated, original) = try await store.read(logger: TestBackend.logger) { session in
                (try await session.connections.find(name: "rotated"), try await session.connections.find(name: "original"))
            }
            #expect(rotated.map { Timestamp.milliseconds($0.credentialCreatedAt) } == 2000, "the second version's time")
            #expect(original.map { Timestamp.milliseconds($0.credentialCreatedAt) } == 3000, "the first version's time")
        }
    }
}
