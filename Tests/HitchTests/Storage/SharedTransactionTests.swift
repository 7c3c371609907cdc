import Foundation
import HTTPTypes
import HitchAudit
@testable import HitchServices
import HitchStorage
import Testing

/// Writes that arrive together share one transaction (the group commit, on both backends). On PostgreSQL an error
/// aborts the whole transaction, so a write that fails in a batch must take none of the others with it: the batch
/// is rolled back and each write runs again alone, the failing one fails alone with its own error, and the audit
/// log holds exactly the events of the writes that committed.
struct SharedTransactionTests {
    @Test(arguments: TestBackend.all)
    func aFailingWriteInABatchFailsAlone(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.connection("taken")).status == .created)
            let statuses = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        // Every fourth create asks for the name already taken: a unique violation inside the batch.
                        let name = index % 4 == 0 ? "taken" : "batch-\(index)"
                        return (index, try await client.call(.post, "/v1/connections", json: Self.connection(name)).status)
                    }
                }
                return try await group.reduce(into: [Int: HTTPResponse.Status]()) { $0[$1.0] = $1.1 }
            }
            for (index, status) in statuses {
                #expect(status == (index % 4 == 0 ? .conflict : .created), "create \(index)")
            }
            let listed = try await client.call(.get, "/v1/connections?limit=100")
            let names = Set(((listed.json["connections"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
            #expect(names == Set(["taken"] + (0..<40).filter { $0 % 4 != 0 }.map { "batch-\($0)" }))

            let verified = try await AuditVerifier(chain: runtime.audit.chain).verify(store: runtime.store, logger: TestBackend.logger)
            #expect(verified.isIntact, "\(String(describing: verified.failure))")
            let creates = try await runtime.store.read(logger: TestBackend.logger) { try await $0.audit.entries(after: 0, limit: 1_000) }
                .filter { $0.action == "connection.create" }
            #expect(creates.filter { $0.outcome == "ok" }.count == 31, "the first create and the thirty that committed")
            #expect(creates.filter { $0.outcome != "ok" }.count == 10, "each refusal, audited as such")
        }
    }

    static func connection(_ name: String) -> [String: Any] {
        ["kind": "nutanix", "name": name, "fields": ["endpoint": "prism.batch.example", "username": "svc"],
         "secrets": ["password": "batch-pw"]]
    }
}
