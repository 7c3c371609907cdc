import HitchDomain
import HitchStorage

/// A request to create a connection, already decoded from the API.
package struct CreateConnectionRequest: Sendable {
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

    package init(
        kind: String,
        name: String,
        description: String? = nil,
        displayName: String? = nil,
        tags: [String]? = nil,
        fields: [String: FieldValue],
        secrets: [String: SecretValue],
        generate: [String],
        maxSecretAgeDays: Int? = nil,
        autoRotate: Bool = false,
        checkEvery: String? = nil
    ) {
        self.kind = kind
        self.name = name
        self.description = description
        self.displayName = displayName
        self.tags = tags
        self.fields = fields
        self.secrets = secrets
        self.generate = generate
        self.maxSecretAgeDays = maxSecretAgeDays
        self.autoRotate = autoRotate
        self.checkEvery = checkEvery
    }
}

/// A change to a connection: only what is named changes.
package struct UpdateConnectionRequest: Sendable {
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
    package var isEmpty: Bool {
        description == nil && displayName == nil && tags == nil && fields.isEmpty && clear.isEmpty && secrets.isEmpty && generate.isEmpty
            && maxSecretAgeDays == nil && autoRotate == nil && checkEvery == nil
    }

    package init(
        description: String? = nil,
        displayName: String? = nil,
        tags: [String]? = nil,
        fields: [String: FieldValue],
        clear: [String],
        secrets: [String: SecretValue],
        generate: [String],
        maxSecretAgeDays: Int? = nil,
        autoRotate: Bool? = nil,
        checkEvery: String? = nil
    ) {
        self.description = description
        self.displayName = displayName
        self.tags = tags
        self.fields = fields
        self.clear = clear
        self.secrets = secrets
        self.generate = generate
        self.maxSecretAgeDays = maxSecretAgeDays
        self.autoRotate = autoRotate
        self.checkEvery = checkEvery
    }
}

/// A saved connection with what Hitch generated for it (shown once) and warnings.
package struct SavedConnection: Sendable {
    package var record: ConnectionRecord
    package var issuedSecrets: [String: SecretValue]
    package var warnings: [String]
}
