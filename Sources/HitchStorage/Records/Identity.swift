import Foundation

/// A user or service identity that acts on Hitch.
public struct Identity: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case user
        case service
    }

    public let id: String
    public var name: String
    public var displayName: String
    public var kind: Kind
    public var role: String
    public var enabled: Bool
    public let createdAt: Date
    /// For a consumer: it may use only connections carrying one of these tags; nil for no limit.
    public var allowedTags: [String]?

    public init(
        id: String, name: String, displayName: String, kind: Kind, role: String, enabled: Bool, createdAt: Date,
        allowedTags: [String]? = nil
    ) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.kind = kind
        self.role = role
        self.enabled = enabled
        self.createdAt = createdAt
        self.allowedTags = allowedTags
    }
}

/// A bearer token as stored: only its hash.
public struct TokenRecord: Sendable, Equatable {
    public let id: String
    public let identityId: String
    public let name: String
    public let tokenHash: String
    public let createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    /// Who made the token when it was not its owner: an admin's name, or `hitch` for the bootstrap token.
    public var issuedBy: String?

    public init(
        id: String, identityId: String, name: String, tokenHash: String, createdAt: Date, expiresAt: Date? = nil,
        revokedAt: Date? = nil, lastUsedAt: Date? = nil, issuedBy: String? = nil
    ) {
        self.id = id
        self.identityId = identityId
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.issuedBy = issuedBy
    }
}
