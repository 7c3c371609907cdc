import Foundation
import HitchAudit
import HitchDomain
@testable import HitchPlatforms
@testable import HitchSecrets
@testable import HitchServices
import HitchStorage
import Testing

/// The keyring sealed by a key in AWS KMS (moto, checking every signature): a database starts with a KMS key, moves
/// from the file to KMS and back by rekey, and a wrong key id or wrong credentials refuse the start with nothing
/// changed. Both backends.
@Suite(.serialized) struct KMSKeyEncryptionKeyTests {
    @Test(arguments: TestBackend.all)
    func theKeyringMovesFromTheFileToKMSAndBack(backend: TestBackend) async throws {
        let fixture = try await MotoAccount.shared.fixture()
        let keyArn = try await MotoAccount.createKMSKey(fixture)
        let aws = [
            "AWS_ACCESS_KEY_ID": fixture.accessKeyId, "AWS_SECRET_ACCESS_KEY": fixture.secretAccessKey, "AWS_REGION": "us-east-1",
        ]
        let kmsSettings = ["HITCH_KMS_KEY_ID": keyArn, "HITCH_KMS_ENDPOINT": fixture.url.absoluteString]
        try await backend.withConfiguration(environment: TestBackend.environment.merging(aws) { $1 }) { fileConfiguration in
            let kmsConfiguration = Self.with(fileConfiguration, kmsSettings)
            // Made with the file key, then sealed under KMS.
            try await Self.run(fileConfiguration) { runtime in
                _ = try await runtime.connections.create(try KeyringStartupTests.request("kept"), by: KeyTestActor.admin, logger: TestBackend.logger)
                let kms = try KEKSource.kms(keyId: keyArn, endpoint: fixture.url.absoluteString, environment: fileConfiguration.environment)
                #expect(try await runtime.keyService.rekey(to: kms, by: KeyTestActor.admin, logger: TestBackend.logger) == 2)
            }
            // Started (twice) by the KMS key; a rotation seals the new version under it.
            for round in 0..<2 {
                try await Self.run(kmsConfiguration) { runtime in
                    try await Self.expectKept(runtime)
                    let status = try await runtime.keyService.status(logger: TestBackend.logger)
                    #expect(status.sealedBy == ["aws-kms:\(keyArn)"] && status.kekIdentity == "aws-kms:\(keyArn)")
                    if round == 0 { _ = try await runtime.keyService.rotate(by: KeyTestActor.admin, logger: TestBackend.logger) }
                }
            }

            // A key id that is not the keyring's, or credentials KMS does not take: refused, nothing changed.
            let before = try await KeyTestDatabase.digest(fileConfiguration)
            let wrongKey = Self.with(kmsConfiguration, ["HITCH_KMS_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"])
            let wrongCredentials = Self.with(kmsConfiguration, ["AWS_SECRET_ACCESS_KEY": "not-the-secret-0000000000000000000000000"])
            for (configuration, expected) in [(wrongKey, SecretsError.Code.keyMismatch), (wrongCredentials, .kekUnavailable)] {
                do {
                    try await StartupTests.start(configuration)
                    Issue.record("a start with the wrong KMS key or credentials was not refused")
                } catch let error as SecretsError {
                    #expect(error.code == expected, "\(error.message)")
                    #expect(!error.message.contains(fixture.secretAccessKey))
                }
                #expect(try await KeyTestDatabase.digest(fileConfiguration) == before)
            }

            // Back to the file's key.
            let fileKey = try LocalKEKLoader(environment: [:], dataDirectory: fileConfiguration.dataDirectory).load(mayCreate: false).0
            try await Self.run(kmsConfiguration) { runtime in
                let resealed = try await runtime.keyService.rekey(to: fileKey, by: KeyTestActor.admin, logger: TestBackend.logger)
                #expect(resealed == 3)
            }
            try await Self.run(fileConfiguration) { runtime in
                try await Self.expectKept(runtime)
                #expect(try await runtime.auditLog.verify(logger: TestBackend.logger).isIntact)
                let rekeys = try await runtime.auditLog.list(AuditFilter(action: "key.rekey"), before: nil, limit: 10, logger: TestBackend.logger)
                #expect(rekeys.events.count == 2)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aNewDatabaseStartsWithAKMSKeyAndWritesNoKeyFile(backend: TestBackend) async throws {
        let fixture = try await MotoAccount.shared.fixture()
        let keyArn = try await MotoAccount.createKMSKey(fixture)
        let environment = TestBackend.environment.merging([
            "AWS_ACCESS_KEY_ID": fixture.accessKeyId, "AWS_SECRET_ACCESS_KEY": fixture.secretAccessKey,
            "HITCH_KMS_KEY_ID": keyArn, "HITCH_KMS_ENDPOINT": fixture.url.absoluteString,
        ]) { $1 }
        try await backend.withConfiguration(environment: environment) { configuration in
            try await Self.run(configuration) { runtime in
                _ = try await runtime.connections.create(try KeyringStartupTests.request("kept"), by: KeyTestActor.admin, logger: TestBackend.logger)
            }
            try await Self.run(configuration) { runtime in try await Self.expectKept(runtime) }
            #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + "/master.key"))
        }
    }

    static func with(_ configuration: HitchConfiguration, _ values: [String: String]) -> HitchConfiguration {
        var changed = configuration
        changed.environment.merge(values) { $1 }
        return changed
    }

    static func run(_ configuration: HitchConfiguration, _ body: @Sendable (HitchRuntime) async throws -> Void) async throws {
        try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
            let runtime = try await HitchRuntime.start(backend: sql, configuration: configuration, logger: TestBackend.logger)
            try await body(runtime)
            await runtime.shutDownJobs()
        }
    }

    static func expectKept(_ runtime: HitchRuntime) async throws {
        let record = try await runtime.connections.get(name: "kept", logger: TestBackend.logger)
        #expect(try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)["password"]?.exposedValue == "canary-kept")
    }
}
