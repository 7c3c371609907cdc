import Foundation
import HitchDomain
import NIOCore

/// An IAM user's own access keys, managed with one of them (IAM's query API, SigV4): who the key belongs to, the
/// keys the user holds, a new one, and deleting one. Each call is bounded by `timeout`; a refusal is a
/// `StageFailure` whose message names the IAM action and never a secret.
public struct IAMAccessKeys: Sendable {
    public struct Metadata: Sendable, Equatable {
        public let accessKeyId: String
        public let status: String
        public let createdAt: Date?
    }

    public struct Created: Sendable {
        public let accessKeyId: String
        public let secretAccessKey: SecretValue
    }

    let target: AWSAccessKeyTarget
    var timeout: TimeAmount = .seconds(15)

    public init(_ target: AWSAccessKeyTarget, timeout: TimeAmount = .seconds(15)) {
        self.target = target
        self.timeout = timeout
    }

    /// The IAM user that owns the signing key (`GetUser` without a name).
    public func userName() async throws -> String {
        let answer = try await call("Action=GetUser")
        guard let name = answer.first("User")?.child("UserName")?.text, !name.isEmpty else {
            throw StageFailure(.authorize, .error, "IAM GetUser named no user: the key must be an IAM user's, not a root or temporary key")
        }
        return name
    }

    public func list(userName: String) async throws -> [Metadata] {
        let answer = try await call("Action=ListAccessKeys&UserName=" + FormEncoding.escape(userName))
        return (answer.first("AccessKeyMetadata")?.children("member") ?? []).compactMap { member in
            guard let id = member.child("AccessKeyId")?.text else { return nil }
            return Metadata(
                accessKeyId: id, status: member.child("Status")?.text ?? "",
                createdAt: member.child("CreateDate").flatMap { Self.date($0.text) })
        }
    }

    public func create(userName: String) async throws -> Created {
        let answer = try await call("Action=CreateAccessKey&UserName=" + FormEncoding.escape(userName))
        guard let key = answer.first("AccessKey"), let id = key.child("AccessKeyId")?.text,
            let secret = key.child("SecretAccessKey")?.text, !secret.isEmpty
        else { throw StageFailure(.authorize, .error, "IAM CreateAccessKey's answer could not be read") }
        return Created(accessKeyId: id, secretAccessKey: SecretValue(secret))
    }

    public func delete(accessKeyId: String, userName: String) async throws {
        _ = try await call(
            "Action=DeleteAccessKey&AccessKeyId=" + FormEncoding.escape(accessKeyId) + "&UserName=" + FormEncoding.escape(userName))
    }

    private func call(_ form: String) async throws -> SOAPNode {
        let endpoint = IAMPreflight.iamEndpoint(stsEndpoint: target.stsEndpoint, region: target.region)
        return try await STSTester.call(
            form + "&Version=2010-05-08", at: try HTTPSLocation(endpoint.url, allowLoopbackHTTP: true), credentials: target.credentials,
            region: endpoint.region, service: "iam", timeout: timeout, now: Date())
    }

    /// IAM's ISO 8601 times, with or without fractional seconds.
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
