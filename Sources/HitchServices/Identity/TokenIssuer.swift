import Foundation
import HitchDomain
import HitchSecrets
import HitchStorage

/// Makes bearer tokens: 256 random bits, returned once; only the SHA-256 hash is stored.
enum TokenIssuer {
    static let minimumLifetime: TimeInterval = 60
    static let prefix = "hitch_"

    static func issue(
        for identity: Identity, name: String, lifetime: TimeInterval?, now: Date
    ) throws(HitchError) -> (record: TokenRecord, secret: SecretValue) {
        if let problem = TokenNameRule.problem(with: name) { throw HitchError.validation(["name": problem]) }
        if let lifetime, lifetime < minimumLifetime {
            throw HitchError.validation(["expiresInSeconds": "must be at least \(Int(minimumLifetime))"])
        }
        let secret = SecretGenerator.token(prefix: prefix)
        let record = TokenRecord(
            id: UUID().uuidString.lowercased(), identityId: identity.id, name: name,
            tokenHash: SecretGenerator.tokenHash(secret.exposedValue), createdAt: now,
            expiresAt: lifetime.map { now.addingTimeInterval($0) })
        return (record, secret)
    }
}
