import Foundation
import HitchDomain
import NIOCore

/// An aws-access-key rotated on AWS itself, in two phases around Hitch's own save. `prepare` finds the key's IAM
/// user, refuses a user that already holds two keys (IAM's limit) before anything is made, creates a new key and
/// checks that STS takes it (retrying while IAM propagates it); if anything after the creation fails, the new key
/// is deleted again. Once the new key is saved, `finish` deletes the old one, signing with the new; when the save
/// fails, `abandon` deletes the new one.
public enum AWSKeyRotation {
    public struct Prepared: Sendable {
        public let userName: String
        public let oldAccessKeyId: String
        public let new: IAMAccessKeys.Created

        public func target(from old: AWSAccessKeyTarget) -> AWSAccessKeyTarget {
            var target = old
            target.credentials = SigV4Signer.Credentials(accessKeyId: new.accessKeyId, secretAccessKey: new.secretAccessKey)
            return target
        }
    }

    public static func prepare(
        _ target: AWSAccessKeyTarget, propagation: Duration = .seconds(30),
        afterCreate: @Sendable () async throws -> Void = {}
    ) async throws(RotationFailure) -> Prepared {
        let current = IAMAccessKeys(target)
        let userName = try await step("find-user") { try await current.userName() }
        let keys = try await step("list-keys") { try await current.list(userName: userName) }
        guard keys.count < 2 else {
            throw RotationFailure(
                step: "list-keys",
                message: "IAM user \(userName) already holds two access keys (\(keys.map(\.accessKeyId).joined(separator: ", "))), IAM's limit: delete the one Hitch does not use, then rotate again")
        }
        let created = try await step("create-key") { try await current.create(userName: userName) }
        let prepared = Prepared(userName: userName, oldAccessKeyId: target.credentials.accessKeyId, new: created)
        do {
            try await step("after-create") { try await afterCreate() }
            try await verify(prepared.target(from: target), within: propagation)
            return prepared
        } catch {
            try? await abandon(prepared, target: target)
            throw error
        }
    }

    /// Deletes the new key, signing with the old one.
    public static func abandon(_ prepared: Prepared, target: AWSAccessKeyTarget) async throws(RotationFailure) {
        try await step("delete-new-key") {
            try await IAMAccessKeys(target).delete(accessKeyId: prepared.new.accessKeyId, userName: prepared.userName)
        }
    }

    /// Deletes the old key, signing with the new one.
    public static func finish(_ prepared: Prepared, target: AWSAccessKeyTarget) async throws(RotationFailure) {
        try await step("delete-old-key") {
            try await IAMAccessKeys(prepared.target(from: target)).delete(accessKeyId: prepared.oldAccessKeyId, userName: prepared.userName)
        }
    }

    /// STS GetCallerIdentity with the new key, again every second for `within`: IAM takes a few seconds to make a
    /// new key known everywhere.
    static func verify(_ target: AWSAccessKeyTarget, within: Duration) async throws(RotationFailure) {
        try await RotationStep.test("test-new-key", within: within, every: .seconds(1), refused: "STS did not take the new key") {
            await STSTester.testAccessKey(target)
        }
    }

    private static func step<Result>(_ name: String, _ body: () async throws -> Result) async throws(RotationFailure) -> Result {
        try await RotationStep.run(name, body)
    }
}
