import Foundation
import Testing

/// Expiries from the platform reach `connection show -o json` and `connection list --status expiring`: the
/// certificate the vCenter simulator presents (it runs out within a day), and an AWS key's CreateDate from IAM.
@Suite(.enabled(if: VCSimPeer.isAvailable && MotoAccount.url != nil, "the simulator and moto run under scripts/test"))
struct ExpiryEndToEndTests {
    @Test(arguments: TestBackend.all)
    func expiriesFromTheCertificateAndFromIAM(backend: TestBackend) async throws {
        let peer = try #require(VCSimPeer.current, "the vCenter simulator runs under scripts/test")
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
                ["connection", "create", "vsphere", "vc-expiring", "--vcenter", peer.hostPort, "--username", peer.username,
                 "--password-stdin", "--thumbprint", peer.thumbprint, "--test"],
                as: admin, stdin: peer.password, expect: 0)
            try await cli.run(
                ["connection", "create", "aws-access-key", "aws-aged", "--account-id", "123456789012", "--access-key-id", user.accessKeyId,
                 "--secret-access-key-stdin", "--region", "eu-west-1", "--sts-endpoint", moto.absoluteString, "--test"],
                as: admin, stdin: user.secretAccessKey, expect: 0)
            try await cli.run(
                ["connection", "create", "vsphere", "vc-untested", "--vcenter", "vc01.corp.example", "--username", "svc", "--password-stdin"],
                as: admin, stdin: "CANARYexpiryPw-1", expect: 0)

            // A create's --test saves nothing on the connection; a test of the saved connection does.
            try await cli.run(["connection", "test", "vc-expiring"], as: admin, expect: 0)
            try await cli.run(["connection", "test", "aws-aged"], as: admin, expect: 0)

            func status(_ name: String) async throws -> [String: Any] {
                let shown = try await cli.run(["connection", "show", name, "-o", "json"], as: admin, expect: 0).stdout
                let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any], "\(shown)")
                return try #require(object["status"] as? [String: Any])
            }
            let vcenter = try await status("vc-expiring")
            #expect(vcenter["expiresWhat"] as? String == "TLS certificate", "\(vcenter)")
            let expiresAt = try #require((vcenter["expiresAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            #expect(expiresAt > Date() && expiresAt < Date().addingTimeInterval(3 * 86_400), "the simulator's certificate lasts a day: \(expiresAt)")
            let aws = try await status("aws-aged")
            let made = try #require((aws["platformCreatedAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }, "\(aws)")
            #expect(abs(made.timeIntervalSinceNow) < 86_400, "moto made the key today: \(made)")

            let expiring = try await cli.run(["connection", "list", "--status", "expiring"], as: admin, expect: 0).stdout
            #expect(expiring.contains("vc-expiring") && !expiring.contains("vc-untested") && !expiring.contains("aws-aged"), "\(expiring)")
            let shown = try await cli.run(["connection", "show", "vc-expiring"], as: admin, expect: 0).stdout
            #expect(shown.contains("TLS certificate expires in 0 days") || shown.contains("TLS certificate expires in 1 days"), "\(shown)")
        }
    }
}
