import Foundation
import HitchAPI
import HitchServices
import HitchStorage

/// Users, tokens and audit events in the API's types. A token's value never leaves except once, when issued.
extension APIMapping {
    static func user(_ listed: UserService.Listed) -> Components.Schemas.User {
        let identity = listed.identity
        return .init(
            id: identity.id, name: identity.name, displayName: identity.displayName,
            kind: .init(rawValue: identity.kind.rawValue) ?? .user, role: .init(rawValue: identity.role) ?? .viewer,
            enabled: identity.enabled, hasPassword: listed.hasPassword, createdAt: identity.createdAt,
            allowedTags: identity.allowedTags)
    }

    static func token(_ record: TokenRecord, owner: String) -> Components.Schemas.Token {
        .init(
            id: record.id, name: record.name, user: owner, createdAt: record.createdAt, expiresAt: record.expiresAt,
            revokedAt: record.revokedAt, lastUsedAt: record.lastUsedAt, issuedBy: record.issuedBy)
    }

    static func auditEvent(_ entry: AuditEntry) -> Components.Schemas.AuditEvent {
        .init(
            sequence: entry.sequence, time: Timestamp.date(entry.recordedAt),
            actor: .init(id: entry.actorId, name: entry.actorName, kind: entry.actorKind, tokenName: entry.tokenName),
            clientAddress: entry.clientAddress, requestId: entry.requestId, action: entry.action,
            target: entry.targetKind.map { .init(kind: $0, name: entry.targetName ?? "", id: entry.targetId) },
            outcome: .init(rawValue: entry.outcome) ?? .failed, failureCode: entry.failureCode,
            changedFields: entry.changedFields, detail: entry.detail, mac: entry.mac)
    }
}
