import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Users (who may sign in with a password) and service identities (tokens only), managed by admins.
package struct UserService: Sendable {
    let store: Store
    let audit: AuditLog
    let hasher: PasswordHasher
    let bootstrapTokenPath: String
    let clock: @Sendable () -> Date

    package struct Listed: Sendable {
        package let identity: Identity
        package let hasPassword: Bool
    }

    package struct Creation: Sendable {
        var name: String
        var displayName: String?
        var role: String
        var kind: String?
        var password: SecretValue?
        /// A consumer's tag limit; nil for none.
        var allowedTags: [String]? = nil

        package init(
            name: String,
            displayName: String? = nil,
            role: String,
            kind: String? = nil,
            password: SecretValue? = nil,
            allowedTags: [String]? = nil
        ) {
            self.name = name
            self.displayName = displayName
            self.role = role
            self.kind = kind
            self.password = password
            self.allowedTags = allowedTags
        }
    }

    package struct Change: Sendable {
        var displayName: String?
        var role: String?
        var enabled: Bool?
        var password: SecretValue?

        package init(
            displayName: String? = nil,
            role: String? = nil,
            enabled: Bool? = nil,
            password: SecretValue? = nil
        ) {
            self.displayName = displayName
            self.role = role
            self.enabled = enabled
            self.password = password
        }
    }

    package func list(logger: Logger) async throws -> [Listed] {
        try await store.read(logger: logger) { session in
            let withPassword = try await session.identities.identityIdsWithPassword()
            return try await session.identities.list().map { Listed(identity: $0, hasPassword: withPassword.contains($0.id)) }
        }
    }

    package func get(name: String, logger: Logger) async throws -> Listed {
        try await store.read(logger: logger) { session in
            guard let identity = try await session.identities.find(name: name) else { throw Self.notFound(name) }
            return Listed(identity: identity, hasPassword: try await session.identities.passwordHash(identityId: identity.id) != nil)
        }
    }

    package func create(_ creation: Creation, by actor: RequestActor, logger: Logger) async throws -> Listed {
        var problems: [String: String] = [:]
        if let problem = UsernameRule.problem(with: creation.name) { problems["name"] = problem }
        if Role(rawValue: creation.role) == nil { problems["role"] = "must be one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))" }
        let kind = Identity.Kind(rawValue: creation.kind ?? "user")
        if kind == nil { problems["kind"] = "must be user or service" }
        if kind == .service, creation.password != nil { problems["password"] = "a service identity has no password; it uses tokens" }
        if let tags = creation.allowedTags {
            if creation.role != Role.consumer.rawValue { problems["allowedTags"] = "only a consumer is limited to tags" }
            if let problem = tags.isEmpty ? "must name at least one tag" : TagRule.problem(with: tags) {
                problems["allowedTags"] = problems["allowedTags"] ?? problem
            }
        }
        if !problems.isEmpty { throw HitchError.validation(problems) }
        if let password = creation.password { try PasswordHasher.validate(password) }
        var hash: String?
        if let password = creation.password { hash = try await hasher.hash(password) }
        let identity = Identity(
            id: UUID().uuidString.lowercased(), name: creation.name, displayName: creation.displayName ?? creation.name,
            kind: kind!, role: creation.role, enabled: true, createdAt: clock(), allowedTags: creation.allowedTags)
        var changed = ["name", "displayName", "role", "kind"] + (creation.allowedTags == nil ? [] : ["allowedTags"])
        if hash != nil { changed.append("password") }
        let event = actor.event("user.create", target: Self.target(identity), changedFields: changed)
        let now = clock()
        do {
            try await store.write(logger: logger) { [audit, hash] session in
                try await session.identities.insert(identity, passwordHash: hash)
                var events = [event]
                if hash != nil, identity.role == Role.admin.rawValue {
                    events += try await Self.spendBootstrapToken(by: actor, at: now, in: session)
                }
                try await audit.append(events, in: session)
            }
        } catch let error as StorageError where error.code == .duplicate {
            throw HitchError(.conflict, "a user named '\(creation.name)' already exists", fieldErrors: ["name": "is taken"])
        }
        if hash != nil, identity.role == Role.admin.rawValue { Bootstrap.removeTokenFile(at: bootstrapTokenPath, logger: logger) }
        return Listed(identity: identity, hasPassword: hash != nil)
    }

    package func update(name: String, _ change: Change, by actor: RequestActor, logger: Logger) async throws -> Listed {
        if let role = change.role { _ = try Role.named(role) }
        if let password = change.password { try PasswordHasher.validate(password) }
        var hash: String?
        if let password = change.password { hash = try await hasher.hash(password) }
        let now = clock()
        let (listed, spent) = try await store.write(logger: logger) { [audit, hash] session in
            guard var identity = try await session.identities.find(name: name) else { throw Self.notFound(name) }
            if hash != nil, identity.kind == .service {
                throw HitchError.validation(["password": "a service identity has no password; it uses tokens"])
            }
            var changed: [String] = []
            if let displayName = change.displayName, displayName != identity.displayName {
                identity.displayName = displayName
                changed.append("displayName")
            }
            if let role = change.role, role != identity.role {
                identity.role = role
                changed.append("role")
            }
            if let enabled = change.enabled, enabled != identity.enabled {
                identity.enabled = enabled
                changed.append("enabled")
            }
            if hash != nil { changed.append("password") }
            try await Self.requireAnotherAdmin(ifLosing: identity, in: session)
            try await session.identities.update(identity)
            if let hash { try await session.identities.setPasswordHash(hash, identityId: identity.id) }
            let action = changed == ["enabled"] ? (identity.enabled ? "user.enable" : "user.disable") : "user.update"
            var event = actor.event(action, target: Self.target(identity), changedFields: changed)
            // A new password or role ends the user's other sessions: a token stolen before it stops working.
            if changed.contains("password") || changed.contains("role") {
                let kept = actor.principal.id == identity.id ? actor.principal.tokenId : nil
                let revoked = try await session.identities.revokeTokens(identityId: identity.id, except: kept, at: now)
                if revoked > 0 { event.detail = "\(revoked) other tokens of \(identity.name) revoked" }
            }
            var events = [event]
            let hasPassword = try await session.identities.passwordHash(identityId: identity.id) != nil
            if hasPassword, identity.role == Role.admin.rawValue, identity.enabled {
                events += try await Self.spendBootstrapToken(by: actor, at: now, in: session)
            }
            try await audit.append(events, in: session)
            return (Listed(identity: identity, hasPassword: hasPassword), events.count > 1)
        }
        if spent { Bootstrap.removeTokenFile(at: bootstrapTokenPath, logger: logger) }
        return listed
    }

    /// Once an admin can sign in with a password, the bootstrap token has done its work: it is revoked, and the
    /// event says so (none when it was already spent).
    private static func spendBootstrapToken(by actor: RequestActor, at now: Date, in session: StoreSession) async throws -> [AuditEvent] {
        let revoked = try await session.identities.revokeTokens(issuedBy: Bootstrap.issuer, at: now)
        guard revoked > 0 else { return [] }
        return [actor.event(
            "token.revoke", target: AuditTarget(kind: "token", name: "bootstrap"),
            detail: "the bootstrap token is spent: an admin has a password")]
    }

    /// Refuses a change that would leave no enabled admin, since no one could then manage users or keys.
    private static func requireAnotherAdmin(ifLosing identity: Identity, in session: StoreSession) async throws {
        guard let stored = try await session.identities.find(id: identity.id), stored.role == Role.admin.rawValue,
            stored.enabled, identity.role != Role.admin.rawValue || !identity.enabled
        else { return }
        if try await session.identities.countEnabled(role: Role.admin.rawValue) <= 1 {
            throw HitchError(.conflict, "'\(identity.name)' is the last enabled admin; make another admin first")
        }
    }

    static func target(_ identity: Identity) -> AuditTarget { AuditTarget(kind: "user", name: identity.name, id: identity.id) }

    static func notFound(_ name: String) -> HitchError { HitchError(.notFound, "user '\(name)' not found") }
}
