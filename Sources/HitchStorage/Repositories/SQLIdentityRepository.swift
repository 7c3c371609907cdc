import Foundation
import SQLKit

struct SQLIdentityRepository: IdentityRepository {
    let database: any SQLDatabase

    func count() async throws -> Int {
        let row = try await database.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("identities").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    func insert(_ identity: Identity) async throws {
        try await database.insert(into: "identities").model(IdentityRow(identity), with: .snakeCase).run()
    }

    func insert(_ token: TokenRecord) async throws {
        try await database.insert(into: "tokens").model(TokenRow(token), with: .snakeCase).run()
    }

    func identity(forTokenHash hash: String) async throws -> (Identity, TokenRecord)? {
        guard
            let tokenRow = try await database.select().column("*").from("tokens")
                .where("token_hash", .equal, hash).where("revoked_at", .is, SQLLiteral.null)
                .first(decoding: TokenRow.self, with: .snakeCase),
            let identityRow = try await database.select().column("*").from("identities")
                .where("id", .equal, tokenRow.identityId).where("enabled", .equal, 1)
                .first(decoding: IdentityRow.self, with: .snakeCase),
            let identity = identityRow.identity()
        else { return nil }
        return (identity, tokenRow.record())
    }
}

struct IdentityRow: Codable {
    var id: String
    var name: String
    var displayName: String
    var kind: String
    var role: String
    var enabled: Int
    var createdAt: Int64

    init(_ identity: Identity) {
        id = identity.id
        name = identity.name
        displayName = identity.displayName
        kind = identity.kind.rawValue
        role = identity.role
        enabled = identity.enabled ? 1 : 0
        createdAt = Timestamp.milliseconds(identity.createdAt)
    }

    func identity() -> Identity? {
        guard let kind = Identity.Kind(rawValue: kind) else { return nil }
        return Identity(
            id: id, name: name, displayName: displayName, kind: kind, role: role, enabled: enabled != 0,
            createdAt: Timestamp.date(createdAt))
    }
}

struct TokenRow: Codable {
    var id: String
    var identityId: String
    var name: String
    var tokenHash: String
    var createdAt: Int64
    var expiresAt: Int64?
    var revokedAt: Int64?
    var lastUsedAt: Int64?

    init(_ token: TokenRecord) {
        id = token.id
        identityId = token.identityId
        name = token.name
        tokenHash = token.tokenHash
        createdAt = Timestamp.milliseconds(token.createdAt)
        expiresAt = token.expiresAt.map(Timestamp.milliseconds)
        revokedAt = token.revokedAt.map(Timestamp.milliseconds)
        lastUsedAt = token.lastUsedAt.map(Timestamp.milliseconds)
    }

    func record() -> TokenRecord {
        TokenRecord(
            id: id, identityId: identityId, name: name, tokenHash: tokenHash, createdAt: Timestamp.date(createdAt),
            expiresAt: expiresAt.map(Timestamp.date), revokedAt: revokedAt.map(Timestamp.date),
            lastUsedAt: lastUsedAt.map(Timestamp.date))
    }
}
