import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Bearer tokens: anyone manages their own; an admin manages everyone's.
package struct TokenService: Sendable {
    let store: Store
    let audit: AuditLog
    let lifetimes: TokenLifetimes
    let clock: @Sendable () -> Date

    /// The token with that id, if it still exists.
    package func token(id: String, logger: Logger) async throws -> TokenRecord? {
        try await store.read(logger: logger) { try await $0.identities.token(id: id) }
    }

    package struct Listed: Sendable {
        package let record: TokenRecord
        package let owner: String
    }

    package func list(user: String?, all: Bool, by actor: RequestActor, logger: Logger) async throws -> [Listed] {
        let owner = try await owner(named: user, by: actor, logger: logger)
        if all { try actor.principal.role.require(.administer) }
        return try await store.read(logger: logger) { session in
            let names = Dictionary(uniqueKeysWithValues: try await session.identities.list().map { ($0.id, $0.name) })
            return try await session.identities.tokens(identityId: all ? nil : owner.id)
                .map { Listed(record: $0, owner: names[$0.identityId] ?? $0.identityId) }
        }
    }

    /// A token for the actor, or (for an admin) for another identity. It lives `lifetime` or the default, never
    /// beyond the maximum, and never beyond the token that asks for it, unless an admin makes it for a service
    /// identity (a pipeline's token outlives the admin's session that made it).
    package func create(
        name: String?, user: String?, lifetime: TimeInterval?, by actor: RequestActor, logger: Logger
    ) async throws -> (record: TokenRecord, secret: SecretValue, owner: Identity) {
        let owner = try await owner(named: user, by: actor, logger: logger)
        guard owner.enabled else { throw HitchError(.conflict, "user '\(owner.name)' is disabled") }
        if let lifetime, lifetime > lifetimes.maximumLifetime {
            throw HitchError.validation(["expiresInSeconds": "must be at most \(lifetimes.maximumDays) days (HITCH_TOKEN_MAX_DAYS)"])
        }
        let now = clock()
        var expiresAt = now.addingTimeInterval(lifetime ?? lifetimes.defaultLifetime)
        let forService = actor.principal.role.allows(.administer) && owner.kind == .service
        if !forService, let limit = try await expiry(ofTokenOf: actor, logger: logger), expiresAt > limit {
            guard lifetime == nil else {
                throw HitchError.validation([
                    "expiresInSeconds": "must not outlive the token that asks for it, which expires at \(limit.formatted(.iso8601))"
                ])
            }
            expiresAt = limit
        }
        var issued = try TokenIssuer.issue(for: owner, name: name ?? "token", lifetime: expiresAt.timeIntervalSince(now), now: now)
        if owner.id != actor.principal.id { issued.record.issuedBy = actor.principal.name }
        let event = actor.event(
            "token.create", target: AuditTarget(kind: "token", name: issued.record.name, id: issued.record.id),
            detail: "for \(owner.name)")
        try await store.write(logger: logger) { [audit, issued] session in
            try await session.identities.insert(issued.record)
            try await audit.append(event, in: session)
        }
        return (issued.record, issued.secret, owner)
    }

    /// When the token the actor signed in with expires; nil when it never does.
    private func expiry(ofTokenOf actor: RequestActor, logger: Logger) async throws -> Date? {
        guard let tokenId = actor.principal.tokenId else { return nil }
        return try await store.read(logger: logger) { try await $0.identities.token(id: tokenId) }?.expiresAt
    }

    package func revoke(id: String, by actor: RequestActor, logger: Logger) async throws {
        let now = clock()
        try await store.write(logger: logger) { [audit] session in
            guard let token = try await session.identities.token(id: id),
                token.identityId == actor.principal.id || actor.principal.role.allows(.administer)
            else { throw HitchError(.notFound, "token '\(id)' not found") }
            guard try await session.identities.revoke(tokenId: id, at: now) else {
                throw HitchError(.conflict, "token '\(id)' is already revoked")
            }
            try await audit.append(
                actor.event("token.revoke", target: AuditTarget(kind: "token", name: token.name, id: token.id)), in: session)
        }
    }

    /// Revokes the token the request carries.
    package func logout(by actor: RequestActor, logger: Logger) async throws {
        guard let tokenId = actor.principal.tokenId else { return }
        let now = clock()
        try await store.write(logger: logger) { [audit] session in
            _ = try await session.identities.revoke(tokenId: tokenId, at: now)
            try await audit.append(
                actor.event("auth.logout", target: AuditTarget(kind: "token", name: actor.principal.tokenName ?? "", id: tokenId)),
                in: session)
        }
    }

    /// The actor itself, or (for an admin) the named identity.
    private func owner(named user: String?, by actor: RequestActor, logger: Logger) async throws -> Identity {
        let name = user ?? actor.principal.name
        if name != actor.principal.name { try actor.principal.role.require(.administer) }
        guard let identity = try await store.read(logger: logger, { try await $0.identities.find(name: name) }) else {
            throw HitchError(.notFound, "user '\(name)' not found")
        }
        return identity
    }
}
