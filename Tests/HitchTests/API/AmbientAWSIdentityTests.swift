import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServices
import Hummingbird
import NIOCore
import Testing

/// Role connections without a `via` key use the server's own AWS identity, only where the server allows it, from
/// the standard environment: variables, the shared credentials file, a web identity token file. Against moto with
/// signature checking on, on both backends.
@Suite(.enabled(if: MotoAccount.url != nil, "moto runs under scripts/test"))
struct AmbientAWSIdentityTests {
    static func role(_ name: String, _ account: MotoAccount.Fixture) -> [String: Any] {
        ["kind": "aws-assume-role", "name": name, "fields": ["roleArn": account.roleArn(account.plainRoleName), "region": "eu-west-1"]]
    }

    @Test(arguments: TestBackend.all)
    func theServersOwnIdentityAssumesTheRole(backend: TestBackend) async throws {
        let account = try await MotoAccount.shared.fixture()
        // Not allowed: the role needs a via key.
        try await withAPI(backend) { client, _ in
            let refused = try await client.call(.post, "/v1/connections", json: Self.role("aws-deploy-prod", account))
            #expect(refused.status == .badRequest && refused.text.contains("HITCH_AWS_AMBIENT_IDENTITY"), "\(refused.text)")
        }
        let variables = TestBackend.environment.merging([
            "HITCH_AWS_AMBIENT_IDENTITY": "1", "AWS_ACCESS_KEY_ID": account.accessKeyId, "AWS_SECRET_ACCESS_KEY": account.secretAccessKey,
            "AWS_ENDPOINT_URL_STS": account.url.absoluteString, "AWS_REGION": "eu-west-1",
        ]) { $1 }
        try await withAPI(backend, environment: variables) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.role("aws-deploy-prod", account)).status == .created)
            let tested = try await client.call(.post, "/v1/connections/aws-deploy-prod/test", json: [String: Any]())
            #expect(tested.json["passed"] as? Bool == true, "\(tested.text)")
            let consumer = try await TestIdentities.token(role: "consumer", in: runtime).token
            let issued = try await client.call(.post, "/v1/connections/aws-deploy-prod/leases", json: [String: Any](), token: consumer)
            let credentials = try #require(issued.json["credentials"] as? [String: Any], "\(issued.text)")
            let identity = try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
                try await STSTester.query(
                    "Action=GetCallerIdentity&Version=2011-06-15", endpoint: account.url,
                    credentials: .init(
                        accessKeyId: try #require(credentials["accessKeyId"] as? String),
                        secretAccessKey: SecretValue(try #require(credentials["secretAccessKey"] as? String)),
                        sessionToken: SecretValue(try #require(credentials["sessionToken"] as? String))),
                    region: "eu-west-1", service: "sts")
            }
            #expect(STSTesterTests.value("Arn", in: identity)?.contains(":assumed-role/\(account.plainRoleName)/") == true, "\(identity)")
            #expect(!issued.text.contains(account.secretAccessKey), "never the server's own key")
        }

        // The shared credentials file, by profile.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/credentials"
        try "[default]\naws_access_key_id = AKIANOTTHEONE0000001\naws_secret_access_key = wrong\n\n[hitch]\naws_access_key_id = \(account.accessKeyId)\naws_secret_access_key = \(account.secretAccessKey)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let shared = TestBackend.environment.merging([
            "HITCH_AWS_AMBIENT_IDENTITY": "1", "AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "hitch",
            "AWS_ENDPOINT_URL_STS": account.url.absoluteString, "AWS_REGION": "eu-west-1",
        ]) { $1 }
        try await withAPI(backend, environment: shared) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Self.role("aws-deploy-dev", account)).status == .created)
            let tested = try await client.call(.post, "/v1/connections/aws-deploy-dev/test", json: [String: Any]())
            #expect(tested.json["passed"] as? Bool == true, "\(tested.text)")
        }
    }

    /// STS's AssumeRoleWithWebIdentity, as a local server shaped like it checks it: unsigned, with the role and the
    /// token from the file. (moto checks a signature on every call once its checking is on, which STS does not ask
    /// of this one.)
    static var webIdentitySTS: Router<BasicRequestContext> {
        let router = Router()
        router.post("/") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let form = FormFields.dictionary(body)
            guard request.headers[.authorization] == nil, form["Action"] == "AssumeRoleWithWebIdentity",
                form["RoleArn"] == "arn:aws:iam::123456789012:role/eks-hitch", form["WebIdentityToken"] == "eyJhbGciOiJSUzI1NiJ9.e30.web-identity-test"
            else { return IAMPreflightTests.xml(.forbidden, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>") }
            return IAMPreflightTests.xml(.ok, """
                <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
                <AccessKeyId>ASIAWEBIDENTITY00001</AccessKeyId><SecretAccessKey>web-identity-secret</SecretAccessKey>
                <SessionToken>web-identity-session</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>
                </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
                """)
        }
        return router
    }

    @Test func theWebIdentityTokenFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "eyJhbGciOiJSUzI1NiJ9.e30.web-identity-test\n".write(toFile: directory.path + "/token", atomically: true, encoding: .utf8)
        try await LocalTLSServer.run(Self.webIdentitySTS, plainHTTP: true) { server in
            let identity = AmbientAWSIdentity(environment: [
                "AWS_WEB_IDENTITY_TOKEN_FILE": directory.path + "/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/eks-hitch",
                "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:\(server.port)", "AWS_REGION": "eu-west-1", "HOME": directory.path,
            ])
            let via = try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) { try await identity.via() }
            #expect(via.fields["accessKeyId"] == .string("ASIAWEBIDENTITY00001") && via.secrets["sessionToken"]?.exposedValue == "web-identity-session")
        }
        #expect(AmbientAWSIdentity.profile("x", in: directory.path + "/missing") == nil)
        await #expect(throws: AmbientAWSIdentity.Unavailable.self, "nothing in the environment") {
            _ = try await AmbientAWSIdentity(environment: ["HOME": directory.path]).via()
        }
    }
}
