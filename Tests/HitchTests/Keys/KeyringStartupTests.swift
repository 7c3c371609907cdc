import Crypto
import Foundation
import HitchAudit
import HitchDomain
@testable import HitchSecrets
@testable import HitchServices
@testable import HitchStorage
import Logging
import SQLKit
import Testing

/// The keyring at start: a database made before it keeps its master key and its audit chain; servers sharing a
/// PostgreSQL take in each other's rotations; a rekeyed keyring starts only with its new key. Both backends.
@Suite struct KeyringStartupTests {
    /// A database as the server before the keyring left it (schema 10): a key check, secrets wrapped by the master
    /// key itself, and an audit chain keyed by a key derived from it.
    @Test(arguments: TestBackend.all)
    func aDatabaseMadeBeforeTheKeyringKeepsItsSecretsAndItsAuditChain(backend: TestBackend) async throws {
        let master = MasterKey.generate()
        let keyText = master.key.withUnsafeBytes { Data($0).base64EncodedString() }
        let environment = TestBackend.environment.merging(["HITCH_MASTER_KEY": keyText]) { $1 }
        try await backend.withConfiguration(environment: environment) { configuration in
            let record = ConnectionRepositoryTests.record("legacy-vcenter")
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
                try await Migrator(backend: sql, upTo: 10).migrate(
                    logger: TestBackend.logger, steps: [SchemaVersion.destinationBinding: { _ in }])
                let store = Store(backend: sql)
                let legacyAudit = AuditLog(chain: AuditChain(keys: [1: AuditChain.legacyKey(of: master)], current: 1), clock: Date.init)
                let destination = ConnectionSecrets.destination(kind: record.kind, fields: record.fields, via: nil)
                let sealed = try Keyring(current: master).seal(
                    SecretValue("canary-legacy-pw"),
                    for: SecretBinding(connectionId: record.id, field: "password", credentialVersion: 1, destination: destination.canonical))
                // The row as schema 10 held it: the repository of today writes columns that came later.
                try await sql.transaction(logger: TestBackend.logger) { database in
                    let now = Int64(Date().timeIntervalSince1970 * 1000)
                    try await database.raw("""
                        INSERT INTO connections (id, name, kind, description, display_name, tags, fields, credential_version, revision,
                          status, created_at, created_by, updated_at, updated_by, credential_created_at)
                        VALUES (\(bind: record.id), \(bind: record.name), 'vsphere', '', '', '[]', \(bind: String(decoding: try JSONEncoder().encode(record.fields), as: UTF8.self)),
                          1, 1, 'untested', \(bind: now), 't', \(bind: now), 't', \(bind: now))
                        """).run()
                }
                try await store.write(logger: TestBackend.logger) { session in
                    try await session.keyCheck.save(masterKeyVersion: 1, value: try KeyCheck.make(for: master))
                    try await session.connections.replaceSecrets(
                        [StoredSecret(field: "password", credentialVersion: 1, masterKeyVersion: 1, wrappedKey: sealed.wrappedKey, ciphertext: sealed.ciphertext)],
                        connectionId: record.id)
                    for index in 0..<3 {
                        try await legacyAudit.append(
                            AuditEvent(actor: .system, origin: .local, action: "test.legacy", target: nil, detail: "\(index)"), in: session)
                    }
                }
            }
            for round in 0..<2 {
                try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
                    let runtime = try await HitchRuntime.start(backend: sql, configuration: configuration, logger: TestBackend.logger)
                    let opened = try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)
                    #expect(opened["password"]?.exposedValue == "canary-legacy-pw")
                    let verified = try await runtime.auditLog.verify(logger: TestBackend.logger)
                    #expect(verified.isIntact && verified.verified >= 4, "\(verified)")
                    let status = try await runtime.keyService.status(logger: TestBackend.logger)
                    #expect(status.kekIdentity == LocalKEK(key: master.key, origin: "").identity)
                    #expect(status.sealedBy == [status.kekIdentity])
                    if round == 0 {
                        // Rotated and rewrapped, the secret still opens after the next start.
                        _ = try await runtime.keyService.rotate(by: KeyTestActor.admin, logger: TestBackend.logger)
                        try await runtime.rewrap.pass(logger: TestBackend.logger)
                    } else {
                        #expect(status.currentVersion == 2 && status.rewrap.pending == 0)
                    }
                }
            }
        }
    }

    /// Two servers on one PostgreSQL: a rotation on one is used by the other for its next seal, without a restart;
    /// and what one sealed under the new version, the other opens at once.
    @Test(arguments: TestBackend.all.filter { $0 == .postgres })
    func anotherServerSealsUnderTheNewVersionWithoutARestart(backend: TestBackend) async throws {
        let keyText = LocalKEK.generate(origin: "test").base64
        let environment = TestBackend.environment.merging(["HITCH_MASTER_KEY": keyText]) { $1 }
        try await backend.withConfiguration(environment: environment) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { first in
                try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { second in
                    let a = try await HitchRuntime.start(backend: first, configuration: configuration, logger: TestBackend.logger)
                    let b = try await HitchRuntime.start(backend: second, configuration: configuration, logger: TestBackend.logger)
                    let following = Task { await b.maintainKeys(logger: TestBackend.logger) }
                    defer { following.cancel() }
                    _ = try await a.connections.create(
                        try Self.request("before"), by: KeyTestActor.admin, logger: TestBackend.logger)
                    #expect(try await a.keyService.rotate(by: KeyTestActor.admin, logger: TestBackend.logger) == 2)

                    // What A seals now under version 2, B opens without having heard of it.
                    _ = try await a.connections.create(try Self.request("sealed-by-a"), by: KeyTestActor.admin, logger: TestBackend.logger)
                    let sealedByA = try await b.connections.get(name: "sealed-by-a", logger: TestBackend.logger)
                    #expect(try await b.connections.secrets.open(of: sealedByA, logger: TestBackend.logger)["password"]?.exposedValue == "canary-sealed-by-a")

                    var versions: [Int] = []
                    for index in 0..<50 {
                        let name = "by-b-\(index)"
                        _ = try await b.connections.create(try Self.request(name), by: KeyTestActor.admin, logger: TestBackend.logger)
                        let record = try await b.connections.get(name: name, logger: TestBackend.logger)
                        let stored = try await b.store.read(logger: TestBackend.logger) { try await $0.connections.secrets(connectionId: record.id) }
                        versions.append(try #require(stored.first).masterKeyVersion)
                        if versions.last == 2 { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(versions.last == 2, "B kept sealing under \(versions)")
                    // B's rewrap moved A's first secret, sealed under version 1.
                    for _ in 0..<50 {
                        if try await !b.store.read(logger: TestBackend.logger, { try await $0.keyring.hasWrapped(below: 2) }) { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(try await !b.store.read(logger: TestBackend.logger) { try await $0.keyring.hasWrapped(below: 2) })
                    await a.shutDownJobs()
                    await b.shutDownJobs()
                }
            }
        }
    }

    /// After a rekey the old key no longer starts the server, with nothing changed; the new one does.
    @Test(arguments: TestBackend.all)
    func afterARekeyOnlyTheNewKeyStarts(backend: TestBackend) async throws {
        let old = LocalKEK.generate(origin: "test")
        let new = LocalKEK.generate(origin: "test")
        try await backend.withConfiguration(environment: TestBackend.environment.merging(["HITCH_MASTER_KEY": old.base64]) { $1 }) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
                let runtime = try await HitchRuntime.start(backend: sql, configuration: configuration, logger: TestBackend.logger)
                _ = try await runtime.connections.create(try Self.request("kept"), by: KeyTestActor.admin, logger: TestBackend.logger)
                #expect(try await runtime.keyService.rekey(to: new, by: KeyTestActor.admin, logger: TestBackend.logger) == 2)
                // The running server goes on: it holds the keyring already.
                let record = try await runtime.connections.get(name: "kept", logger: TestBackend.logger)
                #expect(try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)["password"]?.exposedValue == "canary-kept")
            }
            let before = try await KeyTestDatabase.digest(configuration)
            await #expect(throws: SecretsError.self) { try await StartupTests.start(configuration) }
            #expect(try await KeyTestDatabase.digest(configuration) == before)
            let renewed = {
                var renewed = configuration
                renewed.environment["HITCH_MASTER_KEY"] = new.base64
                return renewed
            }()
            try await StorageRuntime.withBackend(renewed, logger: TestBackend.logger) { sql in
                let runtime = try await HitchRuntime.start(backend: sql, configuration: renewed, logger: TestBackend.logger)
                let record = try await runtime.connections.get(name: "kept", logger: TestBackend.logger)
                #expect(try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)["password"]?.exposedValue == "canary-kept")
                #expect(try await runtime.auditLog.verify(logger: TestBackend.logger).isIntact)
            }
        }
    }

    static func request(_ name: String) throws -> CreateConnectionRequest {
        CreateConnectionRequest(
            kind: "vsphere", name: name, description: nil, tags: nil,
            fields: ["vcenter": .string("vc01.corp.example"), "username": .string("svc"), "insecure": .boolean(false)],
            secrets: ["password": SecretValue("canary-\(name)")], generate: [])
    }
}

enum KeyTestActor {
    static let admin = RequestActor(
        principal: Principal(id: "admin-id", name: "admin", kind: "service", role: .admin, tokenId: nil, tokenName: nil), origin: .local)
}

/// What a start must leave unchanged: every file of a SQLite data directory, and on PostgreSQL the keyring, the
/// secrets, the migrations and the audit log's rows.
enum KeyTestDatabase {
    static func digest(_ configuration: HitchConfiguration) async throws -> String {
        if configuration.databaseURL == nil {
            return try StartupTests.snapshot(configuration).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        }
        return try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
            try await sql.read(logger: TestBackend.logger) { database in
                var text = ""
                for query in [
                    "SELECT purpose || ':' || version || ':' || sealed_key || ':' || kek AS row FROM keyring_keys ORDER BY purpose, version",
                    "SELECT connection_id || ':' || field || ':' || master_key_version || ':' || wrapped_key AS row FROM connection_secrets ORDER BY connection_id, field",
                    "SELECT CAST(version AS TEXT) AS row FROM hitch_migrations ORDER BY version",
                    "SELECT CAST(sequence AS TEXT) || ':' || mac AS row FROM audit_events ORDER BY sequence",
                ] {
                    for row in try await database.raw("\(unsafeRaw: query)").all() { text += try row.decode(column: "row", as: String.self) + "\n" }
                }
                return SHA256.hash(data: Data(text.utf8)).description
            }
        }
    }
}
