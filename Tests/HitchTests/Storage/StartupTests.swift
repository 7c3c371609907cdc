import Crypto
import Foundation
import HitchDomain
import HitchSecrets
import HitchServices
import HitchStorage
import SQLKit
import Testing

/// Start-up: the key check, a wrong key refused with nothing changed, the bootstrap admin.
@Suite struct StartupTests {
    @Test(arguments: TestBackend.all)
    func aWrongMasterKeyIsRefusedAndNothingChanges(backend: TestBackend) async throws {
        try await backend.withConfiguration { configuration in
            try await Self.start(configuration)
            let keyPath = configuration.dataDirectory + "/master.key"
            let before = try Self.snapshot(configuration)
            try FileManager.default.removeItem(atPath: keyPath)
            _ = FileManager.default.createFile(
                atPath: keyPath, contents: Data(Data(repeating: 9, count: 32).base64EncodedString().utf8),
                attributes: [.posixPermissions: 0o600])
            let wrongKeyFile = try Data(contentsOf: URL(fileURLWithPath: keyPath))
            await #expect(throws: SecretsError.self) {
                try await Self.start(configuration)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)) == wrongKeyFile)
            #expect(try Self.snapshot(configuration)["hitch.sqlite"] == before["hitch.sqlite"])
        }
    }

    @Test(arguments: TestBackend.all)
    func aMissingKeyFileIsNotRecreatedForAnExistingDatabase(backend: TestBackend) async throws {
        try await backend.withConfiguration { configuration in
            try await Self.start(configuration)
            let keyPath = configuration.dataDirectory + "/master.key"
            try FileManager.default.removeItem(atPath: keyPath)
            await #expect(throws: SecretsError.self) {
                try await Self.start(configuration)
            }
            #expect(!FileManager.default.fileExists(atPath: keyPath))
        }
    }

    @Test(arguments: TestBackend.all)
    func theRightKeyStartsAgain(backend: TestBackend) async throws {
        try await backend.withConfiguration { configuration in
            for _ in 0..<2 {
                try await Self.start(configuration)
            }
            let tokenPath = configuration.dataDirectory + "/bootstrap-token"
            let mode = try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test(arguments: TestBackend.all)
    func theEnvironmentKeyIsNeverWrittenToDisk(backend: TestBackend) async throws {
        let key = Data(repeating: 5, count: 32).base64EncodedString()
        try await backend.withConfiguration(environment: ["HITCH_MASTER_KEY": key]) { configuration in
            try await Self.start(configuration)
            #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + "/master.key"))
        }
    }

    @Test func sqliteIsDurable() async throws {
        try await TestBackend.sqlite.withBackend { sql, _ in
            let modes = try await sql.read(logger: TestBackend.logger) { database in
                let journal = try await database.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
                let synchronous = try await database.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                return (journal, synchronous)
            }
            #expect(modes.0 == "wal")
            #expect(modes.1 == 2)  // FULL
        }
    }

    /// Starts a runtime on the configuration's database, as `hitch serve` does, and closes it again.
    static func start(_ configuration: HitchConfiguration) async throws {
        try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
            _ = try await HitchRuntime.start(backend: sql, configuration: configuration, logger: TestBackend.logger)
        }
    }

    /// SHA-256 of each file in the data directory.
    static func snapshot(_ configuration: HitchConfiguration) throws -> [String: String] {
        var hashes: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: configuration.dataDirectory) {
            let data = try Data(contentsOf: URL(fileURLWithPath: configuration.dataDirectory + "/" + name))
            hashes[name] = SHA256.hash(data: data).description
        }
        return hashes
    }
}

@Suite struct DataDirectoryLockTests {
    @Test func aSecondServerOnTheSameSQLiteDataIsRefused() async throws {
        try await TestBackend.sqlite.withConfiguration { configuration in
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { _ in
                await #expect(throws: HitchError.self) {
                    try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { _ in }
                }
            }
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { _ in }
        }
    }
}

@Suite struct DatabaseURLTests {
    @Test func aBadURLIsRefusedWithoutRepeatingIt() throws {
        let url = "postgres://hitch:CANARYdbPassword@127.0.0.1:5432/hitch?sslmode=sometimes"
        do {
            _ = try PostgresBackend(url: url, logger: TestBackend.logger)
            Issue.record("a URL with an unknown sslmode was accepted")
        } catch {
            #expect(!String(describing: error).contains("CANARY"))
            #expect(!String(reflecting: error).contains("CANARY"))
        }
    }
}
