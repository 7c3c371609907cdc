import Crypto
import Foundation
import HitchAudit
import HitchDomain
import HitchSecrets
@testable import HitchServices
import HitchStorage
import Testing

/// `hitch backup` while four clients write, then `hitch restore` into a new data directory: every connection
/// acknowledged before the backup began is there, every secret opens, the audit log verifies. A restore with the
/// wrong key changes nothing. On PostgreSQL the server names pg_dump instead.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct BackupEndToEndTests {
    @Test func aSnapshotTakenUnderWritesRestoresWhatWasAcknowledged() async throws {
        let peer = try VCSimPeer.required()
        try await TestBackend.sqlite.withConfiguration { configuration in
            let server = try await SignedInServer(configuration)
            defer { server.server.stop() }
            let token = try #require(server.environment["HITCH_TOKEN"])
            let ledger = Ledger()
            let load = Load(address: server.server.address, token: token, peer: peer, ledger: ledger, round: 0)
            let clients = Task { await load.run(clients: 4) }
            await ledger.waitForAcknowledged(atLeast: 20)
            let before = await ledger.acknowledged
            let snapshot = configuration.dataDirectory + "-snapshot.sqlite"
            let taken = try await HitchBinary.run(["backup", "--output", snapshot], environment: server.environment)
            #expect(taken.status == 0, "\(taken.output)")
            let mode = try FileManager.default.attributesOfItem(atPath: snapshot)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            clients.cancel()
            server.server.stop()
            await clients.value
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: configuration.dataDirectory).filter { $0.hasPrefix("backup-") }
            #expect(leftovers.isEmpty, "the server's copy is removed once sent: \(leftovers)")

            // Into a new data directory that holds only the key.
            let restored = HitchConfiguration(dataDirectory: configuration.dataDirectory + "-restored", port: 0, environment: [:])
            try FileManager.default.createDirectory(atPath: restored.dataDirectory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: configuration.dataDirectory + "/master.key", toPath: restored.dataDirectory + "/master.key")
            var wrong = CanaryEndToEndTests.baseEnvironment
            wrong["HITCH_MASTER_KEY"] = LocalKEK.generate(origin: "test").base64
            let refused = try await HitchBinary.run(["restore", snapshot, "--data-dir", restored.dataDirectory], environment: wrong)
            #expect(refused.status != 0 && refused.output.contains("nothing was replaced"), "\(refused.output)")
            // Nothing but the (empty) lock file that keeps a server off the directory meanwhile.
            #expect(try FileManager.default.contentsOfDirectory(atPath: restored.dataDirectory).filter { $0 != "hitch.lock" } == ["master.key"])
            let done = try await HitchBinary.run(["restore", snapshot, "--data-dir", restored.dataDirectory], environment: CanaryEndToEndTests.baseEnvironment)
            #expect(done.status == 0, "\(done.output)")

            try await StorageRuntime.withBackend(restored, logger: TestBackend.logger) { sql in
                let runtime = try await HitchRuntime.start(backend: sql, configuration: restored, logger: TestBackend.logger)
                for (name, version) in before {
                    let record = try await runtime.connections.get(name: name, logger: TestBackend.logger)
                    #expect(record.credentialVersion >= version, "\(name)")
                    #expect(try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)["password"]?.exposedValue == peer.password)
                }
                #expect(try await runtime.auditLog.verify(logger: TestBackend.logger).isIntact)
            }
            try? FileManager.default.removeItem(atPath: restored.dataDirectory)
            try? FileManager.default.removeItem(atPath: snapshot)
        }
    }

    @Test(arguments: TestBackend.all.filter { $0 == .postgres })
    func onPostgreSQLTheServerNamesPgDump(backend: TestBackend) async throws {
        try await backend.withConfiguration { configuration in
            let server = try await SignedInServer(configuration)
            defer { server.server.stop() }
            let answer = try await HitchBinary.run(["backup", "--output", configuration.dataDirectory + "-pg.sqlite"], environment: server.environment)
            #expect(answer.status == 4 && answer.output.contains("pg_dump"), "\(answer.output)")
            #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + "-pg.sqlite"))
        }
    }
}
