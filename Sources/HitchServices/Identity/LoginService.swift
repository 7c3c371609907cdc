import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Sign-in with a username and password. Every outcome is audited; a failure says the same for an unknown user,
/// a disabled one, one without a password, and a wrong password, after the same bcrypt work.
package struct LoginService: Sendable {
    let store: Store
    let audit: AuditLog
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let clock: @Sendable () -> Date

    static let defaultLifetime: TimeInterval = 86_400
    static let maximumLifetime: TimeInterval = 90 * 86_400
    static let refused = HitchError(.unauthenticated, "invalid username or password")

    package func login(
        username: String, password: SecretValue, tokenName: String?, lifetime: TimeInterval?, origin: AuditOrigin,
        logger: Logger
    ) async throws -> (record: TokenRecord, secret: SecretValue, identity: Identity) {
        let lifetime = lifetime ?? Self.defaultLifetime
        guard (TokenIssuer.minimumLifetime...Self.maximumLifetime).contains(lifetime) else {
            throw HitchError.validation(["expiresInSeconds": "must be from 60 to \(Int(Self.maximumLifetime))"])
        }
        let key = LoginThrottle.key(username: username, address: origin.clientAddress)
        if let wait = throttle.wait(for: key, now: clock()) {
            if let counted = throttle.throttledAttempt(for: key, now: clock()) {
                let detail = counted > 0
                    ? "\(counted) more throttled attempts since the last such event were not recorded one by one" : nil
                try await recordFailure(
                    username: username, identity: nil, code: "throttled", origin: origin, detail: detail, logger: logger)
            }
            throw HitchError(
                .throttled, "too many failed sign-ins for this user from this address; try again in \(Int(wait.rounded(.up))) s")
        }
        let (identity, hash) = try await store.read(logger: logger) { session -> (Identity?, String?) in
            guard let identity = try await session.identities.find(name: username) else { return (nil, nil) }
            return (identity, try await session.identities.passwordHash(identityId: identity.id))
        }
        let matches = try await hasher.verify(password, hash: hash)
        guard matches, let identity, identity.enabled, identity.kind == .user, Role(rawValue: identity.role) != nil else {
            throttle.recordFailure(for: key, now: clock())
            try await recordFailure(username: username, identity: identity, code: "auth-failed", origin: origin, logger: logger)
            throw Self.refused
        }
        throttle.recordSuccess(for: key)
        let issued = try TokenIssuer.issue(
            for: identity, name: tokenName ?? "login", lifetime: lifetime, now: clock())
        let event = AuditEvent(
            actor: AuditActor(id: identity.id, name: identity.name, kind: identity.kind.rawValue, tokenName: issued.record.name),
            origin: origin, action: "auth.login", target: AuditTarget(kind: "token", name: issued.record.name, id: issued.record.id))
        try await store.write(logger: logger) { [audit] session in
            try await session.identities.insert(issued.record)
            try await audit.append(event, in: session)
        }
        return (issued.record, issued.secret, identity)
    }

    /// A failed sign-in names the identity when the username exists, so auditors see attacks on real accounts.
    private func recordFailure(
        username: String, identity: Identity?, code: String, origin: AuditOrigin, detail: String? = nil, logger: Logger
    ) async throws {
        let actor = identity.map { AuditActor(id: $0.id, name: $0.name, kind: $0.kind.rawValue, tokenName: nil) }
            ?? .anonymous(claimedName: String(username.prefix(64)))
        let event = AuditEvent(
            actor: actor, origin: origin, action: "auth.login", target: nil, outcome: .failed(code: code), detail: detail)
        try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
    }
}
