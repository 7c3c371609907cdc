import Foundation
import HitchDomain
import SQLKit

struct SQLConnectionRepository: ConnectionRepository {
    let database: any SQLDatabase

    private static let columns = [
        "id", "name", "kind", "description", "display_name", "tags", "fields", "credential_version", "revision", "status",
        "status_stage", "status_message", "status_at", "status_duration_ms", "last_ok_at", "last_failure_at",
        "expires_at", "expires_what", "platform_created_at", "created_at", "created_by", "updated_at", "updated_by", "max_secret_age_days", "credential_created_at", "auto_rotate",
        "check_every_seconds",
    ] + WatchColumns.columns
    private static let columnList = ColumnNames.list(columns)

    func find(name: String) async throws -> ConnectionRecord? {
        try await find(where: "name", is: name, lock: nil)
    }

    func find(name: String, lock: RowLock) async throws -> ConnectionRecord? {
        try await find(where: "name", is: name, lock: lock)
    }

    func find(id: String) async throws -> ConnectionRecord? {
        try await find(where: "id", is: id, lock: nil)
    }

    func find(id: String, lock: RowLock) async throws -> ConnectionRecord? {
        try await find(where: "id", is: id, lock: lock)
    }

    private func find(where column: String, is value: String, lock: RowLock?) async throws -> ConnectionRecord? {
        let query = selectRecords().where(SQLIdentifier(column), .equal, SQLBind(value))
        switch lock {
        case .share?: query.for(.share)
        case .update?: query.for(.update)
        case nil: break
        }
        return try await query.first().map(Self.record)
    }

    /// The connections' columns, and the names of each one's secret fields in one more column, so that a read is one
    /// statement. Field names come from the kind's schema, and none holds a comma.
    private func selectRecords() -> SQLSelectBuilder {
        let aggregate: SQLQueryString = database.dialect.name == "postgresql" ? "string_agg(field, ',')" : "group_concat(field, ',')"
        return database.select().column(Self.columnList)
            .column("(SELECT \(aggregate) FROM connection_secrets WHERE connection_secrets.connection_id = connections.id) AS secret_fields" as SQLQueryString)
            .from("connections")
    }

    private static func record(_ row: any SQLRow) throws -> ConnectionRecord {
        let secretFields = try row.decode(column: "secret_fields", as: String?.self)?.split(separator: ",").map(String.init)
        return try ConnectionRow.decode(row).record(secretFields: Set(secretFields ?? []), watch: try WatchColumns.decode(row))
    }

    func destinationInputs() async throws -> [ConnectionDestinationInput] {
        try await destinationInputs(ids: nil, names: nil)
    }

    func destinationInputs(ids: [String]) async throws -> [ConnectionDestinationInput] {
        try await destinationInputs(ids: ids, names: nil)
    }

    func destinationInputs(names: [String]) async throws -> [ConnectionDestinationInput] {
        try await destinationInputs(ids: nil, names: names)
    }

    private func destinationInputs(ids: [String]?, names: [String]?) async throws -> [ConnectionDestinationInput] {
        if ids?.isEmpty == true || names?.isEmpty == true { return [] }
        struct Row: Decodable {
            let id: String
            let name: String
            let kind: String
            let fields: String
            let credentialVersion: Int
        }
        let query = database.select().columns("id", "name", "kind", "fields", "credential_version").from("connections")
        if let ids { query.where("id", .in, ids) }
        if let names { query.where("name", .in, names) }
        return try await query.orderBy("name").all(decoding: Row.self, with: .snakeCase).map { row in
                guard let kind = ConnectionKind(rawValue: row.kind) else {
                    throw StorageError.corrupt("connection \(row.id) has an unknown kind '\(row.kind)'")
                }
                return ConnectionDestinationInput(
                    id: row.id, name: row.name, kind: kind, fields: try JSONText.decode(row.fields), credentialVersion: row.credentialVersion)
            }
    }

    func list(_ filter: ConnectionFilter) async throws -> [ConnectionRecord] {
        // SQL narrows the rows with LIKE; `filter.matches` then decides exactly, since `_` and `%` in a tag or
        // in the searched text are LIKE wildcards.
        let query = selectRecords().orderBy("name")
        if let kind = filter.kind { query.where("kind", .equal, kind.rawValue) }
        if filter.autoRotating { query.where("auto_rotate", .equal, 1) }
        // `KEY:` alone matches any tag of that key (`environment:` finds environment:prod and environment:dev).
        for tag in filter.tags { query.where("tags", .like, tag.hasSuffix(":") ? "%\"\(tag)%" : "%\"\(tag)\"%") }
        if let text = filter.text?.lowercased(), !text.isEmpty {
            let pattern = "%\(text)%"
            query.where { group in
                group.where(SQLFunction("LOWER", args: SQLColumn("name")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("description")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("display_name")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("tags")), .like, SQLBind(pattern))
            }
        }
        return try await query.all().map(Self.record).filter(filter.matches)
    }

