import Foundation
import HitchDomain
@testable import HitchPlatforms
import Testing

/// The platform half of a generated aws-access-key rotation, against moto checking every signature: the happy path
/// leaves exactly the new key on the user and the old one refused; a failure after CreateAccessKey leaves the old
/// key alone and the new one deleted; a user with two keys is refused before anything is made.
@Suite(.enabled(if: MotoAccount.url != nil, "moto runs under scripts/test"))
struct AWSKeyRotationTests {
    static func target(_ user: MotoAccount.KeyUser, url: URL) -> AWSAccessKeyTarget {
        AWSAccessKeyTarget(
            accountId: "123456789012",
            credentials: .init(accessKeyId: user.accessKeyId, secretAccessKey: SecretValue(user.secretAccessKey)),
            region: "eu-west-1", stsEndpoint: url)
    }

    static func keys(of user: String, signedBy target: AWSAccessKeyTarget) async throws -> [String] {
        try await IAMAccessKeys(target).list(userName: user).map(\.accessKeyId)
    }

    @Test func aRotationLeavesOnlyTheNewKey() async throws {
        let moto = try #require(MotoAccount.url)
        let user = try await MotoAccount.shared.takeKeyUser()
        let old = Self.target(user, url: moto)
        try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
            let prepared = try await AWSKeyRotation.prepare(old)
            #expect(prepared.userName == user.userName && prepared.oldAccessKeyId == user.accessKeyId)
            #expect(prepared.new.accessKeyId != user.accessKeyId)
            try await AWSKeyRotation.finish(prepared, target: old)
            let new = prepared.target(from: old)
            #expect(try await Self.keys(of: user.userName, signedBy: new) == [prepared.new.accessKeyId])
            #expect(await STSTester.testAccessKey(new).passed)
            let refused = await STSTester.testAccessKey(old)
            #expect(refused.failedStage?.failure == .authFailed, "the old key is refused: \(refused)")
        }
    }

    @Test func aFailureAfterTheCreationDeletesTheNewKeyAndKeepsTheOld() async throws {
        let moto = try #require(MotoAccount.url)
        let user = try await MotoAccount.shared.takeKeyUser()
        let old = Self.target(user, url: moto)
        struct Injected: Error {}
        try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
            do {
                _ = try await AWSKeyRotation.prepare(old, afterCreate: { throw Injected() })
                Issue.record("the injected failure was not reported")
            } catch let error as RotationFailure {
                #expect(error.step == "after-create", "\(error)")
            }
            #expect(try await Self.keys(of: user.userName, signedBy: old) == [user.accessKeyId])
            #expect(await STSTester.testAccessKey(old).passed)
        }
    }

    @Test func aUserWithTwoKeysIsRefusedBeforeAnythingIsMade() async throws {
        let moto = try #require(MotoAccount.url)
        let user = try await MotoAccount.shared.takeKeyUser()
        let old = Self.target(user, url: moto)
        try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
            let second = try await IAMAccessKeys(old).create(userName: user.userName)
            do {
                _ = try await AWSKeyRotation.prepare(old)
                Issue.record("a third key was asked for")
            } catch let error as RotationFailure {
                #expect(error.step == "list-keys" && error.message.contains("two access keys"), "\(error)")
            }
            #expect(Set(try await Self.keys(of: user.userName, signedBy: old)) == [user.accessKeyId, second.accessKeyId])
        }
    }
}
