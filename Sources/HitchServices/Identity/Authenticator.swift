import Foundation
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// Finds the actor that holds a bearer token. Tokens are looked up by their SHA-256 hash only.
package struct Authenticator: Sendable {
    let store: Store
    let clock: @Sendable () -> Date

    /// A token's last-use time is written at most this often, so that reads stay reads.
    static let lastUseResolution: TimeInterval = 60

    static let invalid = HitchError(.unauthenticated, "the bearer token is not valid (unknown, revoked or expired)")

    package func principal(bearer token: String, logger: Logger) async throws -> Principal {
        let hash = SecretGenerator.tokenHash(token)
        guard let (identity, record) = try await store.identity(forTokenHash: hash, logger: logger) else {
            throw Self.invalid
        }
        let now = clock()
        if let expiry = record.expiresAt, expiry <= now { throw Self.invalid }
        guard let role = Role(rawValue: identity.role) else {
            throw HitchError(.forbidden, "identity \(identity.name) has no known role")
        }
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.lastUseResolution }) ?? true {
            try await store.write(logger: logger) { try await $0.identities.recordUse(tokenId: record.id, at: now) }
        }
        return Principal(
            id: identity.id, name: identity.name, kind: identity.kind.rawValue, role: role, tokenId: record.id,
            tokenName: record.name, tokenIssuer: record.issuedBy, allowedTags: identity.allowedTags)
    }
}
