import Foundation
import SQLKit

struct SQLIdentityRepository: IdentityRepository {
    let database: any SQLDatabase

    func count() async throws -> Int {
        let row = try await database.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("identities").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    func countEnabled(role: String) async throws -> Int {
        let row = try await database.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("identities").where("role", .equal, role).where("enabled", .equal, 1).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    func insert(_ identity: Identity, passwordHash: String?) async throws {
        var row = IdentityRow(identity)
        row.passwordHash = passwordHash
        try await RowInsert(into: "identities", row: row).run(on: database)
    }

    func find(name: String) async throws -> Identity? {
        try await database.select().column(IdentityRow.columnList).from("identities").where("name", .equal, name)
            .first(decoding: IdentityRow.self, with: .snakeCase)?.identity()
    }

    func find(id: String) async throws -> Identity? {
        try await database.select().column(IdentityRow.columnList).from("identities").where("id", .equal, id)
            .first(decoding: IdentityRow.self, with: .snakeCase)?.identity()
    }

    func list() async throws -> [Identity] {
        try await database.select().column(IdentityRow.columnList).from("identities").orderBy("name")
            .all(decoding: IdentityRow.self, with: .snakeCase).compactMap { $0.identity() }
    }

    func update(_ identity: Identity) async throws {
        try await database.update("identities")
            .set("display_name", to: identity.displayName).set("role", to: identity.role)
            .set("enabled", to: identity.enabled ? 1 : 0).set("allowed_tags", to: IdentityRow(identity).allowedTags)
            .where("id", .equal, identity.id).run()
    }

    func passwordHash(identityId: String) async throws -> String? {
        try await database.select().column("password_hash").from("identities").where("id", .equal, identityId)
            .first()?.decode(column: "password_hash", as: String?.self)
    }

    func identityIdsWithPassword() async throws -> Set<String> {
        Set(try await database.select().column("id").from("identities").where("password_hash", .isNot, SQLLiteral.null)
            .all().map { try $0.decode(column: "id", as: String.self) })
    }

    func setPasswordHash(_ hash: String?, identityId: String) async throws {
        try await database.update("identities").set("password_hash", to: hash).where("id", .equal, identityId).run()
    }

    func insert(_ token: TokenRecord) async throws {
        try await RowInsert(into: "tokens", row: TokenRow(token)).run(on: database)
    }

    func identity(forTokenHash hash: String) async throws -> (Identity, TokenRecord)? {
        // One statement: every API request starts with it, and PostgreSQL (which keeps no read cache) pays a round
        // trip for each.
        guard
            let row = try await database.raw("""
                SELECT \(unsafeRaw: Self.tokenAndIdentityColumns) FROM tokens t JOIN identities i ON i.id = t.identity_id
                WHERE t.token_hash = \(bind: hash) AND t.revoked_at IS NULL AND i.enabled = 1
                """).first(),
            let identity = try row.decode(model: IdentityRow.self, with: .snakeCase).identity()
        else { return nil }
        return (identity, try row.decode(model: TokenRow.self, with: Self.joinedToken).record())
    }

    /// The identity's columns (as `IdentityRow` decodes them) and the token's, each named with `token_` before it.
    private static let tokenAndIdentityColumns = (IdentityRow.columns.map { "i.\($0)" } + TokenRow.columns.map { "t.\($0) AS token_\($0)" })
        .joined(separator: ", ")
    private static let joinedToken = SQLRowDecoder(prefix: "token_", keyDecodingStrategy: .custom(ColumnNames.key(for:)))

    func tokens(identityId: String?) async throws -> [TokenRecord] {
        let query = database.select().column(ColumnNames.list(TokenRow.columns)).from("tokens")
            .orderBy("created_at", .descending).orderBy("id")
        if let identityId { query.where("identity_id", .equal, identityId) }
        return try await query.all(decoding: TokenRow.self, with: .snakeCase).map { $0.record() }
    }

    func token(id: String) async throws -> TokenRecord? {
        try await database.select().column(ColumnNames.list(TokenRow.columns)).from("tokens").where("id", .equal, id)
            .first(decoding: TokenRow.self, with: .snakeCase)?.record()
    }

    func revoke(tokenId: String, at date: Date) async throws -> Bool {
        let rows = try await database.update("tokens").set("revoked_at", to: Timestamp.milliseconds(date))
            .where("id", .equal, tokenId).where("revoked_at", .is, SQLLiteral.null)
            .returning("id").all()
        return !rows.isEmpty
    }

    func revokeTokens(identityId: String, except kept: String?, at date: Date) async throws -> Int {
        var update = database.update("tokens").set("revoked_at", to: Timestamp.milliseconds(date))
            .where("identity_id", .equal, identityId).where("revoked_at", .is, SQLLiteral.null)
        if let kept { update = update.where("id", .notEqual, kept) }
        return try await update.returning("id").all().count
    }

    func revokeTokens(issuedBy issuer: String, at date: Date) async throws -> Int {
        try await database.update("tokens").set("revoked_at", to: Timestamp.milliseconds(date))
            .where("issued_by", .equal, issuer).where("revoked_at", .is, SQLLiteral.null)
            .returning("id").all().count
    }

    func recordUse(tokenId: String, at date: Date) async throws {
        try await database.update("tokens").set("last_used_at", to: Timestamp.milliseconds(date))
            .where("id", .equal, tokenId).run()
    }
}

struct IdentityRow: Codable {
    /// Every column but the password hash, which only a sign-in reads.
    static let columns = ["id", "name", "display_name", "kind", "role", "enabled", "created_at", "allowed_tags"]
    static let columnList = ColumnNames.list(columns)

    var id: String
    var name: String
    var displayName: String
    var kind: String
    var role: String
    var enabled: Int
    var createdAt: Int64
    var passwordHash: String?
    /// A JSON list of tags, or null.
    var allowedTags: String?

    init(_ identity: Identity) {
        id = identity.id
        name = identity.name
        displayName = identity.displayName
        kind = identity.kind.rawValue
        role = identity.role
        enabled = identity.enabled ? 1 : 0
        createdAt = Timestamp.milliseconds(identity.createdAt)
        allowedTags = identity.allowedTags.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    func identity() -> Identity? {
        guard let kind = Identity.Kind(rawValue: kind) else { return nil }
        return Identity(
            id: id, name: name, displayName: displayName, kind: kind, role: role, enabled: enabled != 0,
            createdAt: Timestamp.date(createdAt),
            allowedTags: allowedTags.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) })
    }
}

struct TokenRow: Codable {
    static let columns = [
        "id", "identity_id", "name", "token_hash", "created_at", "expires_at", "revoked_at", "last_used_at", "issued_by",
    ]

    var id: String
    var identityId: String
    var name: String
    var tokenHash: String
    var createdAt: Int64
    var expiresAt: Int64?
    var revokedAt: Int64?
    var lastUsedAt: Int64?
    var issuedBy: String?

    init(_ token: TokenRecord) {
        id = token.id
        identityId = token.identityId
        name = token.name
        tokenHash = token.tokenHash
        createdAt = Timestamp.milliseconds(token.createdAt)
        expiresAt = token.expiresAt.map(Timestamp.milliseconds)
        revokedAt = token.revokedAt.map(Timestamp.milliseconds)
        lastUsedAt = token.lastUsedAt.map(Timestamp.milliseconds)
        issuedBy = token.issuedBy
    }

    func record() -> TokenRecord {
        TokenRecord(
            id: id, identityId: identityId, name: name, tokenHash: tokenHash, createdAt: Timestamp.date(createdAt),
            expiresAt: expiresAt.map(Timestamp.date), revokedAt: revokedAt.map(Timestamp.date),
            lastUsedAt: lastUsedAt.map(Timestamp.date), issuedBy: issuedBy)
    }
}
