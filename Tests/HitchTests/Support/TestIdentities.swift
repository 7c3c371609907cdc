import Foundation
import HitchDomain
import HitchSecrets
@testable import HitchServices
import HitchStorage

/// Identities and tokens made straight in the store, for tests that need many of them quickly.
enum TestIdentities {
    struct Issued {
        let identityId: String
        let tokenId: String
        let token: String
    }

    /// A new service identity with `role` and a token for it.
    static func token(
        role: String, in runtime: HitchRuntime, name: String? = nil, expiresAt: Date? = nil, revoked: Bool = false
    ) async throws -> Issued {
        let identity = Identity(
            id: UUID().uuidString.lowercased(), name: name ?? "\(role)-\(UUID().uuidString.prefix(8).lowercased())",
            displayName: role, kind: .service, role: role, enabled: true, createdAt: Date())
        let token = SecretGenerator.token(prefix: "hitch_").exposedValue
        let record = TokenRecord(
            id: UUID().uuidString.lowercased(), identityId: identity.id, name: "test",
            tokenHash: SecretGenerator.tokenHash(token), createdAt: Date(), expiresAt: expiresAt,
            revokedAt: revoked ? Date() : nil)
        try await runtime.store.write(logger: TestBackend.logger) { session in
            try await session.identities.insert(identity, passwordHash: nil)
            try await session.identities.insert(record)
        }
        return Issued(identityId: identity.id, tokenId: record.id, token: token)
    }
}
