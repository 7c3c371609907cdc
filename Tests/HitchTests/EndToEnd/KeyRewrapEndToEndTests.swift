import Crypto
import Foundation
import HitchDomain
import HitchSecrets
@testable import HitchServices
import HitchStorage
import Testing

/// `hitch key rotate` on a running server, the server killed (SIGKILL) in the middle of the rewrap, and started
/// again: the rewrap resumes and finishes, every secret opens as it was, and the audit log verifies. Then a rekey to a
/// new key file, which leaves the key in no output, log or database file. Both backends, through the built CLI.
@Suite struct KeyRewrapEndToEndTests {
    @Test(arguments: TestBackend.all)
    func aRewrapKilledMidwayResumesAfterARestart(backend: TestBackend) async throws {
        try await backend.withConfiguration { configuration in
            var base = CanaryEndToEndTests.baseEnvironment
            // Small batches with a pause between them, so that the kill lands in the middle of the pass.
            base["HITCH_KEY_REWRAP_BATCH"] = "3"
            base["HITCH_KEY_REWRAP_PAUSE_MS"] = "200"
            let first = try await SignedInServer(configuration, environment: base)
            let cli = CLIRecorder()
            var keys: [String: String] = [:]
            for index in 0..<30 {
                let created = try await cli.run(
                    ["connection", "create", "api-key", "agent-\(index)", "--token-type", "connector", "-o", "json"],
                    as: first.environment, expect: 0)
                let saved = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
                keys["agent-\(index)"] = try #require((saved["issuedSecrets"] as? [String: String])?["key"], "\(created.stdout)")
            }
            try await cli.run(["key", "rotate"], as: first.environment, expect: 0)
            var midway: [String: Any] = [:]
            for _ in 0..<100 {
                midway = try await Self.rewrap(cli, first.environment)
                if (midway["done"] as? Int ?? 0) > 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(first.server.process.processIdentifier, SIGKILL)
            first.server.process.waitUntilExit()
            #expect((midway["done"] as? Int ?? 0) > 0 && (midway["pending"] as? Int ?? 0) > 0, "the kill did not land midway: \(midway)")

            var arguments = ["--data-dir", configuration.dataDirectory]
            if let url = configuration.databaseURL { arguments += ["--database-url", url] }
            let second = try await ServerProcess(arguments: arguments, environment: base, logPath: configuration.dataDirectory + "-2.log")
            defer { second.stop() }
            var environment = first.environment
            environment["HITCH_ADDR"] = second.address
            var finished: [String: Any] = [:]
            for _ in 0..<200 {
                finished = try await Self.rewrap(cli, environment)
                if finished["pending"] as? Int == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(finished["pending"] as? Int == 0 && finished["done"] as? Int == 30, "\(finished)")
            try await cli.run(["audit", "verify"], as: environment, expect: 0)
            try await cli.run(["key", "retire", "1"], as: environment, expect: 0)

            // A rekey to a new key file: the key goes to the server once, and into no log, output or database file.
            let newKey = LocalKEK.generate(origin: "test").base64
            let keyPath = configuration.dataDirectory + "-new.key"
            #expect(FileManager.default.createFile(atPath: keyPath, contents: Data(newKey.utf8), attributes: [.posixPermissions: 0o644]))
            try await cli.run(["key", "rekey", "--to-file", keyPath], as: environment, expect: 2)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
            try await cli.run(["key", "rekey", "--to-file", keyPath], as: environment, expect: 0)
            let status = try await cli.run(["key", "status", "-o", "json"], as: environment, expect: 0)
            #expect(status.stdout.contains(LocalKEK(key: .init(data: Data(base64Encoded: newKey)!), origin: "").identity))
            second.stop()
            for output in cli.outputs + [first.server.log, second.log] { #expect(!output.contains(newKey)) }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: configuration.dataDirectory)) ?? [] where name.hasPrefix("hitch.sqlite") {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: configuration.dataDirectory + "/" + name))
                #expect(bytes.range(of: Data(newKey.utf8)) == nil && bytes.range(of: Data(base64Encoded: newKey)!) == nil, "\(name)")
            }

            let issued = keys
            var rekeyed = configuration
            rekeyed.environment["HITCH_MASTER_KEY"] = newKey
            let restarted = rekeyed
            try await StorageRuntime.withBackend(restarted, logger: TestBackend.logger) { sql in
                let runtime = try await HitchRuntime.start(backend: sql, configuration: restarted, logger: TestBackend.logger)
                for (name, key) in issued {
                    let record = try await runtime.connections.get(name: name, logger: TestBackend.logger)
                    #expect(try await runtime.connections.secrets.open(of: record, logger: TestBackend.logger)["key"]?.exposedValue == key)
                }
            }
            for output in cli.outputs.dropFirst(30) {
                for key in keys.values { #expect(!output.contains(key)) }
            }
        }
    }

    static func rewrap(_ cli: CLIRecorder, _ environment: [String: String]) async throws -> [String: Any] {
        let status = try await cli.run(["key", "status", "-o", "json"], as: environment, expect: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        return try #require(object["rewrap"] as? [String: Any])
    }
}
