import Foundation
import HitchDomain
import HitchStorage
import Testing

/// The repositories on both backends.
@Suite struct ConnectionRepositoryTests {
    static func record(_ name: String, kind: ConnectionKind = .vsphere, tags: [String] = [], description: String = "")
        -> ConnectionRecord
    {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        return ConnectionRecord(
            id: UUID().uuidString.lowercased(), name: name, kind: kind, description: description, tags: tags,
            fields: ["vcenter": .string("vc01"), "datacenter": .string("DC1"), "insecure": .boolean(true)],
            credentialVersion: 1, revision: 1, status: .untested, createdAt: now, createdBy: "admin", updatedAt: now,
            updatedBy: "admin", secretFields: ["password"])
    }

    static func secret(_ field: String = "password", version: Int = 1) -> StoredSecret {
        StoredSecret(
            field: field, credentialVersion: version, masterKeyVersion: 1, wrappedKey: Data([1, 2, 3]),
            ciphertext: Data([4, 5, 6, 7]))
    }

    static func version(_ number: Int = 1, fields: [String] = ["password"]) -> CredentialVersionRecord {
        CredentialVersionRecord(
            version: number, createdAt: Date(timeIntervalSince1970: 1_800_000_000), actorId: "a1", actorName: "admin",
            changedFields: fields)
    }

