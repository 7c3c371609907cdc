import Foundation
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServices
import Testing

/// `hitch connection rotate NAME --generate` against a running server and moto checking every signature: the
/// connection moves to a new credential version holding a new IAM key, Hitch's test passes with it, the IAM user
/// holds exactly that key, the old key is refused, the rotation is audited; other kinds answer why not. No secret,
/// old or new, is in any output, the server's log or its data files.
@Suite(.enabled(if: MotoAccount.url != nil, "moto runs under scripts/test"))
struct PlatformRotationEndToEndTests {
    @Test(arguments: TestBackend.all)
    func aGeneratedRotationOnAWS(backend: TestBackend) async throws {
        let moto = try #require(MotoAccount.url)
        let user = try await MotoAccount.shared.takeKeyUser()
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            var base = CanaryEndToEndTests.baseEnvironment
            base["HITCH_ALLOW_LOOPBACK_HTTP"] = "1"
            let started = try await SignedInServer(configuration, environment: base)
            defer { started.server.stop() }
            let cli = CLIRecorder()
            let admin = started.environment
            try await cli.run(
                ["connection", "create", "aws-access-key", "aws-rotated", "--account-id", "123456789012",
                 "--access-key-id", user.accessKeyId, "--secret-access-key-stdin", "--region", "eu-west-1",
                 "--sts-endpoint", moto.absoluteString, "--test"],
                as: admin, stdin: user.secretAccessKey, expect: 0)
            let viewer = try await started.environment(ofService: "rotation-viewer", role: "viewer")
            try await cli.run(["connection", "rotate", "aws-rotated", "--generate"], as: viewer, expect: 6)

            let rotated = try await cli.run(["connection", "rotate", "aws-rotated", "--generate"], as: admin, expect: 0)
            #expect(rotated.stdout.contains("credential version 2"), "\(rotated.output)")
            let shown = try await cli.run(["connection", "show", "aws-rotated", "-o", "json"], as: admin, expect: 0).stdout
            let connection = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
            let fields = try #require(connection["fields"] as? [String: Any])
            let newKeyId = try #require(fields["accessKeyId"] as? String, "\(fields)")
            #expect(newKeyId != user.accessKeyId && newKeyId.hasPrefix("AKIA"))
            #expect(connection["credentialVersion"] as? Int == 2)
            try await cli.run(["connection", "test", "aws-rotated"], as: admin, expect: 0)

            // On AWS: the user holds the new key only, and the old one is refused.
            try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
                let old = AWSKeyRotationTests.target(user, url: moto)
                let refused = await STSTester.testAccessKey(old)
                #expect(refused.failedStage?.failure == .authFailed, "\(refused)")
                // A second rotation, signed by the key Hitch holds now, leaves its own new key alone on the user.
                try await cli.run(["connection", "rotate", "aws-rotated", "--generate"], as: admin, expect: 0)
            }
            let events = try await cli.run(["audit", "list", "--connection", "aws-rotated", "-o", "json"], as: admin, expect: 0).stdout
            #expect(events.contains("generated on AWS: IAM access key") && events.contains(user.accessKeyId), "\(events)")

            try await cli.run(
                ["connection", "create", "vsphere", "vc-rotated", "--vcenter", "vc01.corp.example", "--username", "svc", "--password-stdin"],
                as: admin, stdin: "CANARYrotateVc-3", expect: 0)
            let unsupported = try await cli.run(["connection", "rotate", "vc-rotated", "--generate"], as: admin, expect: 2)
            #expect(unsupported.stderr.contains("not rotated on the platform") && unsupported.stderr.contains("connection update"), "\(unsupported.output)")

            let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
            started.server.stop()
            let everything = cli.outputs.map { Data($0.utf8) } + [Data(started.server.log.utf8)] + files.map(\.1)
            for bytes in everything {
                #expect(bytes.range(of: Data(user.secretAccessKey.utf8)) == nil, "the old secret is in an output, the log or a file")
            }
        }
    }
}