    func saveStatus(
        _ status: ConnectionStatus, certificates: RememberedCertificates?, connectionId: String, testedVersion: Int
    ) async throws -> Bool {
        var columns: [(String, (any Encodable & Sendable)?)] = [
            ("status", status.state), ("status_stage", status.stage), ("status_message", status.message),
            ("status_at", status.at.map(Timestamp.milliseconds)), ("status_duration_ms", status.durationMilliseconds),
            ("status_since", status.since.map(Timestamp.milliseconds)), ("status_revision", status.revision),
        ]
        if let certificates { columns += Self.columns(of: certificates) }
        if let ok = status.lastOkAt { columns.append(("last_ok_at", Timestamp.milliseconds(ok))) }
        if let failure = status.lastFailureAt { columns.append(("last_failure_at", Timestamp.milliseconds(failure))) }
        // A test that heard of no expiry (one that failed before it could) keeps what an earlier one heard.
        if let expiresAt = status.expiresAt {
            columns += [("expires_at", Timestamp.milliseconds(expiresAt)), ("expires_what", status.expiresWhat)]
        }
        if let created = status.platformCreatedAt { columns.append(("platform_created_at", Timestamp.milliseconds(created))) }
        let update = try RowUpdate(
            "connections", values: columns,
            where: "id = \(bind: connectionId) AND credential_version = \(bind: testedVersion) RETURNING id")
        let rows = try await database.raw(update.statement).all()
        return !rows.isEmpty
    }

    func saveCertificates(_ certificates: RememberedCertificates, connectionId: String) async throws {
        try await database.raw(RowUpdate("connections", values: Self.columns(of: certificates), where: "id = \(bind: connectionId)").statement).run()
    }

    private static func columns(of certificates: RememberedCertificates) -> [(String, (any Encodable & Sendable)?)] {
        [
            ("known_cert_thumbprint", certificates.known?.thumbprint),
            ("known_cert_subject", certificates.known?.subject),
            ("known_cert_not_after", certificates.known.map { Timestamp.milliseconds($0.notAfter) }),
            ("offered_cert_thumbprint", certificates.offered?.thumbprint),
            ("offered_cert_subject", certificates.offered?.subject),
            ("offered_cert_not_after", certificates.offered.map { Timestamp.milliseconds($0.notAfter) }),
        ]
    }

    func insert(_ record: ConnectionRecord, secrets: [StoredSecret], version: CredentialVersionRecord) async throws {
        let connection = try RowInsert(into: "connections", row: ConnectionRow(record))
        if isPostgres {
            try await insertTogether(
                [connection, try secretsInsert(secrets, connectionId: record.id), try versionInsert(version, connectionId: record.id)],
                holding: secrets)
            return
        }
        try await connection.run(on: database)
        try await insertSecrets(secrets, connectionId: record.id)
        try await versionInsert(version, connectionId: record.id).run(on: database)
    }

    func update(
        _ record: ConnectionRecord, expectedRevision: Int, secrets: [StoredSecret], version: CredentialVersionRecord?
    ) async throws -> Bool {
        let update = try RowUpdate(
            "connections", set: ConnectionRow(record),
            where: "id = \(bind: record.id) AND revision = \(bind: expectedRevision) RETURNING id")
        if isPostgres {
            // The row's update, and the inserts only when it matched the revision, in one statement.
            let matched: SQLQueryString = "EXISTS (SELECT 1 FROM updated)"
            return try await insertTogether(
                [try secretsInsert(secrets, connectionId: record.id, onlyIf: matched),
                 try version.map { try versionInsert($0, connectionId: record.id).onlyIf(matched) }],
                holding: secrets, after: update)
        }
        let updated = try await database.raw(update.statement).all()
        guard !updated.isEmpty else { return false }
        try await insertSecrets(secrets, connectionId: record.id)
        if let version { try await versionInsert(version, connectionId: record.id).run(on: database) }
        return true
    }