    @Test(arguments: TestBackend.all)
    func insertsAndFinds(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            let record = Self.record("prod-vc", tags: ["prod", "Mig:1"], description: "Prod vCenter")
            try await store.write(logger: TestBackend.logger) {
                try await $0.connections.insert(record, secrets: [Self.secret()], version: Self.version())
            }
            let found = try await store.read(logger: TestBackend.logger) { try await $0.connections.find(name: "prod-vc") }
            #expect(found == record)
            let secrets = try await store.read(logger: TestBackend.logger) {
                try await $0.connections.secrets(connectionId: record.id)
            }
            #expect(secrets == [Self.secret()])
            #expect(try await store.read(logger: TestBackend.logger) { try await $0.connections.find(name: "PROD-VC") } == nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func refusesADuplicateName(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            try await store.write(logger: TestBackend.logger) {
                try await $0.connections.insert(Self.record("dup"), secrets: [], version: Self.version())
            }
            await #expect(throws: StorageError.self) {
                try await store.write(logger: TestBackend.logger) {
                    try await $0.connections.insert(Self.record("dup"), secrets: [], version: Self.version())
                }
            }
            let all = try await store.read(logger: TestBackend.logger) { try await $0.connections.list(.init()) }
            #expect(all.count == 1)
        }
    }

    @Test(arguments: TestBackend.all)
    func filtersByKindTagTextAndAutoRotation(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            var rotating = Self.record("beta", kind: .nutanix, tags: ["prod"])
            rotating.autoRotate = true
            let records = [
                Self.record("alpha", tags: ["prod", "a_b"], description: "First vCenter"),
                rotating,
                Self.record("gamma", tags: ["axb"], description: "100% lab"),
            ]
            try await store.write(logger: TestBackend.logger) { session in
                for record in records { try await session.connections.insert(record, secrets: [], version: Self.version()) }
            }
            func names(_ filter: ConnectionFilter) async throws -> [String] {
                try await store.read(logger: TestBackend.logger) { try await $0.connections.list(filter) }.map(\.name)
            }
            #expect(try await names(.init()) == ["alpha", "beta", "gamma"])
            #expect(try await names(.init(kind: .nutanix)) == ["beta"])
            #expect(try await names(.init(tags: ["prod"])) == ["alpha", "beta"])
            #expect(try await names(.init(tags: ["a_b"])) == ["alpha"])
            #expect(try await names(.init(tags: ["PROD"])) == [])
            #expect(try await names(.init(kind: .vsphere, tags: ["prod"])) == ["alpha"])
            #expect(try await names(.init(text: "VCENTER")) == ["alpha"])
            #expect(try await names(.init(text: "0%")) == ["gamma"])
            #expect(try await names(.init(text: "a_b")) == ["alpha"])
            #expect(try await names(.init(autoRotating: true)) == ["beta"])
            #expect(try await names(.init(tags: ["axb"], autoRotating: true)) == [])
        }
    }

    @Test(arguments: TestBackend.all)
    func updateNeedsTheCurrentRevision(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            let record = Self.record("rev")
            try await store.write(logger: TestBackend.logger) {
                try await $0.connections.insert(record, secrets: [Self.secret()], version: Self.version())
            }
            var changing = record
            changing.revision = 2
            changing.credentialVersion = 2
            changing.fields["datacenter"] = .string("DC2")
            let changed = changing
            let saved = try await store.write(logger: TestBackend.logger) {
                try await $0.connections.update(
                    changed, expectedRevision: 1, secrets: [Self.secret(version: 2)], version: Self.version(2))
            }
            #expect(saved)
            var staleChange = changed
            staleChange.revision = 3
            staleChange.description = "lost"
            let stale = staleChange
            let staleSaved = try await store.write(logger: TestBackend.logger) {
                try await $0.connections.update(stale, expectedRevision: 1, secrets: [], version: nil)
            }
            #expect(!staleSaved)
            let found = try await store.read(logger: TestBackend.logger) { try await $0.connections.find(name: "rev") }
            #expect(found == changed)
            let secrets = try await store.read(logger: TestBackend.logger) { try await $0.connections.secrets(connectionId: record.id) }
            #expect(secrets == [Self.secret(version: 2)])
            let versions = try await store.read(logger: TestBackend.logger) { try await $0.connections.versions(connectionId: record.id) }
            #expect(versions.map(\.version) == [1, 2])
        }
    }

    @Test(arguments: TestBackend.all)
    func deleteRemovesSecretsAndVersions(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            let record = Self.record("gone")
            try await store.write(logger: TestBackend.logger) {
                try await $0.connections.insert(record, secrets: [Self.secret()], version: Self.version())
            }
            let deleted = try await store.write(logger: TestBackend.logger) { try await $0.connections.delete(id: record.id) }
            #expect(deleted)
            let secrets = try await store.read(logger: TestBackend.logger) { try await $0.connections.secrets(connectionId: record.id) }
            #expect(secrets.isEmpty)
            let versions = try await store.read(logger: TestBackend.logger) { try await $0.connections.versions(connectionId: record.id) }
            #expect(versions.isEmpty)
            let again = try await store.write(logger: TestBackend.logger) { try await $0.connections.delete(id: record.id) }
            #expect(!again)
        }
    }

    @Test(arguments: TestBackend.all)
    func aFailedTransactionLeavesNothing(backend: TestBackend) async throws {
        struct Abort: Error {}
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            await #expect(throws: Abort.self) {
                try await store.write(logger: TestBackend.logger) { session in
                    try await session.connections.insert(Self.record("half"), secrets: [Self.secret()], version: Self.version())
                    throw Abort()
                }
            }
            let all = try await store.read(logger: TestBackend.logger) { try await $0.connections.list(.init()) }
            #expect(all.isEmpty)
        }
    }

    @Test(arguments: TestBackend.all)
    func migrationsRunOnce(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let migrator = Migrator(backend: sql)
            let before = try await migrator.appliedVersions(logger: TestBackend.logger)
            let first = try await migrator.migrate(logger: TestBackend.logger, steps: Self.serverSteps)
            let second = try await migrator.migrate(logger: TestBackend.logger, steps: Self.serverSteps)
            let after = try await migrator.appliedVersions(logger: TestBackend.logger)
            #expect(before == [])
            #expect(first == Array(1...13))
            #expect(second == [])
            #expect(after == Array(1...13))
        }
    }

    /// Concurrent writes (batched into shared commits on SQLite) succeed or fail one by one.
    @Test(arguments: TestBackend.all)
    func concurrentWritesCommitOneByOne(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await Self.migratedStore(sql)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            try await store.write(logger: TestBackend.logger) {
                                try await $0.connections.insert(
                                    Self.record("c-\(index % 20)"), secrets: [Self.secret()], version: Self.version())
                            }
                            return true
                        } catch let error as StorageError where error.code == .duplicate {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 20)
            let all = try await store.read(logger: TestBackend.logger) { try await $0.connections.list(.init()) }
            #expect(all.count == 20)
            for record in all {
                let secrets = try await store.read(logger: TestBackend.logger) {
                    try await $0.connections.secrets(connectionId: record.id)
                }
                #expect(secrets.count == 1)
            }
        }
    }

    /// A migration that needs the server's step is refused without one, and applied whole with it.
    @Test(arguments: TestBackend.all)
    func aServerStepIsRequiredAndRunsInTheMigrationsTransaction(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let migrator = Migrator(backend: sql)
            await #expect(throws: StorageError.self) { try await migrator.migrate(logger: TestBackend.logger) }
            let withoutStep = try await migrator.appliedVersions(logger: TestBackend.logger)
            #expect(withoutStep == Array(1...5))
            let failing: [Int: MigrationStep] = [SchemaVersion.destinationBinding: { _ in throw StepFailed() }]
            await #expect(throws: StepFailed.self) { try await migrator.migrate(logger: TestBackend.logger, steps: failing) }
            let afterFailure = try await migrator.appliedVersions(logger: TestBackend.logger)
            #expect(afterFailure == Array(1...5), "a failed step leaves the migration unapplied")
        }
    }

    struct StepFailed: Error {}

    /// The server's steps, on a database with no secret: nothing for them to do.
    /// The server's migration steps, standing in: no secrets to bind, and a keyring row for master key version 1
    /// (storage refuses a secret wrapped by a version the keyring does not hold).
    static let serverSteps: [Int: MigrationStep] = [
        SchemaVersion.destinationBinding: { _ in },
        SchemaVersion.keyring: { session in
            try await session.keyring.insert(KeyringKeyRecord(
                purpose: "data", version: 1, sealedKey: Data([0]), kek: "test", createdAt: Date(), createdBy: "test"))
        },
    ]

    static func migratedStore(_ backend: any SQLBackend) async throws -> Store {
        try await Migrator(backend: backend).migrate(logger: TestBackend.logger, steps: serverSteps)
        return Store(backend: backend)
    }
}

