import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// Temporary AWS credentials made by STS for a lease. The secret parts print as `********`.
public struct AWSTemporaryCredentials: Sendable {
    public let accessKeyId: String
    public let secretAccessKey: SecretValue
    public let sessionToken: SecretValue
    public let expiration: Date
    public let region: String
    /// Set when STS's bounds changed the duration asked for.
    public let note: String?
}

/// Leases on AWS's own protocol: `GetSessionToken` with an access key, `AssumeRole` (with the external ID) signed by
/// the `via` key. The stored key never leaves Hitch; STS's temporary credentials do, bounded in time.
public enum STSLease {
    /// GetSessionToken takes 15 minutes to 36 hours.
    static let sessionTokenSeconds = 900...129_600
    /// AssumeRole takes 15 minutes to the role's maximum session, one hour unless the role says more.
    static let assumeRoleSeconds = 900...3_600

    public static func sessionToken(
        _ target: AWSAccessKeyTarget, seconds: Int, timeout: TimeAmount = .seconds(15), now: Date = Date()
    ) async throws(PlatformSessionError) -> AWSTemporaryCredentials {
        do { return try await sessionTokenStages(target, seconds: seconds, timeout: timeout, now: now) } catch { throw PlatformSessionError(error) }
    }

    public static func assumeRole(
        _ target: AWSAssumeRoleTarget, seconds: Int, timeout: TimeAmount = .seconds(15), now: Date = Date()
    ) async throws(PlatformSessionError) -> AWSTemporaryCredentials {
        do { return try await assumeRoleStages(target, seconds: seconds, timeout: timeout, now: now) } catch { throw PlatformSessionError(error) }
    }

    private static func sessionTokenStages(
        _ target: AWSAccessKeyTarget, seconds: Int, timeout: TimeAmount, now: Date
    ) async throws(StageFailure) -> AWSTemporaryCredentials {
        let (duration, note) = clamp(seconds, to: sessionTokenSeconds)
        let location = try HTTPSLocation(target.stsEndpoint ?? STSTester.defaultEndpoint(region: target.region), allowLoopbackHTTP: true)
        let answer = try await send(
            "Action=GetSessionToken&DurationSeconds=\(duration)&Version=2011-06-15", at: location,
            credentials: target.credentials, region: target.region, timeout: timeout, now: now)
        return try credentials(from: answer, region: target.region, note: note)
    }

    private static func assumeRoleStages(
        _ target: AWSAssumeRoleTarget, seconds: Int, timeout: TimeAmount, now: Date
    ) async throws(StageFailure) -> AWSTemporaryCredentials {
        let (duration, note) = clamp(seconds, to: assumeRoleSeconds)
        let location = try HTTPSLocation(target.stsEndpoint ?? STSTester.defaultEndpoint(region: target.region), allowLoopbackHTTP: true)
        var form = "Action=AssumeRole&DurationSeconds=\(duration)"
        if let externalId = target.externalId { form += "&ExternalId=" + FormEncoding.escape(externalId.exposedValue) }
        form += "&RoleArn=" + FormEncoding.escape(target.roleArn) + "&RoleSessionName=" + FormEncoding.escape(target.sessionName)
            + "&Version=2011-06-15"
        let answer = try await send(form, at: location, credentials: target.via, region: target.region, timeout: timeout, now: now)
        return try credentials(from: answer, region: target.region, note: note)
    }

    /// `AssumeRoleWithWebIdentity`: a role for a web identity token (an EKS or GitHub OIDC token file), unsigned,
    /// as STS takes it. Hitch's own identity when it runs with one (see the server's ambient AWS identity).
    public static func assumeRoleWithWebIdentity(
        roleArn: String, token: SecretValue, sessionName: String, endpoint: URL?, region: String,
        timeout: TimeAmount = .seconds(15), now: Date = Date()
    ) async throws(PlatformSessionError) -> AWSTemporaryCredentials {
        do {
            let location = try HTTPSLocation(endpoint ?? STSTester.defaultEndpoint(region: region), allowLoopbackHTTP: true)
            let form = "Action=AssumeRoleWithWebIdentity&DurationSeconds=900&RoleArn=" + FormEncoding.escape(roleArn)
                + "&RoleSessionName=" + FormEncoding.escape(sessionName) + "&Version=2011-06-15&WebIdentityToken="
                + FormEncoding.escape(token.exposedValue)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
            let response = try await location.send(
                .POST, path: location.path.isEmpty ? "/" : location.path, headers: headers, body: form, policy: .systemTrust,
                timeout: timeout, stage: .authenticate)
            guard response.status == .ok, let answer = SOAPNode.parse(Data(response.body.readableBytesView)) else {
                let code = SOAPNode.parse(Data(response.body.readableBytesView))?.first("Code")?.text ?? "HTTP \(response.status.code)"
                throw StageFailure(.authenticate, .authFailed, "STS refused the web identity token (\(code))")
            }
            return try credentials(from: answer, region: region, note: nil)
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(StageFailure(.authenticate, .error, "STS could not be asked"))
        }
    }

    private static func send(
        _ form: String, at location: HTTPSLocation, credentials: SigV4Signer.Credentials, region: String,
        timeout: TimeAmount, now: Date
    ) async throws(StageFailure) -> SOAPNode {
        do {
            return try await STSTester.call(form, at: location, credentials: credentials, region: region, timeout: timeout, now: now)
        } catch let failure as StageFailure {
            throw failure
        } catch {
            throw StageFailure(.authenticate, .error, "STS could not be asked")
        }
    }

    private static func clamp(_ seconds: Int, to bounds: ClosedRange<Int>) -> (Int, String?) {
        let clamped = min(max(seconds, bounds.lowerBound), bounds.upperBound)
        guard clamped != seconds else { return (seconds, nil) }
        return (clamped, "STS takes \(bounds.lowerBound) to \(bounds.upperBound) seconds: the lease lasts \(clamped) s")
    }

    private static func credentials(from answer: SOAPNode, region: String, note: String?) throws(StageFailure) -> AWSTemporaryCredentials {
        guard let keyId = answer.first("AccessKeyId")?.text, let secret = answer.first("SecretAccessKey")?.text,
            let token = answer.first("SessionToken")?.text, let expirationText = answer.first("Expiration")?.text,
            let expiration = (try? Date(expirationText, strategy: .iso8601)) ?? parseFractional(expirationText)
        else { throw StageFailure(.authenticate, .error, "STS's answer could not be read") }
        return AWSTemporaryCredentials(
            accessKeyId: keyId, secretAccessKey: SecretValue(secret), sessionToken: SecretValue(token),
            expiration: expiration, region: region, note: note)
    }

    private static func parseFractional(_ text: String) -> Date? {
        try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
