import Foundation
import HTTPTypes
@testable import HitchServices
import HitchStorage
import SQLKit
import Testing

/// An audit write that fails takes the change down with it (S4): nothing is saved without its event.
@Suite struct AuditAtomicityTests {
    @Test(arguments: TestBackend.all)
    func failedAuditWriteRollsTheChangeBack(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            let created = try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "before"))
            #expect(created.status == .created)
            try await Self.breakAuditInserts(runtime)

            let refused = try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "after"))
            #expect(refused.status == .internalServerError, "\(refused.text)")
            #expect(try await client.call(.get, "/v1/connections/after").status == .notFound)

            let update = try await client.call(.patch, "/v1/connections/before", json: ["description": "changed"])
            #expect(update.status == .internalServerError)
            #expect(try await client.call(.get, "/v1/connections/before").json["description"] as? String == "prod vCenter")

            #expect(try await client.call(.delete, "/v1/connections/before").status == .internalServerError)
            #expect(try await client.call(.get, "/v1/connections/before").status == .ok)

            let user = try await client.call(.post, "/v1/users", json: ["name": "carol", "role": "viewer", "kind": "service"])
            #expect(user.status == .internalServerError)
            #expect(try await client.call(.get, "/v1/users/carol").status == .notFound)
        }
    }

    /// A trigger that refuses every new audit row, as a full disk or a revoked grant would.
    static func breakAuditInserts(_ runtime: HitchRuntime) async throws {
        try await runtime.store.backend.transaction(logger: TestBackend.logger) { database in
            if database.dialect.name == "sqlite" {
                try await database.raw("""
                    CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
                    BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END
                    """).run()
            } else {
                try await database.raw("""
                    CREATE FUNCTION refuse_audit() RETURNS trigger AS $$
                    BEGIN RAISE EXCEPTION 'audit unavailable'; END $$ LANGUAGE plpgsql
                    """).run()
                try await database.raw("""
                    CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
                    FOR EACH ROW EXECUTE FUNCTION refuse_audit()
                    """).run()
            }
        }
    }
}
