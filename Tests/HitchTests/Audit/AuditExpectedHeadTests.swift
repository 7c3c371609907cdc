import Foundation
@testable import HitchAudit
@testable import HitchServices
import HitchStorage
import SQLKit
import Testing

/// A log restored whole from an older backup is itself a valid chain; only a head kept elsewhere tells. Verify
/// prints the head, and with the head kept (`expectHead`) it fails when the log was cut back to before it or when
/// the event at that sequence is another one.
@Suite struct AuditExpectedHeadTests {
    @Test(arguments: TestBackend.all)
    func aRestoredOlderLogFailsAgainstTheKeptHead(backend: TestBackend) async throws {
        try await backend.withRuntime { runtime, _ in
            func verify(_ expected: String? = nil) async throws -> AuditVerification {
                try await AuditVerifier(chain: runtime.audit.chain).verify(
                    store: runtime.store, expecting: expected.flatMap(ExpectedAuditHead.init), logger: TestBackend.logger)
            }
            func append(_ count: Int) async throws {
                for index in 0..<count {
                    let event = AuditEvent(actor: .system, origin: .local, action: "test.event", target: nil, detail: "\(index)")
                    try await runtime.store.write(logger: TestBackend.logger) { [audit = runtime.audit] session in
                        try await audit.append(event, in: session)
                    }
                }
            }
            try await append(5)
            let early = try await verify()
            let earlyHead = "\(try #require(early.headSequence)):\(try #require(early.headMac))"
            try await runtime.store.backend.transaction(logger: TestBackend.logger) { database in
                try await database.raw("CREATE TABLE audit_events_backup AS SELECT * FROM audit_events").run()
                try await database.raw("CREATE TABLE audit_head_backup AS SELECT * FROM audit_head").run()
            }
            try await append(3)
            let later = try await verify()
            let laterHead = "\(try #require(later.headSequence)):\(try #require(later.headMac))"
            let againstLater = try await verify(laterHead)
            let againstEarly = try await verify(earlyHead)
            #expect(againstLater.isIntact && againstEarly.isIntact)

            // The database is restored from the backup taken before the last three events.
            try await runtime.store.backend.transaction(logger: TestBackend.logger) { database in
                try await database.raw("DELETE FROM audit_events").run()
                try await database.raw("INSERT INTO audit_events SELECT * FROM audit_events_backup").run()
                try await database.raw("DELETE FROM audit_head").run()
                try await database.raw("INSERT INTO audit_head SELECT * FROM audit_head_backup").run()
            }
            #expect(try await verify().isIntact, "on its own, the restored log is a valid chain")
            #expect(try await verify(earlyHead).isIntact)
            let cut = try await verify(laterHead)
            #expect(!cut.isIntact && cut.failure?.sequence == later.headSequence, "\(String(describing: cut.failure))")
            #expect(cut.failure?.reason.contains("cut back") == true)
            let replaced = try await verify("3:" + String(repeating: "0", count: 64))
            #expect(replaced.failure?.sequence == 3 && replaced.failure?.reason.contains("not the one kept") == true)
        }
    }
}