    func delete(id: String) async throws -> Bool {
        // Secrets and versions go first and explicitly, not only by cascade, so nothing is left if a backend
        // runs without foreign key enforcement.
        try await database.delete(from: "connection_secrets").where("connection_id", .equal, id).run()
        try await database.delete(from: "credential_versions").where("connection_id", .equal, id).run()
        for table in ["auto_rotations", "scheduled_checks", "test_results"] {
            try await database.delete(from: table).where("connection_id", .equal, id).run()
        }
        try await SQLInventoryRepository(database: database).delete(connectionId: id)
        try await SQLPreflightRepository(database: database).delete(connectionId: id)
        let deleted = try await database.delete(from: "connections").where("id", .equal, id).returning("id").all()
        return !deleted.isEmpty
    }

    /// Only the migration that binds secrets to destinations calls this, before the keyring is in the database.
    func replaceSecrets(_ secrets: [StoredSecret], connectionId: String) async throws {
        try await insertSecrets(secrets, connectionId: connectionId, checkingKeyring: false)
    }

    func wrapped(below version: Int, after: (connectionId: String, field: String)?, limit: Int) async throws -> [WrappedSecret] {
        let query = database.select()
            .columns("connection_id", "field", "credential_version", "master_key_version", "wrapped_key", "ciphertext")
            .from("connection_secrets").where("master_key_version", .lessThan, version)
        if let after {
            query.where { group in
                group.where("connection_id", .greaterThan, after.connectionId).orWhere { same in
                    same.where("connection_id", .equal, after.connectionId).where("field", .greaterThan, after.field)
                }
            }
        }
        return try await query.orderBy("connection_id").orderBy("field").limit(limit).for(.update)
            .all(decoding: SecretRow.self, with: .snakeCase)
            .map { WrappedSecret(connectionId: $0.connectionId ?? "", secret: try $0.stored()) }
    }

    func rewrap(connectionId: String, expected: StoredSecret, to rewrapped: StoredSecret) async throws -> Bool {
        try await !database.update("connection_secrets")
            .set("master_key_version", to: rewrapped.masterKeyVersion)
            .set("wrapped_key", to: rewrapped.wrappedKey.base64EncodedString())
            .where("connection_id", .equal, connectionId).where("field", .equal, expected.field)
            .where("master_key_version", .equal, expected.masterKeyVersion)
            .where("wrapped_key", .equal, expected.wrappedKey.base64EncodedString())
            .returning("field").all().isEmpty
    }

    func secrets(connectionId: String) async throws -> [StoredSecret] {
        try await secrets(connectionIds: [connectionId])[connectionId] ?? []
    }

    func secrets(connectionIds: [String]) async throws -> [String: [StoredSecret]] {
        var secrets: [String: [StoredSecret]] = [:]
        for start in stride(from: 0, to: connectionIds.count, by: Self.idsPerQuery) {
            let ids = Array(connectionIds[start..<min(start + Self.idsPerQuery, connectionIds.count)])
            let rows = try await database.select()
                .columns("connection_id", "field", "credential_version", "master_key_version", "wrapped_key", "ciphertext")
                .from("connection_secrets").where("connection_id", .in, ids).orderBy("connection_id").orderBy("field")
                .all(decoding: SecretRow.self, with: .snakeCase)
            for row in rows { secrets[row.connectionId ?? "", default: []].append(try row.stored()) }
        }
        return secrets
    }

    /// Bound parameters per `IN` list, well under SQLite's and PostgreSQL's limits.
    private static let idsPerQuery = 500

    func versions(connectionId: String) async throws -> [CredentialVersionRecord] {
        try await database.select()
            .columns("version", "created_at", "actor_id", "actor_name", "changed_fields")
            .from("credential_versions").where("connection_id", .equal, connectionId).orderBy("version")
            .all(decoding: VersionRow.self, with: .snakeCase)
            .map { try $0.record() }
    }

    private var isPostgres: Bool { database.dialect.name == "postgresql" }

