/// Who acted: an identity, and the token it used when it used one.
public struct AuditActor: Sendable, Equatable {
    public let id: String
    public let name: String
    public let kind: String
    public let tokenName: String?

    public init(id: String, name: String, kind: String, tokenName: String?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.tokenName = tokenName
    }

    /// Hitch itself, for what it does on its own (first start, migrations).
    public static let system = AuditActor(id: "system", name: "hitch", kind: "system", tokenName: nil)

    /// Someone who has not signed in: a failed sign-in names the username that was tried.
    public static func anonymous(claimedName: String) -> AuditActor {
        AuditActor(id: "", name: claimedName, kind: "anonymous", tokenName: nil)
    }
}

/// Where a request came from.
public struct AuditOrigin: Sendable, Equatable {
    public let clientAddress: String?
    public let requestId: String?

    public init(clientAddress: String?, requestId: String?) {
        self.clientAddress = clientAddress
        self.requestId = requestId
    }

    public static let local = AuditOrigin(clientAddress: nil, requestId: nil)
}

/// What an event acted on.
public struct AuditTarget: Sendable, Equatable {
    public let kind: String
    public let name: String
    public let id: String?

    public init(kind: String, name: String, id: String? = nil) {
        self.kind = kind
        self.name = name
        self.id = id
    }
}

public enum AuditOutcome: Sendable, Equatable {
    case ok
    case denied
    case failed(code: String)

    var name: String {
        switch self {
        case .ok: "ok"
        case .denied: "denied"
        case .failed: "failed"
        }
    }

    var failureCode: String? {
        if case .failed(let code) = self { return code }
        return nil
    }
}

/// One thing that happened, as a service describes it; the log gives it its sequence, time and MAC.
public struct AuditEvent: Sendable, Equatable {
    public var actor: AuditActor
    public var origin: AuditOrigin
    /// `connection.create`, `auth.login`, `token.revoke`, ...
    public var action: String
    public var target: AuditTarget?
    public var outcome: AuditOutcome
    /// Names only, never values.
    public var changedFields: [String]
    /// A short note of Hitch's own words (a test's failing stage, a refusal's reason); never a secret.
    public var detail: String?

    public init(
        actor: AuditActor, origin: AuditOrigin, action: String, target: AuditTarget?, outcome: AuditOutcome = .ok,
        changedFields: [String] = [], detail: String? = nil
    ) {
        self.actor = actor
        self.origin = origin
        self.action = action
        self.target = target
        self.outcome = outcome
        self.changedFields = changedFields
        self.detail = detail
    }
}
