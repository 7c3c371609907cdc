import Crypto
import Foundation
@testable import HitchAudit
import HitchSecrets
@testable import HitchServices
@testable import HitchStorage
import SQLKit
import Testing

/// Changes made to the log by direct SQL, as a database administrator could, are found by verify at the first
/// sequence they touch (S4). Each log holds the 2 start-up events and 10 more.
@Suite struct AuditTamperTests {
    @Test(arguments: TestBackend.all)
    func intactLogVerifies(backend: TestBackend) async throws {
        try await withLog(backend) { runtime in
            let result = try await verify(runtime)
            #expect(result.isIntact, "\(String(describing: result.failure))")
            #expect(result.verified == 12 && result.headSequence == 12)
        }
    }

    @Test(arguments: TestBackend.all)
    func editedFieldIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 5) { database in
            try await database.raw("UPDATE audit_events SET actor_name = 'mallory' WHERE sequence = 5").run()
        }
    }

    @Test(arguments: TestBackend.all)
    func editedTimeIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 7) { database in
            try await database.raw("UPDATE audit_events SET recorded_at = recorded_at + 1 WHERE sequence = 7").run()
        }
    }

    @Test(arguments: TestBackend.all)
    func deletedRowIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 6) { database in
            try await database.raw("DELETE FROM audit_events WHERE sequence = 6").run()
        }
    }

    @Test(arguments: TestBackend.all)
    func swappedRowsAreFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 4) { database in
            try await database.raw("UPDATE audit_events SET sequence = -1 WHERE sequence = 4").run()
            try await database.raw("UPDATE audit_events SET sequence = 4 WHERE sequence = 9").run()
            try await database.raw("UPDATE audit_events SET sequence = 9 WHERE sequence = -1").run()
        }
    }

    @Test(arguments: TestBackend.all)
    func cutTailIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 10) { database in
            try await database.raw("DELETE FROM audit_events WHERE sequence >= 10").run()
        }
    }

    @Test(arguments: TestBackend.all)
    func cutTailWithHeadMovedBackIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 9) { database in
            try await database.raw("DELETE FROM audit_events WHERE sequence >= 10").run()
            try await database.raw(
                "UPDATE audit_head SET sequence = 9, mac = (SELECT mac FROM audit_events WHERE sequence = 9)").run()
        }
    }

    @Test(arguments: TestBackend.all)
    func insertedEventIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 13) { database in
            try await database.raw("""
                INSERT INTO audit_events (sequence, recorded_at, actor_id, actor_name, actor_kind, action, outcome,
                  changed_fields, key_version, mac)
                SELECT 13, recorded_at, actor_id, actor_name, actor_kind, action, outcome, changed_fields, key_version, mac
                FROM audit_events WHERE sequence = 12
                """).run()
        }
    }

    @Test(arguments: TestBackend.all)
    func removedHeadIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 1) { database in
            try await database.raw("DELETE FROM audit_head").run()
        }
    }

    /// Someone who rewrites every MAC and the head with a key of their own still cannot make it verify.
    @Test(arguments: TestBackend.all)
    func chainRemadeWithAnotherKeyIsFound(backend: TestBackend) async throws {
        try await expectFailure(backend, at: 1) { database in
            let forger = AuditChain(keys: [1: SymmetricKey(size: .bits256)], current: 1)
            let repository = SQLAuditRepository(database: database)
            var previous = AuditChain.genesis
            for entry in try await repository.entries(after: 0, limit: 100) {
                previous = try #require(forger.mac(of: entry, after: previous))
                try await database.update("audit_events").set("mac", to: previous)
                    .where("sequence", .equal, entry.sequence).run()
            }
            let headMac = try #require(forger.headMac(sequence: 12, mac: previous, keyVersion: 1))
            try await database.update("audit_head").set("mac", to: previous).set("head_mac", to: headMac).run()
        }
    }

    private func withLog(_ backend: TestBackend, _ body: @Sendable (HitchRuntime) async throws -> Void) async throws {
        try await backend.withRuntime { runtime, _ in
            for index in 1...10 {
                let event = AuditEvent(
                    actor: AuditActor(id: "u1", name: "alice", kind: "user", tokenName: "cli"),
                    origin: AuditOrigin(clientAddress: "10.0.0.\(index)", requestId: "r\(index)"),
                    action: "connection.update",
                    target: AuditTarget(kind: "connection", name: "vc\(index)", id: "c\(index)"),
                    changedFields: ["password"])
                try await runtime.store.write(logger: TestBackend.logger) { [audit = runtime.audit] session in
                    try await audit.append(event, in: session)
                }
            }
            try await body(runtime)
        }
    }

    private func verify(_ runtime: HitchRuntime) async throws -> AuditVerification {
        try await AuditVerifier(chain: runtime.audit.chain, pageSize: 5).verify(store: runtime.store, logger: TestBackend.logger)
    }

    private func expectFailure(
        _ backend: TestBackend, at sequence: Int64, _ tamper: @escaping @Sendable (any SQLDatabase) async throws -> Void
    ) async throws {
        try await withLog(backend) { runtime in
            #expect(try await verify(runtime).isIntact)
            try await runtime.store.backend.transaction(logger: TestBackend.logger) { try await tamper($0) }
            let result = try await verify(runtime)
            #expect(!result.isIntact)
            #expect(result.failure?.sequence == sequence, "\(String(describing: result.failure))")
            #expect(result.verified == sequence - 1)
        }
    }
}