    /// PostgreSQL: the rows of a write go in as one statement, each table's insert a data-modifying WITH, beside the
    /// keyring check that locks the versions wrapping `secrets` (FOR KEY SHARE, until the transaction ends): one
    /// round trip instead of one per table and one for the check. When a version is gone, the rows were written in
    /// the statement, and the error thrown rolls the whole transaction back, so nothing is saved. An `update` (with
    /// RETURNING) goes first, as the WITH named `updated`, for inserts that name it in their condition; false when it
    /// changed no row.
    @discardableResult
    private func insertTogether(_ inserts: [RowInsert?], holding secrets: [StoredSecret], after update: RowUpdate? = nil) async throws -> Bool {
        let inserts = inserts.compactMap { $0 }
        let versions = Set(secrets.map(\.masterKeyVersion))
        guard !inserts.isEmpty || update != nil else { return true }
        var parts: [SQLQueryString] = []
        if let update { parts.append("updated AS (" + update.statement + ")") }
        if !versions.isEmpty { parts.append("held AS (" + SQLKeyringRepository.dataVersions(versions, locked: true) + ")") }
        for (index, insert) in inserts.enumerated() {
            let name = "written_\(index) AS ("
            parts.append(SQLQueryString(name) + insert.statement + ")")
        }
        var statement: SQLQueryString = "WITH "
        for (index, part) in parts.enumerated() {
            if index > 0 { statement.appendLiteral(", ") }
            statement += part
        }
        statement.appendLiteral(versions.isEmpty ? " SELECT 0 AS held" : " SELECT (SELECT count(*) FROM held) AS held")
        if update != nil { statement.appendLiteral(", (SELECT count(*) FROM updated) AS updated") }
        guard let row = try await database.raw(statement).first() else { return false }
        if update != nil, try row.decode(column: "updated", as: Int.self) == 0 { return false }
        if try row.decode(column: "held", as: Int.self) != versions.count { try await Self.keyringChanged(versions, in: database) }
        return true
    }

    /// Throws that a version wrapping the secrets was retired meanwhile, naming it when it is known.
    private static func keyringChanged(_ versions: Set<Int>, in database: any SQLDatabase) async throws -> Never {
        try await SQLKeyringRepository.requireDataVersions(versions, in: database)
        throw StorageError(code: .keyVersionRetired, message: "the keyring changed meanwhile; nothing was saved: try again")
    }

    private func secretsInsert(_ secrets: [StoredSecret], connectionId: String, onlyIf condition: SQLQueryString? = nil) throws -> RowInsert? {
        guard !secrets.isEmpty else { return nil }
        let insert = try RowInsert(into: "connection_secrets", rows: secrets.map { SecretRow($0, connectionId: connectionId) })
        return Self.upsertingSecrets(condition.map(insert.onlyIf) ?? insert)
    }

    /// Inserts the secrets, or replaces the stored ones of the same fields, in one statement, once the keyring
    /// still holds the master key versions that wrap them.
    private func insertSecrets(_ secrets: [StoredSecret], connectionId: String, checkingKeyring: Bool = true) async throws {
        guard !secrets.isEmpty else { return }
        let versions = Set(secrets.map(\.masterKeyVersion))
        var insert = try RowInsert(into: "connection_secrets", rows: secrets.map { SecretRow($0, connectionId: connectionId) })
        if checkingKeyring, database.dialect.name == "sqlite" {
            // SQLite's one writer holds the file's write lock from BEGIN IMMEDIATE, so the keyring cannot change
            // between check and write: the check goes into the insert, one statement (and thread hop) fewer on every
            // write of a secret. When it finds a version gone, nothing is written, and the check says which.
            insert = insert.onlyIf(SQLKeyringRepository.holdsDataVersions(versions))
            let written = try await database.raw(Self.upsertingSecrets(insert).statement + " RETURNING field").all()
            if written.count != secrets.count { try await Self.keyringChanged(versions, in: database) }
            return
        }
        if checkingKeyring { try await SQLKeyringRepository.requireDataVersions(versions, in: database) }
        try await Self.upsertingSecrets(insert).run(on: database)
    }

    private static func upsertingSecrets(_ insert: RowInsert) -> RowInsert {
        insert.then("""
            ON CONFLICT (connection_id, field) DO UPDATE SET credential_version = excluded.credential_version, \
            master_key_version = excluded.master_key_version, wrapped_key = excluded.wrapped_key, \
            ciphertext = excluded.ciphertext
            """)
    }

    private func versionInsert(_ version: CredentialVersionRecord, connectionId: String) throws -> RowInsert {
        try RowInsert(into: "credential_versions", row: try VersionRow(version, connectionId: connectionId))
    }
}

extension ConnectionFilter {
    func matches(_ record: ConnectionRecord) -> Bool {
        if let kind, record.kind != kind { return false }
        if autoRotating, !record.autoRotate { return false }
        if !tags.allSatisfy({ tag in record.tags.contains { tag.hasSuffix(":") ? $0.hasPrefix(tag) : $0 == tag } }) { return false }
        if let text = text?.lowercased(), !text.isEmpty {
            let haystacks = [record.name, record.description, record.displayName] + record.tags
            return haystacks.contains { $0.lowercased().contains(text) }
        }
        return true
    }
}

extension SQLRowDecoder {
    /// SQLKit's `convertFromSnakeCase`, with each key's column name converted once and kept.
    static let snakeCase = SQLRowDecoder(keyDecodingStrategy: .custom(ColumnNames.key(for:)))
}
