import AsyncHTTPClient
import Foundation
import HitchDomain
@testable import HitchPlatforms
import HitchServices
import NIOCore
import NIOHTTP1
import Testing

/// The IAM that the AWS tests share in moto, made once per test process: a user with an access key allowed to call
/// `sts:AssumeRole` and `sts:GetSessionToken`, a role that trusts it with an external ID, and one that trusts it
/// plainly. moto's signature checking is global to the server, so it is turned off while this is made and on for
/// good afterwards; every test then signs with real keys, and no test turns it off under another.
actor MotoAccount {
    struct Fixture: Sendable {
        let url: URL
        let userName: String
        let accessKeyId: String
        let secretAccessKey: String
        /// Trusts the user when it presents `externalId`.
        let externalRoleName: String
        /// Trusts the user plainly.
        let plainRoleName: String
        let externalId = "hitch-external-42"
        let accountId = "123456789012"
        /// IAM users whose key may manage the user's own keys, one for each test that rotates (`takeKeyUser`).
        let keyUsers: [KeyUser]

        func roleArn(_ name: String) -> String { "arn:aws:iam::\(accountId):role/\(name)" }
    }

    /// An IAM user with one access key, allowed to read and change its own keys.
    struct KeyUser: Sendable {
        let userName: String
        let accessKeyId: String
        let secretAccessKey: String
    }

    static let shared = MotoAccount()
    private var making: Task<Fixture, any Error>?
    private var keyUsersTaken = 0

    /// A key user no other test has; each rotates its keys freely.
    func takeKeyUser() async throws -> KeyUser {
        let users = try await fixture().keyUsers
        try #require(keyUsersTaken < users.count, "MotoAccount makes \(users.count) key users; make more")
        keyUsersTaken += 1
        return users[keyUsersTaken - 1]
    }

    static var url: URL? { ProcessInfo.processInfo.environment["HITCH_TEST_MOTO_URL"].flatMap(URL.init(string:)) }

    func fixture() async throws -> Fixture {
        if let making { return try await making.value }
        let task = Task { try await Self.make() }
        making = task
        return try await task.value
    }

    private static func make() async throws -> Fixture {
        let moto = try #require(url, "moto runs under scripts/test")
        // moto speaks plain HTTP on loopback: the developer setting of a server, here bound by hand.
        return try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
            try await checkSignatures(after: "inf", moto: moto)
            let setup = SigV4Signer.Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: SecretValue("setup-only"))
            func iam(_ query: String) async throws -> String {
                try await STSTester.query(query + "&Version=2010-05-08", endpoint: moto, credentials: setup, region: "us-east-1", service: "iam")
            }
            let user = "hitch-test-\(UUID().uuidString.prefix(8).lowercased())"
            _ = try await iam("Action=CreateUser&UserName=\(user)")
            let created = try await iam("Action=CreateAccessKey&UserName=\(user)")
            let keyId = try #require(STSTesterTests.value("AccessKeyId", in: created))
            let secret = try #require(STSTesterTests.value("SecretAccessKey", in: created))
            let allow = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:GetSessionToken","sts:GetCallerIdentity","kms:CreateKey","kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}"#
            // moto evaluates attached managed policies (not inline ones) once its checking is on.
            let policy = try await iam("Action=CreatePolicy&PolicyName=assume-\(user)&PolicyDocument=\(FormValue.escape(allow))")
            let policyArn = try #require(STSTesterTests.value("Arn", in: policy))
            _ = try await iam("Action=AttachUserPolicy&UserName=\(user)&PolicyArn=\(FormValue.escape(policyArn))")
            let principal = #""Principal":{"AWS":"arn:aws:iam::123456789012:user/\#(user)"},"Action":"sts:AssumeRole""#
            let external = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",\#(principal),"Condition":{"StringEquals":{"sts:ExternalId":"hitch-external-42"}}}]}"#
            let plain = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",\#(principal)}]}"#
            for (name, trust) in [("partner-\(user)", external), ("deploy-\(user)", plain)] {
                _ = try await iam("Action=CreateRole&RoleName=\(name)&AssumeRolePolicyDocument=\(FormValue.escape(trust))")
            }
            let ownKeys = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys","iam:CreateAccessKey","iam:DeleteAccessKey","sts:GetCallerIdentity"],"Resource":"*"}]}"#
            let ownKeysPolicy = try await iam("Action=CreatePolicy&PolicyName=own-keys-\(user)&PolicyDocument=\(FormValue.escape(ownKeys))")
            let ownKeysArn = try #require(STSTesterTests.value("Arn", in: ownKeysPolicy))
            var keyUsers: [KeyUser] = []
            for index in 1...12 {
                let name = "\(user)-keys-\(index)"
                _ = try await iam("Action=CreateUser&UserName=\(name)")
                _ = try await iam("Action=AttachUserPolicy&UserName=\(name)&PolicyArn=\(FormValue.escape(ownKeysArn))")
                let key = try await iam("Action=CreateAccessKey&UserName=\(name)")
                keyUsers.append(KeyUser(
                    userName: name, accessKeyId: try #require(STSTesterTests.value("AccessKeyId", in: key)),
                    secretAccessKey: try #require(STSTesterTests.value("SecretAccessKey", in: key))))
            }
            try await checkSignatures(after: "0", moto: moto)
            return Fixture(
                url: moto, userName: user, accessKeyId: keyId, secretAccessKey: secret,
                externalRoleName: "partner-\(user)", plainRoleName: "deploy-\(user)", keyUsers: keyUsers)
        }
    }

    /// moto checks every request's signature after the first `count` (`inf`: none, `0`: all from now).
    private static func checkSignatures(after count: String, moto: URL) async throws {
        var reset = HTTPClientRequest(url: moto.absoluteString + "/moto-api/reset-auth")
        reset.method = .POST
        reset.headers.add(name: "Content-Type", value: "text/plain")
        reset.body = .bytes(ByteBuffer(string: count))
        let answer = try await HTTPClient.shared.execute(reset, timeout: .seconds(10))
        try #require(answer.status == .ok, "moto's reset-auth answered \(answer.status)")
    }

    /// A new symmetric KMS key, made with the fixture user's signed request; its ARN.
    static func createKMSKey(_ fixture: Fixture) async throws -> String {
        let answer = try await kms("CreateKey", ["Description": "hitch test key-encryption key"], fixture: fixture)
        let metadata = try #require(answer["KeyMetadata"] as? [String: Any], "\(answer)")
        return try #require(metadata["Arn"] as? String)
    }

    /// One call of moto's KMS JSON API, signed as the fixture user.
    static func kms(_ action: String, _ body: [String: Any], fixture: Fixture) async throws -> [String: Any] {
        let payload = try JSONSerialization.data(withJSONObject: body)
        let host = "\(fixture.url.host!):\(fixture.url.port!)"
        let headers = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.\(action)")]
        let credentials = SigV4Signer.Credentials(accessKeyId: fixture.accessKeyId, secretAccessKey: SecretValue(fixture.secretAccessKey))
        let signed = SigV4Signer(credentials: credentials, region: "us-east-1", service: "kms").sign(
            method: "POST", host: host, path: "/", query: "", headers: headers, body: Array(payload), at: Date())
        var request = HTTPClientRequest(url: fixture.url.absoluteString + "/")
        request.method = .POST
        for (name, value) in headers + signed { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let answer = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        try #require(response.status == .ok, "moto KMS \(action) answered \(response.status): \(answer)")
        return answer
    }
}
