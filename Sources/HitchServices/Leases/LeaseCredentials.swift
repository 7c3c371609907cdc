import Foundation
import HitchDomain
import HitchPlatforms

/// A lease's credential, per kind, as the answer carries it; and what Hitch keeps to end it.
package struct LeaseCredentials: Sendable {
    package var sessionCookie: SecretValue?
    package var sdkURL: String?
    /// nutanix: Prism Central's base URL.
    package var apiURL: String?
    package var thumbprint: String?
    package var accessKeyId: String?
    package var secretAccessKey: SecretValue?
    package var sessionToken: SecretValue?
    package var region: String?
    package var expiration: Date?
    package var note: String?
    /// azure, gcp: an OAuth access token, and the scope it was made for.
    package var accessToken: SecretValue?
    package var scope: String?

    struct Obtained: Sendable {
        let credentials: LeaseCredentials
        let expiresAt: Date
        /// What ending the lease needs (a vCenter session cookie); sealed before it is stored.
        let handle: SecretValue?
    }

    /// Makes the credential on the platform's own protocol, from the connection's opened secrets.
    static func obtain(
        kind: ConnectionKind, fields: [String: FieldValue], secrets: [String: SecretValue],
        via: (fields: [String: FieldValue], secrets: [String: SecretValue])?, seconds: Int, scope: String?, now: Date,
        tlsPolicy: TLSPolicy = .systemTrust, remembered: String? = nil
    ) async throws -> Obtained {
        let values = PlatformTargets.Values(fields: fields, secrets: secrets, remembered: remembered)
        do {
            switch kind {
            case .vsphere:
                let opened = try await VSphereLeaseSession.open(PlatformTargets.vsphere(values))
                return Obtained(
                    credentials: LeaseCredentials(sessionCookie: opened.cookie, sdkURL: opened.url, thumbprint: opened.thumbprint),
                    expiresAt: now.addingTimeInterval(TimeInterval(seconds)), handle: opened.cookie)
            case .awsAccessKey:
                return aws(try await STSLease.sessionToken(PlatformTargets.awsAccessKey(values), seconds: seconds, now: now))
            case .awsAssumeRole, .awsCrossAccount:
                guard let via,
                    let target = PlatformTargets.assumeRole(
                        values, via: .init(fields: via.fields, secrets: via.secrets), defaultSessionName: "hitch-lease")
                else { throw HitchError(.conflict, "the via connection is missing or is not an aws-access-key") }
                return aws(try await STSLease.assumeRole(target, seconds: seconds, now: now))
            case .azure:
                let token = try await CloudTokenLease.azure(PlatformTargets.azure(values, tlsPolicy: tlsPolicy), scope: scope, now: now)
                return oauth(token, seconds: seconds, now: now)
            case .gcp:
                let token = try await CloudTokenLease.gcp(PlatformTargets.gcp(values, tlsPolicy: tlsPolicy), scope: scope, now: now)
                return oauth(token, seconds: seconds, now: now)
            case .nutanix:
                return nutanix(try await NutanixLeaseSession.open(PlatformTargets.nutanix(values), now: now), seconds: seconds, now: now)
            case .apiKey:
                throw HitchError(.badRequest, "an api-key is not leased: agents present it, and an enrollment service checks it")
            }
        } catch let error as PlatformSessionError {
            throw HitchError(.unavailable, "the platform did not give a credential: \(error.message)")
        }
    }

    /// Prism's session cannot be ended early: the lease ends at the earlier of its TTL and the cookies' expiry, and
    /// says that the session lasts until Prism ends it.
    private static func nutanix(_ opened: NutanixLeaseSession.Opened, seconds: Int, now: Date) -> Obtained {
        let asked = now.addingTimeInterval(TimeInterval(seconds))
        let expiresAt = min(asked, opened.expiresAt ?? asked)
        var note = "Prism Central offers no way to end this session early: revoking the lease stops Hitch's record of it, "
            + "and the session itself lasts until Prism's own session timeout"
        if let cookieExpiry = opened.expiresAt, cookieExpiry < asked {
            note += "; the lease ends at the session's expiry, \(Timestamps.text(cookieExpiry))"
        }
        var credentials = LeaseCredentials(sessionCookie: opened.cookie, thumbprint: opened.thumbprint, note: note)
        credentials.apiURL = opened.url
        credentials.expiration = opened.expiresAt
        return Obtained(credentials: credentials, expiresAt: expiresAt, handle: nil)
    }

    /// A token cannot be recalled: the lease ends at the earlier of its TTL and the token's own expiry.
    private static func oauth(_ token: CloudTokenLease.Token, seconds: Int, now: Date) -> Obtained {
        let expiresAt = min(token.expiresAt, now.addingTimeInterval(TimeInterval(seconds)))
        var credentials = LeaseCredentials(accessToken: token.accessToken, scope: token.scope)
        credentials.expiration = token.expiresAt
        if token.expiresAt > expiresAt {
            credentials.note = "the token itself stays valid until \(Timestamps.text(token.expiresAt)); the lease ends first"
        }
        return Obtained(credentials: credentials, expiresAt: expiresAt, handle: nil)
    }

    private static func aws(_ temporary: AWSTemporaryCredentials) -> Obtained {
        Obtained(
            credentials: LeaseCredentials(
                accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey,
                sessionToken: temporary.sessionToken, region: temporary.region, expiration: temporary.expiration,
                note: temporary.note),
            expiresAt: temporary.expiration, handle: nil)
    }

    /// Ends the lease on its platform where that is possible: a vCenter session is logged out.
    static func end(kind: ConnectionKind, fields: [String: FieldValue], handle: SecretValue?) async {
        guard kind == .vsphere, let handle else { return }
        _ = await VSphereLeaseSession.logout(PlatformTargets.vsphere(.init(fields: fields, secrets: [:])), cookie: handle)
    }
}
