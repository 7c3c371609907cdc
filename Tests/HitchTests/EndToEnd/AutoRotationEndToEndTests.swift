import Foundation
import HitchDomain
@testable import HitchPlatforms
import HitchServices
import HitchStorage
import SQLKit
import Testing

/// `--auto-rotate` on an aws-access-key connection that comes due, with two servers on one PostgreSQL looking for due
/// rotations every second: the key is rotated on AWS exactly once (one rotation event by Hitch itself, no failed one,
/// the old key refused by AWS), and the connection moves to credential version 2. A kind Hitch cannot rotate on its
/// platform is refused `--auto-rotate`.
@Suite(.enabled(if: MotoAccount.url != nil, "moto runs under scripts/test"))
struct AutoRotationEndToEndTests {
    @Test(arguments: TestBackend.all.filter { $0 == .postgres })
    func aDueConnectionIsRotatedOnceAcrossTwoServers(backend: TestBackend) async throws {
        let moto = try #require(MotoAccount.url)
        let user = try await MotoAccount.shared.takeKeyUser()
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            var base = CanaryEndToEndTests.baseEnvironment
            base["HITCH_ALLOW_LOOPBACK_HTTP"] = "1"
            base["HITCH_AUTO_ROTATE_SECONDS"] = "1"
            let first = try await SignedInServer(configuration, environment: base)
            defer { first.server.stop() }
            var secondBase = base
            secondBase["HITCH_MASTER_KEY"] = try String(contentsOfFile: configuration.dataDirectory + "/master.key", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let second = try await ServerProcess(
                arguments: ["--data-dir", configuration.dataDirectory + "-2", "--database-url", try #require(configuration.databaseURL)],
                environment: secondBase, logPath: configuration.dataDirectory + "-2.log")
            defer { second.stop() }

            let cli = CLIRecorder()
            let admin = first.environment
            try await cli.run(
                ["connection", "create", "aws-access-key", "aws-auto", "--account-id", "123456789012", "--access-key-id", user.accessKeyId,
                 "--secret-access-key-stdin", "--region", "eu-west-1", "--sts-endpoint", moto.absoluteString, "--max-secret-age", "1",
                 "--auto-rotate"],
                as: admin, stdin: user.secretAccessKey, expect: 0)
            let refused = try await cli.run(
                ["connection", "create", "vsphere", "vc-auto", "--vcenter", "vc01.corp.example", "--username", "svc", "--password-stdin",
                 "--auto-rotate"],
                as: admin, stdin: "CANARYautoVc-2", expect: 2)
            #expect(refused.stderr.contains("autoRotate"), "\(refused.output)")

            // Two days pass for the credential: it is due now, on both servers.
            let past = Int64(Date().addingTimeInterval(-2 * 86_400).timeIntervalSince1970 * 1000)
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { backend in
                try await backend.transaction(logger: TestBackend.logger) { database in
                    try await database.raw("UPDATE connections SET credential_created_at = \(bind: past) WHERE name = 'aws-auto'").run()
                }
            }

            var version = 1
            for _ in 0..<120 where version == 1 {
                try await Task.sleep(for: .milliseconds(250))
                let shown = try await cli.run(["connection", "show", "aws-auto", "-o", "json"], as: admin, expect: 0).stdout
                version = (try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])?["credentialVersion"] as? Int ?? 1
            }
            #expect(version == 2, "the due connection was rotated")
            try await Task.sleep(for: .seconds(3))
            let shown = try await cli.run(["connection", "show", "aws-auto", "-o", "json"], as: admin, expect: 0).stdout
            let connection = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
            #expect(connection["credentialVersion"] as? Int == 2 && connection["autoRotate"] as? Bool == true)
            #expect(connection["autoRotationFailures"] == nil, "\(shown)")

            let events = try await cli.run(["audit", "list", "--connection", "aws-auto", "--action", "connection.rotate", "-o", "json"], as: admin, expect: 0).stdout
            let page = try JSONSerialization.jsonObject(with: Data(events.utf8)) as? [String: Any]
            let rotations = (page?["events"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "connection.rotate" }
            #expect(rotations.count == 1 && rotations.first?["outcome"] as? String == "ok", "\(events)")
            #expect((rotations.first?["actor"] as? [String: Any])?["name"] as? String == "hitch")

            let fields = try #require(connection["fields"] as? [String: Any])
            let newKey = try #require(fields["accessKeyId"] as? String)
            await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
                let old = AWSKeyRotationTests.target(user, url: moto)
                #expect(await STSTester.testAccessKey(old).failedStage?.failure == .authFailed, "the old key is gone")
            }
            #expect(newKey != user.accessKeyId)
        }
    }
}
