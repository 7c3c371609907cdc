import HitchDomain

/// The actor of a request: who it is, its role, and the token it used.
public struct Principal: Sendable, Equatable {
    public let id: String
    public let name: String
    public let kind: String
    public let role: Role
    public let tokenName: String?

    public init(id: String, name: String, kind: String, role: Role, tokenName: String?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.role = role
        self.tokenName = tokenName
    }

    /// Set by the authentication middleware for the handlers of one request.
    @TaskLocal static var current: Principal?

    static func required() throws(HitchError) -> Principal {
        guard let current else { throw HitchError(.unauthenticated, "a bearer token is required") }
        return current
    }
}

/// What an actor may do is decided by its role alone (S5).
public enum Role: String, Sendable, CaseIterable {
    case admin
    case operator_ = "operator"
    case auditor
    case viewer

    public enum Permission: Sendable {
        case readConnections
        case changeConnections
    }

    public func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (.admin, _), (.operator_, _): true
        case (.auditor, .readConnections), (.viewer, .readConnections): true
        case (.auditor, .changeConnections), (.viewer, .changeConnections): false
        }
    }

    func require(_ permission: Permission) throws(HitchError) {
        if !allows(permission) { throw HitchError(.forbidden, "the role \(rawValue) may not do this") }
    }
}
