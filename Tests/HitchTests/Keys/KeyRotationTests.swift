import Foundation
import HTTPTypes
import HitchAudit
import HitchDomain
@testable import HitchServices
import HitchStorage
import SQLKit
import Testing

/// Master key rotation online: writes go on while versions are added, the rewrap moves every data key, and a
/// version is retired only once nothing uses it. Both backends.
@Suite struct KeyRotationTests {
    @Test(arguments: TestBackend.all)
    func rotatingWhileFourClientsWriteLosesNothing(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            // Each task gives back the passwords it set last, by connection, and any write that failed.
            let outcomes = try await withThrowingTaskGroup(of: (passwords: [String: String], failures: [String]).self) { group in
                for clientIndex in 0..<4 {
                    group.addTask {
                        var passwords: [String: String] = [:]
                        var failures: [String] = []
                        for step in 0..<12 {
                            let name = "c\(clientIndex)-\(step)"
                            let password = "canary-\(name)-\(UUID().uuidString.prefix(8))"
                            let created = try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: name, password: password))
                            if created.status != .created { failures.append("create \(name): \(created.text)") }
                            passwords[name] = password
                            guard step > 0 else { continue }
                            // Rotate the one made before: a new credential version, sealed anew.
                            let earlier = "c\(clientIndex)-\(step - 1)"
                            let rotated = "canary-rotated-\(earlier)-\(UUID().uuidString.prefix(8))"
                            let updated = try await client.call(.patch, "/v1/connections/\(earlier)", json: ["secrets": ["password": rotated]])
                            if updated.status != .ok { failures.append("rotate \(earlier): \(updated.text)") }
                            passwords[earlier] = rotated
                        }
                        return (passwords, failures)
                    }
                }
                group.addTask {
                    var failures: [String] = []
                    for _ in 0..<3 {
                        try await Task.sleep(for: .milliseconds(30))
                        let rotated = try await client.call(.post, "/v1/keys/rotate")
                        if rotated.status != .created { failures.append("key rotate: \(rotated.text)") }
                    }
                    return ([:], failures)
                }
                return try await group.reduce(into: (passwords: [String: String](), failures: [String]())) {
                    $0.passwords.merge($1.passwords) { $1 }
                    $0.failures += $1.failures
                }
            }
            #expect(outcomes.failures == [])
            try await runtime.rewrap.pass(logger: TestBackend.logger)

            let status = try await client.call(.get, "/v1/keys")
            #expect(status.json["currentVersion"] as? Int == 4)
            let rewrap = try #require(status.json["rewrap"] as? [String: Any])
            #expect(rewrap["pending"] as? Int == 0)
            #expect(rewrap["done"] as? Int == 48)
            let usage = try await runtime.store.read(logger: TestBackend.logger) { try await $0.keyring.usage() }
            #expect(usage.keys.sorted() == [4])
            for (name, password) in outcomes.passwords {
                let record = try await runtime.connections.get(name: name, logger: TestBackend.logger)
                let opened = try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)
                #expect(opened["password"]?.exposedValue == password, "\(name)")
            }
            let verified = try await client.call(.get, "/v1/audit/verify")
            #expect(verified.json["intact"] as? Bool == true, "\(verified.text)")
        }
    }

    @Test(arguments: TestBackend.all)
    func aVersionIsRetiredOnlyOnceNothingUsesIt(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(password: "canary-retire-pw")).status == .created)
            #expect(try await client.call(.post, "/v1/keys/rotate").status == .created)
            let refused = try await client.call(.delete, "/v1/keys/1")
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("still wraps 1 secrets"))
            #expect(try await client.call(.delete, "/v1/keys/2").status == .conflict, "the current version")
            #expect(try await client.call(.delete, "/v1/keys/7").status == .notFound)

            let moved = try await runtime.rewrap.pass(logger: TestBackend.logger)
            #expect(moved.moved == 1 && moved.skipped == 0)
            #expect(try await client.call(.delete, "/v1/keys/1").status == .noContent)
            let status = try await client.call(.get, "/v1/keys")
            #expect((status.json["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == [2])
            let record = try await runtime.connections.get(name: "prod-vcenter", logger: TestBackend.logger)
            #expect(try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)["password"]?.exposedValue == "canary-retire-pw")
            let actions = try await client.call(.get, "/v1/audit?action=key.retire")
            // The refusals are audited too, as failed; the one that retired it, as ok.
            let outcomes = (actions.json["events"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String } ?? []
            #expect(outcomes.sorted() == ["failed", "failed", "failed", "ok"], "\(actions.text)")
        }
    }

    /// A secret wrapped by a version the keyring no longer holds is never written: storage refuses it.
    @Test(arguments: TestBackend.all)
    func storageRefusesASecretWrappedByARetiredVersion(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            let rotated = try await client.call(.post, "/v1/keys/rotate")
            let retired = try await client.call(.delete, "/v1/keys/1")
            #expect(rotated.status == .created && retired.status == .noContent)
            let record = ConnectionRepositoryTests.record("stale-writer")
            let retiredOnly = [ConnectionRepositoryTests.secret()]
            let current = StoredSecret(
                field: "token", credentialVersion: 1, masterKeyVersion: 2, wrappedKey: Data([1, 2, 3]), ciphertext: Data([4, 5, 6, 7]))
            // Wrapped by the retired version alone, or beside one wrapped by the current version: nothing is written.
            for secrets in [retiredOnly, [current] + retiredOnly] {
                let error = await #expect(throws: StorageError.self) {
                    try await runtime.store.write(logger: TestBackend.logger) { session in
                        try await session.connections.insert(record, secrets: secrets, version: ConnectionRepositoryTests.version())
                    }
                }
                #expect(error?.code == .keyVersionRetired, "\(String(describing: error))")
                #expect(try await runtime.store.connection(named: "stale-writer", logger: TestBackend.logger) == nil)
            }
            // A secret replaced in place (an update's upsert) is refused the same way, and the stored one is kept.
            try await runtime.store.write(logger: TestBackend.logger) { session in
                try await session.connections.insert(record, secrets: [current], version: ConnectionRepositoryTests.version())
            }
            let replaced = { var copy = record; copy.revision = 2; return copy }()
            await #expect(throws: StorageError.self) {
                try await runtime.store.write(logger: TestBackend.logger) { session in
                    _ = try await session.connections.update(
                        replaced, expectedRevision: 1, secrets: [ConnectionRepositoryTests.secret("token")], version: nil)
                }
            }
            let kept = try await runtime.store.read(logger: TestBackend.logger) { try await $0.connections.secrets(connectionId: record.id) }
            #expect(kept.map(\.masterKeyVersion) == [2])
        }
    }

    /// A secret whose destination was changed outside Hitch does not open under its binding: the rewrap leaves it
    /// where it is and counts it, and its version cannot be retired.
    @Test(arguments: TestBackend.all)
    func theRewrapLeavesASecretWhoseDestinationWasChangedByHand(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(password: "canary-moved-pw")).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "untouched")).status == .created)
            try await runtime.store.backend.transaction(logger: TestBackend.logger) { database in
                try await database.raw("UPDATE connections SET fields = REPLACE(fields, 'vc01.corp.example', 'evil.example') WHERE name = 'prod-vcenter'").run()
            }
            #expect(try await client.call(.post, "/v1/keys/rotate").status == .created)
            let pass = try await runtime.rewrap.pass(logger: TestBackend.logger)
            #expect(pass.moved == 1 && pass.skipped == 1)
            let status = try await client.call(.get, "/v1/keys")
            #expect((status.json["rewrap"] as? [String: Any])?["skipped"] as? Int == 1)
            #expect(try await client.call(.delete, "/v1/keys/1").status == .conflict)
        }
    }

    /// A rekey request cannot send the server's signed KMS requests (and the session token in them) to an endpoint
    /// of its choosing: only the server's own is taken.
    @Test(arguments: TestBackend.all)
    func aRekeyCannotNameAnotherKMSEndpoint(backend: TestBackend) async throws {
        let environment = TestBackend.environment.merging([
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "canary-ambient-secret",
            "AWS_SESSION_TOKEN": "canary-ambient-session-token",
        ]) { $1 }
        let capture = CaptureServer()
        try await LocalTLSServer.run(capture.router, plainHTTP: true) { plain in
            try await withAPI(backend, environment: environment) { client, _ in
                let refused = try await client.call(.post, "/v1/keys/rekey", json: [
                    "source": "aws-kms", "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/abc",
                    "kmsEndpoint": "http://127.0.0.1:\(plain.port)",
                ])
                #expect(refused.status == .badRequest && refused.text.contains("kmsEndpoint"), "\(refused.text)")
                #expect(capture.requests.isEmpty, "nothing reached the named endpoint")
                let status = try await client.call(.get, "/v1/keys")
                let kek = try #require(status.json["kek"] as? [String: Any])
                #expect(kek["sealedBy"] as? [String] == [kek["identity"] as? String ?? ""])
            }
        }
    }
}
