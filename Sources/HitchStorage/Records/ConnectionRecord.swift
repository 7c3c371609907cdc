import Foundation
import HitchDomain

/// A connection as stored, without its secrets.
public struct ConnectionRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: ConnectionKind
    public var description: String
    /// A friendly name beside the slug; empty for none.
    public var displayName: String
    public var tags: [String]
    public var fields: [String: FieldValue]
    public var credentialVersion: Int
    /// Grows by one on every save; the ETag a client sends back with If-Match.
    public var revision: Int
    public var status: ConnectionStatus
    public var createdAt: Date
    public var createdBy: String
    public var updatedAt: Date
    public var updatedBy: String
    /// The secret fields that hold a stored value (names only).
    public var secretFields: Set<String>
    /// This connection's own maximum secret age; nil follows the server's default.
    public var maxSecretAgeDays: Int?
    /// When the current credential version was made: the start of the secret's age.
    public var credentialCreatedAt: Date
    /// Rotated on the platform by Hitch itself once due (a kind that supports it).
    public var autoRotate = false
    /// How often the schedule tests this connection, in seconds: nil follows the server's setting, 0 is never.
    public var checkEverySeconds: Int?
    /// The certificate this connection first passed a test with, when it has no pin: a later test that meets
    /// another fails with `tls-changed` before anything is sent.
    public var knownCertificate: CertificateRecord?
    /// The other certificate that test met: what `trust-certificate` accepts.
    public var offeredCertificate: CertificateRecord?

    public init(
        id: String, name: String, kind: ConnectionKind, description: String, tags: [String],
        fields: [String: FieldValue], credentialVersion: Int, revision: Int, status: ConnectionStatus,
        createdAt: Date, createdBy: String, updatedAt: Date, updatedBy: String, secretFields: Set<String>,
        maxSecretAgeDays: Int? = nil, credentialCreatedAt: Date? = nil, displayName: String = ""
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.description = description
        self.displayName = displayName
        self.tags = tags
        self.fields = fields
        self.credentialVersion = credentialVersion
        self.revision = revision
        self.status = status
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
        self.secretFields = secretFields
        self.maxSecretAgeDays = maxSecretAgeDays
        self.credentialCreatedAt = credentialCreatedAt ?? createdAt
    }
}

/// A connection's identity, kind, fields and credential version: what binding its secrets needs.
public struct ConnectionDestinationInput: Sendable {
    public let id: String
    public let name: String
    public let kind: ConnectionKind
    public let fields: [String: FieldValue]
    public let credentialVersion: Int
}

/// The result of the last test of a connection.
public struct ConnectionStatus: Sendable, Equatable {
    /// `untested`, `ok`, or the failing stage's code (`auth-failed`, `not-found`, ...).
    public var state: String
    public var stage: String?
    public var message: String?
    public var at: Date?
    public var durationMilliseconds: Int?
    public var lastOkAt: Date?
    public var lastFailureAt: Date?
    /// The first thing to run out that the last test that heard of one was told (a certificate, a client secret).
    public var expiresAt: Date?
    public var expiresWhat: String?
    /// When the platform made the credential (an AWS key's CreateDate), as the last test that heard of it was told.
    public var platformCreatedAt: Date?
    /// Since when the connection has been ok, or failing: the last test whose result switched between the two.
    public var since: Date?
    /// The connection's revision when this result was saved: an `auth-failed` is not retested by the schedule
    /// until the connection changes.
    public var revision: Int?

    public var isOK: Bool { state == "ok" }

    public init(
        state: String, stage: String? = nil, message: String? = nil, at: Date? = nil, durationMilliseconds: Int? = nil,
        lastOkAt: Date? = nil, lastFailureAt: Date? = nil, expiresAt: Date? = nil, expiresWhat: String? = nil,
        platformCreatedAt: Date? = nil
    ) {
        self.state = state
        self.stage = stage
        self.message = message
        self.at = at
        self.durationMilliseconds = durationMilliseconds
        self.lastOkAt = lastOkAt
        self.lastFailureAt = lastFailureAt
        self.expiresAt = expiresAt
        self.expiresWhat = expiresWhat
        self.platformCreatedAt = platformCreatedAt
    }

    public static let untested = ConnectionStatus(state: "untested")
}

/// A server certificate as a test met it.
public struct CertificateRecord: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the DER bytes.
    public let thumbprint: String
    public let subject: String
    public let notAfter: Date

    public init(thumbprint: String, subject: String, notAfter: Date) {
        self.thumbprint = thumbprint
        self.subject = subject
        self.notAfter = notAfter
    }
}

/// One secret field's ciphertext as stored. Storage keeps these bytes and never opens them.
public struct StoredSecret: Sendable, Equatable {
    public let field: String
    public let credentialVersion: Int
    public let masterKeyVersion: Int
    public let wrappedKey: Data
    public let ciphertext: Data

    public init(field: String, credentialVersion: Int, masterKeyVersion: Int, wrappedKey: Data, ciphertext: Data) {
        self.field = field
        self.credentialVersion = credentialVersion
        self.masterKeyVersion = masterKeyVersion
        self.wrappedKey = wrappedKey
        self.ciphertext = ciphertext
    }
}

/// A credential version: who made it, when, and which fields changed (names only).
public struct CredentialVersionRecord: Sendable, Equatable {
    public let version: Int
    public let createdAt: Date
    public let actorId: String
    public let actorName: String
    public let changedFields: [String]

    public init(version: Int, createdAt: Date, actorId: String, actorName: String, changedFields: [String]) {
        self.version = version
        self.createdAt = createdAt
        self.actorId = actorId
        self.actorName = actorName
        self.changedFields = changedFields
    }
}

/// Which connections a list returns.
public struct ConnectionFilter: Sendable, Equatable {
    public var kind: ConnectionKind?
    /// Every tag listed must be on the connection; `KEY:` alone asks for any tag of that key.
    public var tags: [String]
    /// Case-insensitive text found in the name, the description or a tag.
    public var text: String?
    /// Only the connections that rotate their credential on the platform by themselves (`autoRotate`).
    public var autoRotating: Bool

    public init(kind: ConnectionKind? = nil, tags: [String] = [], text: String? = nil, autoRotating: Bool = false) {
        self.kind = kind
        self.tags = tags
        self.text = text
        self.autoRotating = autoRotating
    }
}
