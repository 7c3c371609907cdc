import AsyncHTTPClient
import Foundation
import HitchDomain
@testable import HitchPlatforms
import NIOCore
import NIOHTTP1
import Testing

/// Test Connection and leases for the AWS kinds against moto with its signature checking on, with the key and roles
/// of the shared `MotoAccount`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["HITCH_TEST_MOTO_URL"] != nil || ProcessInfo.processInfo.environment["CI"] == "true", "moto runs under scripts/test"))
struct STSTesterTests {
    static func value(_ tag: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(tag)>"), let end = xml.range(of: "</\(tag)>", range: start.upperBound..<xml.endIndex) else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    /// Against the shared moto account, with moto checking every signature.
    @Test func accessKeyAndRolesAgainstMoto() async throws {
        let account = try await MotoAccount.shared.fixture()
        // moto speaks plain HTTP on loopback: the developer setting of a server, here bound by hand.
        try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) { try await againstMoto(account) }
    }

    private func againstMoto(_ account: MotoAccount.Fixture) async throws {
        let moto = account.url
        let keyId = account.accessKeyId
        let secret = account.secretAccessKey
        let roleName = account.externalRoleName

        func target(secret: String, account: String = "123456789012") -> AWSAccessKeyTarget {
            AWSAccessKeyTarget(
                accountId: account, credentials: .init(accessKeyId: keyId, secretAccessKey: SecretValue(secret)),
                region: "eu-west-1", stsEndpoint: moto)
        }
        let passed = await STSTester.testAccessKey(target(secret: secret))
        #expect(passed.passed, "\(passed)")
        #expect(passed.stages.map(\.stage) == TestStage.direct)

        let wrongSecret = await STSTester.testAccessKey(target(secret: String(secret.reversed())))
        #expect(wrongSecret.failedStage?.failure == .authFailed, "\(wrongSecret)")
        #expect(wrongSecret.failedStage?.message.contains("SignatureDoesNotMatch") == true)

        let wrongAccount = await STSTester.testAccessKey(target(secret: secret, account: "210987654321"))
        #expect(wrongAccount.failedStage?.stage == .objects && wrongAccount.failedStage?.failure == .notFound)
        for report in [passed, wrongSecret, wrongAccount] { #expect(!"\(report)".contains(secret)) }

        func role(externalId: String?) -> AWSAssumeRoleTarget {
            AWSAssumeRoleTarget(
                roleArn: "arn:aws:iam::123456789012:role/\(roleName)", sessionName: "hitch", externalId: externalId.map(SecretValue.init),
                region: "eu-west-1", via: .init(accessKeyId: keyId, secretAccessKey: SecretValue(secret)), stsEndpoint: moto)
        }
        let assumed = await STSTester.testAssumeRole(role(externalId: "hitch-external-42"))
        #expect(assumed.passed, "\(assumed)")
        let wrongExternal = await STSTester.testAssumeRole(role(externalId: "not-the-external-id"))
        #expect(wrongExternal.failedStage?.failure == .insufficientPrivileges, "\(wrongExternal)")
        #expect(!"\(wrongExternal)".contains("not-the-external-id"))

        // Leases: temporary credentials that moto, checking every signature, accepts as the user and as the role.
        // GetSessionToken is signed with the stored key, which moto checks; moto 5.2 does not register the session
        // credentials it hands out (its GetSessionToken makes a token it cannot check later), so their own use is
        // checked against the assumed role's below, which moto does register.
        let session = try await STSLease.sessionToken(target(secret: secret), seconds: 900)
        #expect(session.accessKeyId != keyId && session.expiration > Date() && !session.sessionToken.exposedValue.isEmpty)
        await #expect(throws: PlatformSessionError.self, "a wrong stored key gets no lease") {
            _ = try await STSLease.sessionToken(target(secret: String(secret.reversed())), seconds: 900)
        }
        let clamped = try await STSLease.assumeRole(role(externalId: "hitch-external-42"), seconds: 43_200)
        #expect(clamped.note?.contains("3600") == true, "the duration was clamped to AssumeRole's bound")
        let asRole = try await STSTester.query(
            "Action=GetCallerIdentity&Version=2011-06-15", endpoint: moto,
            credentials: .init(accessKeyId: clamped.accessKeyId, secretAccessKey: clamped.secretAccessKey, sessionToken: clamped.sessionToken),
            region: "eu-west-1", service: "sts")
        #expect(Self.value("Arn", in: asRole)?.contains(":assumed-role/\(roleName)/") == true, "\(asRole)")
        await #expect(throws: PlatformSessionError.self) {
            _ = try await STSLease.assumeRole(role(externalId: "not-the-external-id"), seconds: 900)
        }
    }
}

enum FormValue {
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }
}

/// STS's default host by region: `.amazonaws.com.cn` in the China regions.
@Suite struct STSEndpointTests {
    @Test func chinaRegionsUseTheirOwnDomain() {
        #expect(STSTester.defaultEndpoint(region: "cn-north-1").absoluteString == "https://sts.cn-north-1.amazonaws.com.cn")
        #expect(STSTester.defaultEndpoint(region: "eu-west-1").absoluteString == "https://sts.eu-west-1.amazonaws.com")
    }
}
