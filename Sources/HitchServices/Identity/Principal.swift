import HitchAudit
import HitchDomain

/// The actor of a request: who it is, its role, and the token it used.
public struct Principal: Sendable, Equatable {
    public let id: String
    public let name: String
    public let kind: String
    public let role: Role
    public let tokenId: String?
    public let tokenName: String?
    /// Who made the token, when it was not its owner (an admin, or `hitch` for the bootstrap token).
    public let tokenIssuer: String?
    /// A consumer limited to connections carrying one of these tags; nil for no limit.
    public let allowedTags: [String]?

    public init(
        id: String, name: String, kind: String, role: Role, tokenId: String?, tokenName: String?,
        tokenIssuer: String? = nil, allowedTags: [String]? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.role = role
        self.tokenId = tokenId
        self.tokenName = tokenName
        self.tokenIssuer = tokenIssuer
        self.allowedTags = allowedTags
    }

    /// Bound by the access middleware, once the operation is allowed, for the handler of one request.
    @TaskLocal package static var current: Principal?

    package static func required() throws(HitchError) -> Principal {
        guard let current else { throw HitchError(.unauthenticated, "a bearer token is required") }
        return current
    }

    /// The actor as the audit log names it: a token made by someone else names its issuer too, so an event made
    /// with an admin-issued token points at both the identity and the admin.
    package var auditActor: AuditActor {
        let token = tokenName.map { name in tokenIssuer.map { "\(name) (issued by \($0))" } ?? name }
        return AuditActor(id: id, name: name, kind: kind, tokenName: token)
    }
}
