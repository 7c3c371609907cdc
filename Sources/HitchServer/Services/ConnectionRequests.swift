import HitchDomain
import HitchStorage

/// A request to create a connection, already decoded from the API.
struct CreateConnectionRequest: Sendable {
    var kind: String
    var name: String
    var description: String?
    var displayName: String? = nil
    var tags: [String]?
    var fields: [String: FieldValue]
    var secrets: [String: SecretValue]
    var generate: [String]
    /// This connection's own maximum secret age in days; nil follows the server's default.
    var maxSecretAgeDays: Int? = nil
    /// Rotated on the platform by Hitch once due.
    var autoRotate = false
    /// How often the schedule tests it (`6h`, `never`, `default`); nil follows the server.
    var checkEvery: String? = nil
}

/// A change to a connection: only what is named changes.
struct UpdateConnectionRequest: Sendable {
    var description: String?
    /// A new display name; empty removes it, nil leaves it.
    var displayName: String? = nil
    var tags: [String]?
    var fields: [String: FieldValue]
    var clear: [String]
    var secrets: [String: SecretValue]
    var generate: [String]
    /// A new maximum secret age in days; 0 returns to the server's default, nil leaves it.
    var maxSecretAgeDays: Int? = nil
    /// Rotated on the platform by Hitch once due; nil leaves it.
    var autoRotate: Bool? = nil
    /// How often the schedule tests it (`6h`, `never`; `default` follows the server); nil leaves it.
    var checkEvery: String? = nil

    /// Names nothing to change.
    var isEmpty: Bool {
        description == nil && displayName == nil && tags == nil && fields.isEmpty && clear.isEmpty && secrets.isEmpty && generate.isEmpty
            && maxSecretAgeDays == nil && autoRotate == nil && checkEvery == nil
    }
}

/// A saved connection with what Hitch generated for it (shown once) and warnings.
struct SavedConnection: Sendable {
    var record: ConnectionRecord
    var issuedSecrets: [String: SecretValue]
    var warnings: [String]
}
