import Foundation
import HitchDomain
import HitchPlatforms

/// Hitch's own AWS identity, for aws-assume-role and aws-cross-account connections without a `via` key (the seeds'
/// "Role ARN only" form). It is lent only when the server allows it (`HITCH_AWS_AMBIENT_IDENTITY=1`): otherwise an
/// operator could have Hitch's own identity assume any role that trusts it. It is read, at each use, from the
/// standard places, in the AWS SDKs' order: the variables `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`; a web identity token file (`AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN`, as EKS sets
/// them); the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`, profile
/// `AWS_PROFILE` or `default`). STS is `AWS_ENDPOINT_URL_STS` (or `AWS_ENDPOINT_URL`) when set. The instance
/// metadata service is not asked: the egress policy denies it.
struct AmbientAWSIdentity: Sendable {
    let environment: [String: String]

    /// The identity when the server allows it; nil otherwise.
    static func from(environment: [String: String]) throws -> AmbientAWSIdentity? {
        switch environment["HITCH_AWS_AMBIENT_IDENTITY"] {
        case nil, "", "0", "false": return nil
        case "1", "true": return AmbientAWSIdentity(environment: environment)
        case let other?: throw HitchError(.badRequest, "HITCH_AWS_AMBIENT_IDENTITY must be 1 or 0, not '\(other)'")
        }
    }

    /// The identity as the `via` of a role connection that names none; nil for any other connection, or when the
    /// server lends no identity (`identity` nil).
    static func via(
        for kind: ConnectionKind, fields: [String: FieldValue], from identity: AmbientAWSIdentity?, now: Date = Date()
    ) async throws(Unavailable) -> PlatformTests.Via? {
        guard [.awsAssumeRole, .awsCrossAccount].contains(kind), ConnectionSecrets.viaName(kind: kind, fields: fields) == nil,
            let identity
        else { return nil }
        return try await identity.via(now: now)
    }

    /// The identity as the key a role is assumed with, like a `via` connection's.
    func via(now: Date = Date()) async throws(Unavailable) -> PlatformTests.Via {
        let endpoint = text("AWS_ENDPOINT_URL_STS") ?? text("AWS_ENDPOINT_URL")
        let region = text("AWS_REGION") ?? text("AWS_DEFAULT_REGION") ?? "us-east-1"
        var fields: [String: FieldValue] = ["region": .string(region)]
        if let endpoint { fields["stsEndpoint"] = .string(endpoint) }
        if let keyId = text("AWS_ACCESS_KEY_ID"), let secret = text("AWS_SECRET_ACCESS_KEY") {
            return Self.via(fields, keyId: keyId, secret: secret, token: text("AWS_SESSION_TOKEN"))
        }
        if let tokenFile = text("AWS_WEB_IDENTITY_TOKEN_FILE"), let roleArn = text("AWS_ROLE_ARN") {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw Unavailable(message: "the web identity token file \(tokenFile) cannot be read")
            }
            let temporary: AWSTemporaryCredentials
            do {
                temporary = try await STSLease.assumeRoleWithWebIdentity(
                    roleArn: roleArn, token: SecretValue(token.trimmingCharacters(in: .whitespacesAndNewlines)),
                    sessionName: text("AWS_ROLE_SESSION_NAME") ?? "hitch", endpoint: endpoint.flatMap(URL.init(string:)), region: region,
                    now: now)
            } catch {
                throw Unavailable(message: "the server's web identity: \(error.message)")
            }
            return Self.via(
                fields, keyId: temporary.accessKeyId, secret: temporary.secretAccessKey.exposedValue,
                token: temporary.sessionToken.exposedValue)
        }
        let file = text("AWS_SHARED_CREDENTIALS_FILE") ?? ((text("HOME") ?? NSHomeDirectory()) + "/.aws/credentials")
        if let profile = Self.profile(text("AWS_PROFILE") ?? "default", in: file),
            let keyId = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"]
        {
            return Self.via(fields, keyId: keyId, secret: secret, token: profile["aws_session_token"])
        }
        throw Unavailable(
            message: "the server has no AWS identity of its own (no AWS_ACCESS_KEY_ID, web identity token file or shared credentials): give the connection a via key")
    }

    /// Why the server's own identity could not be had.
    struct Unavailable: Error {
        let message: String
    }

    private func text(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func via(_ fields: [String: FieldValue], keyId: String, secret: String, token: String?) -> PlatformTests.Via {
        var fields = fields
        fields["accessKeyId"] = .string(keyId)
        var secrets = ["secretAccessKey": SecretValue(secret)]
        if let token { secrets["sessionToken"] = SecretValue(token) }
        return PlatformTests.Via(fields: fields, secrets: secrets)
    }

    /// One profile of an INI credentials file: `[name]`, then `key = value` lines.
    static func profile(_ name: String, in path: String) -> [String: String]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var current: String?
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard current == name, !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else { continue }
            values[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: equals)...]
                .trimmingCharacters(in: .whitespaces)
        }
        return values.isEmpty ? nil : values
    }
}
