import Foundation
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// Finds the actor that holds a bearer token. Tokens are looked up by their SHA-256 hash only.
struct Authenticator: Sendable {
    let store: Store
    let clock: @Sendable () -> Date

    func principal(bearer token: String, logger: Logger) async throws -> Principal {
        let hash = SecretGenerator.tokenHash(token)
        guard let (identity, record) = try await store.identity(forTokenHash: hash, logger: logger)
        else { throw HitchError(.unauthenticated, "the bearer token is not valid") }
        if let expiry = record.expiresAt, expiry <= clock() {
            throw HitchError(.unauthenticated, "the bearer token is not valid")
        }
        guard let role = Role(rawValue: identity.role) else {
            throw HitchError(.forbidden, "identity \(identity.name) has no known role")
        }
        return Principal(id: identity.id, name: identity.name, kind: identity.kind.rawValue, role: role, tokenName: record.name)
    }
}
