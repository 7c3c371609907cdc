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

    public init(id: String, name: String, kind: String, role: Role, tokenId: String?, tokenName: String?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.role = role
        self.tokenId = tokenId
        self.tokenName = tokenName
    }

    /// Bound by the access middleware, once the operation is allowed, for the handler of one request.
    @TaskLocal static var current: Principal?

    static func required() throws(HitchError) -> Principal {
        guard let current else { throw HitchError(.unauthenticated, "a bearer token is required") }
        return current
    }

    var auditActor: AuditActor { AuditActor(id: id, name: name, kind: kind, tokenName: tokenName) }
}