/// The claim that lets one server at a time rotate a connection automatically, and the backoff after a failure.
@Suite struct AutoRotationClaimTests {
    @Test(arguments: TestBackend.all)
    func oneClaimAtATimeAndTheBackoffHolds(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await ConnectionRepositoryTests.migratedStore(sql)
            let record = ConnectionRepositoryTests.record("aws-claimed", kind: .awsAccessKey)
            try await store.write(logger: TestBackend.logger) {
                try await $0.connections.insert(record, secrets: [], version: ConnectionRepositoryTests.version())
            }
            let now = Date()
            func claim(at moment: Date) async throws -> Bool {
                try await store.write(logger: TestBackend.logger) {
                    try await $0.autoRotations.claim(connectionId: record.id, at: moment, until: moment.addingTimeInterval(300))
                }
            }
            #expect(try await claim(at: now))
            #expect(try await !claim(at: now.addingTimeInterval(1)), "another server's claim holds")
            let failures = try await store.write(logger: TestBackend.logger) {
                try await $0.autoRotations.failed(connectionId: record.id, reason: "IAM said no", nextAttemptAt: now.addingTimeInterval(600))
            }
            #expect(failures == 1)
            #expect(try await !claim(at: now.addingTimeInterval(60)), "the backoff holds")
            let state = try await store.read(logger: TestBackend.logger) { try await $0.autoRotations.state(connectionId: record.id) }
            #expect(state?.failures == 1 && state?.lastError == "IAM said no")
            #expect(try await claim(at: now.addingTimeInterval(601)))
            try await store.write(logger: TestBackend.logger) { try await $0.autoRotations.succeeded(connectionId: record.id) }
            #expect(try await store.read(logger: TestBackend.logger) { try await $0.autoRotations.state(connectionId: record.id) } == nil)
            #expect(try await claim(at: now.addingTimeInterval(602)))
        }
    }
}
