import Foundation
import HitchAudit
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// What `hitch-bench rewrap-keys` measures, reached from outside the server's module: secrets sealed as the server
/// seals them, then a rotation and one rewrap pass.
extension HitchRuntime {
    /// Stores `count` api-key connections, each with one sealed secret, `perTransaction` to a transaction (no audit
    /// events: this is test data, not a user's change).
    public func seedSecretsForBenchmark(count: Int, perTransaction: Int, logger: Logger) async throws {
        let secrets = connections.secrets
        var written = 0
        while written < count {
            let batch = (written..<min(count, written + perTransaction)).map { index in
                let now = Date()
                return ConnectionRecord(
                    id: UUID().uuidString.lowercased(), name: "bench-\(index)", kind: .apiKey, description: "", tags: [],
                    fields: ["tokenType": .string("connector")], credentialVersion: 1, revision: 1, status: .untested,
                    createdAt: now, createdBy: "bench", updatedAt: now, updatedBy: "bench", secretFields: ["key"])
            }
            var sealed: [(ConnectionRecord, [StoredSecret])] = []
            for record in batch {
                let destination = ConnectionSecrets.destination(kind: record.kind, fields: record.fields, via: nil)
                sealed.append((record, try secrets.seal(
                    ["key": SecretGenerator.token(prefix: "hk_")], connectionId: record.id, version: 1, destination: destination)))
            }
            try await store.write(logger: logger) { [sealed] session in
                for (record, secrets) in sealed {
                    try await session.connections.insert(
                        record, secrets: secrets,
                        version: CredentialVersionRecord(version: 1, createdAt: record.createdAt, actorId: "bench", actorName: "bench", changedFields: ["key"]))
                }
            }
            written += batch.count
        }
    }

    /// Rotates the master key and runs one rewrap pass; how many data keys it moved, and how long the pass took.
    public func rotateAndRewrapForBenchmark(logger: Logger) async throws -> (moved: Int, duration: Duration) {
        let actor = RequestActor(
            principal: Principal(id: "bench", name: "bench", kind: "service", role: .admin, tokenId: nil, tokenName: nil),
            origin: .local)
        _ = try await keyService.rotate(by: actor, logger: logger)
        let started = ContinuousClock.now
        let (moved, _) = try await rewrap.pass(logger: logger)
        return (moved, started.duration(to: .now))
    }
}
