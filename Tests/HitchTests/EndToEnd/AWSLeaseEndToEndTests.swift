import Foundation
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServices
import Testing

/// AWS leases as automation uses them, with the built `hitch` against a running server and moto checking every
/// signature: each AWS kind's lease is temporary credentials from STS, a role's sign as the assumed role, and
/// `hitch exec` runs a boto3 call with them that moto accepts, then ends the lease. Neither the stored key nor a
/// leased one is in the server's trace log or its data files.
@Suite(.enabled(if: MotoAccount.url != nil, "moto runs under scripts/test"))
struct AWSLeaseEndToEndTests {
    @Test(arguments: TestBackend.all)
    func leasesAndBoto3Exec(backend: TestBackend) async throws {
        let account = try await MotoAccount.shared.fixture()
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            var base = CanaryEndToEndTests.baseEnvironment
            base["HITCH_ALLOW_LOOPBACK_HTTP"] = "1"
            let started = try await SignedInServer(configuration, environment: base)
            let server = started.server
            defer { server.stop() }
            let cli = CLIRecorder()
            let admin = started.environment
            try await cli.run(
                ["connection", "create", "aws-access-key", "aws-key", "--account-id", account.accountId,
                 "--access-key-id", account.accessKeyId, "--secret-access-key-stdin", "--region", "eu-west-1",
                 "--sts-endpoint", account.url.absoluteString, "--tag", "team-a"],
                as: admin, stdin: account.secretAccessKey, expect: 0)
            try await cli.run(
                ["connection", "create", "aws-assume-role", "deploy", "--role-arn", account.roleArn(account.plainRoleName),
                 "--via", "aws-key", "--region", "eu-west-1", "--tag", "team-a"],
                as: admin, expect: 0)
            try await cli.run(
                ["connection", "create", "aws-cross-account", "partner", "--role-arn", account.roleArn(account.externalRoleName),
                 "--via", "aws-key", "--region", "eu-west-1", "--external-id-stdin", "--tag", "team-a"],
                as: admin, stdin: account.externalId, expect: 0)
            var engine = try await started.environment(ofService: "engine", role: "consumer", options: ["--allow-tag", "team-a"])

            var leasedSecrets: [String] = []
            for name in ["aws-key", "deploy", "partner"] {
                let issued = try await cli.run(["lease", "create", name, "--ttl", "15m", "-o", "json"], as: engine, expect: 0).stdout
                let object = try #require(try JSONSerialization.jsonObject(with: Data(issued.utf8)) as? [String: Any], "\(issued)")
                let credentials = try #require(object["credentials"] as? [String: Any])
                let keyId = try #require(credentials["accessKeyId"] as? String)
                let secret = try #require(credentials["secretAccessKey"] as? String)
                let token = try #require(credentials["sessionToken"] as? String)
                #expect(keyId != account.accessKeyId && credentials["region"] as? String == "eu-west-1", "\(name): \(issued)")
                leasedSecrets.append(secret)
                guard name != "aws-key" else { continue }
                // moto 5.2 does not register GetSessionToken's credentials, so only the roles' are used here.
                let identity = try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
                    try await STSTester.query(
                        "Action=GetCallerIdentity&Version=2011-06-15", endpoint: account.url,
                        credentials: .init(accessKeyId: keyId, secretAccessKey: SecretValue(secret), sessionToken: SecretValue(token)),
                        region: "eu-west-1", service: "sts")
                }
                let role = name == "deploy" ? account.plainRoleName : account.externalRoleName
                #expect(STSTesterTests.value("Arn", in: identity)?.contains(":assumed-role/\(role)/") == true, "\(name): \(identity)")
            }

            // boto3 reads the lease's variables, and moto's endpoint from its own setting.
            engine["AWS_ENDPOINT_URL_STS"] = account.url.absoluteString
            let boto3 = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
            let ran = try await HitchBinary.run(["exec", "deploy", "--ttl", "15m", "--", "python3", "-c", boto3], environment: engine)
            #expect(ran.status == 0 && ran.stdout.contains(":assumed-role/\(account.plainRoleName)/"), "\(ran.output)")
            let failing = try await HitchBinary.run(["exec", "deploy", "--", "python3", "-c", "raise SystemExit(5)"], environment: engine)
            #expect(failing.status == 5, "exec exits with the command's status: \(failing.output)")
            let list = try await cli.run(["lease", "list", "--connection", "deploy", "-o", "json"], as: engine, expect: 0).stdout
            let leases = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]], "\(list)")
            #expect(leases.count == 3, "\(list)")
            #expect(leases.prefix(2).allSatisfy { $0["endReason"] as? String == "revoked" }, "exec ended its leases: \(list)")

            let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
            server.stop()
            for bytes in [Data(server.log.utf8)] + files.map(\.1) {
                for value in [account.secretAccessKey] + leasedSecrets {
                    #expect(bytes.range(of: Data(value.utf8)) == nil, "a secret in the log or the data files")
                }
            }
            for output in cli.outputs { #expect(!output.contains(account.secretAccessKey)) }
        }
    }
}
