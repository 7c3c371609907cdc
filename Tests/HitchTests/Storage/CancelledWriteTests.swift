import Foundation
import HitchDomain
@testable import HitchStorage
import Testing

/// A write whose caller is cancelled mid-transaction (a job stopped at shutdown) still ends its transaction: the
/// writer is not left inside one, and every write after it commits. On both backends.
@Suite struct CancelledWriteTests {
    static func lease(_ id: String) -> LeaseRecord {
        LeaseRecord(
            id: id, connectionId: "c", connectionName: "c", kind: "vsphere", credentialVersion: 1, consumerId: "i",
            consumerName: "engine", jobId: nil, scope: nil, issuedAt: Date(), expiresAt: Date().addingTimeInterval(60))
    }

    @Test(arguments: TestBackend.all)
    func aCancelledWriterLeavesNoTransactionOpen(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            try await Migrator(backend: sql).migrate(logger: TestBackend.logger, steps: ConnectionRepositoryTests.serverSteps)
            let store = Store(backend: sql)
            for round in 0..<5 {
                let writer = Task {
                    try await store.write(logger: TestBackend.logger) { session in
                        try await session.leases.insert(Self.lease("cancelled-\(round)"))
                        try await Task.sleep(for: .milliseconds(100))
                        try await session.leases.insert(Self.lease("cancelled-\(round)-second"))
                    }
                }
                try await Task.sleep(for: .milliseconds(30))
                writer.cancel()
                _ = try? await writer.value
                // Whatever the cancelled write came to, the next one commits.
                try await store.write(logger: TestBackend.logger) { try await $0.leases.insert(Self.lease("after-\(round)")) }
                let found = try await store.read(logger: TestBackend.logger) { try await $0.leases.find(id: "after-\(round)") }
                #expect(found != nil, "round \(round)")
                let first = try await store.read(logger: TestBackend.logger) { try await $0.leases.find(id: "cancelled-\(round)") }
                let second = try await store.read(logger: TestBackend.logger) { try await $0.leases.find(id: "cancelled-\(round)-second") }
                #expect((first == nil) == (second == nil), "all of a transaction or none of it")
            }
        }
    }
}
