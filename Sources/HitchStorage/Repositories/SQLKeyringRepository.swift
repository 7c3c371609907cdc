import Foundation
import SQLKit

struct SQLKeyringRepository: KeyringRepository {
    let database: any SQLDatabase

    static let columns = ["purpose", "version", "sealed_key", "kek", "chain_version", "chained_key", "created_at", "created_by"]

    static let columnList = ColumnNames.list(columns)

    func all() async throws -> [KeyringKeyRecord] {
        try await database.select().column(Self.columnList).from("keyring_keys").orderBy("purpose").orderBy("version")
            .all(decoding: KeyringRow.self, with: .snakeCase).map { try $0.record() }
    }

    /// `FOR NO KEY UPDATE`: key changes take turns, while writes that hold a version (`FOR KEY SHARE`) go on.
    func allLocked() async throws -> [KeyringKeyRecord] {
        let query = database.select().column(Self.columnList).from("keyring_keys").orderBy("purpose").orderBy("version")
        if database.dialect.name != "sqlite" { query.lockingClause(SQLRaw("FOR NO KEY UPDATE")) }
        return try await query.all(decoding: KeyringRow.self, with: .snakeCase).map { try $0.record() }
    }

    func insert(_ key: KeyringKeyRecord) async throws {
        try await RowInsert(into: "keyring_keys", row: KeyringRow(key)).run(on: database)
    }

    func reseal(purpose: String, version: Int, sealedKey: Data, kek: String) async throws {
        try await database.update("keyring_keys").set("sealed_key", to: sealedKey.base64EncodedString()).set("kek", to: kek)
            .where("purpose", .equal, purpose).where("version", .equal, version).run()
    }

    func delete(purpose: String, version: Int) async throws -> Bool {
        try await !database.delete(from: "keyring_keys").where("purpose", .equal, purpose).where("version", .equal, version)
            .returning("version").all().isEmpty
    }

    func hold(dataVersion version: Int) async throws {
        try await Self.requireDataVersions([version], in: database)
    }

    func hasWrapped(below version: Int) async throws -> Bool {
        let secret = try await database.select().column("field").from("connection_secrets")
            .where("master_key_version", .lessThan, version).limit(1).first()
        if secret != nil { return true }
        let webhook = try await database.select().column("id").from("webhooks")
            .where("master_key_version", .lessThan, version).limit(1).first()
        if webhook != nil { return true }
        return try await database.select().column("id").from("leases").where("handle_ciphertext", .isNot, SQLLiteral.null)
            .where("handle_master_key_version", .lessThan, version).limit(1).first() != nil
    }

    func usage() async throws -> [Int: KeyUsage] {
        var usage: [Int: KeyUsage] = [:]
        for row in try await database.raw(
            "SELECT master_key_version AS version, COUNT(*) AS n FROM connection_secrets GROUP BY master_key_version"
        ).all() {
            usage[try row.decode(column: "version", as: Int.self), default: KeyUsage()].secrets = try row.decode(column: "n", as: Int.self)
        }
        // A webhook's signing secret counts as a secret.
        for row in try await database.raw(
            "SELECT master_key_version AS version, COUNT(*) AS n FROM webhooks GROUP BY master_key_version"
        ).all() {
            usage[try row.decode(column: "version", as: Int.self), default: KeyUsage()].secrets += try row.decode(column: "n", as: Int.self)
        }
        for row in try await database.raw("""
            SELECT handle_master_key_version AS version, COUNT(*) AS n FROM leases
            WHERE handle_ciphertext IS NOT NULL GROUP BY handle_master_key_version
            """).all()
        {
            usage[try row.decode(column: "version", as: Int.self), default: KeyUsage()].leaseHandles = try row.decode(column: "n", as: Int.self)
        }
        return usage
    }

    /// The data key versions of `versions` still in the keyring; `locked` (PostgreSQL) holds them `FOR KEY SHARE`
    /// until the transaction ends, so that none is retired before the secrets they wrap are committed. Plain SQL
    /// rather than a builder: it runs on every write of a secret, inside SQLite's one writer.
    static func dataVersions(_ versions: Set<Int>, locked: Bool) -> SQLQueryString {
        var query: SQLQueryString = "SELECT version FROM keyring_keys WHERE purpose = 'data' AND version IN (\(binds: versions.sorted().map { $0 as any Encodable & Sendable }))"
        if locked { query.appendLiteral(" FOR KEY SHARE") }
        return query
    }

    /// True, as the statement it is part of runs, when the keyring holds every data key version in `versions`.
    static func holdsDataVersions(_ versions: Set<Int>) -> SQLQueryString {
        "(SELECT count(*) FROM (" + dataVersions(versions, locked: false) + ") AS held) = \(bind: versions.count)"
    }

    /// Fails unless every data key version in `versions` is still in the keyring, and holds them there until the
    /// transaction ends (`FOR KEY SHARE` on PostgreSQL; SQLite has one writer): a retire that deletes one waits, and
    /// then counts what was written with it. So nothing is ever stored wrapped by a retired version.
    static func requireDataVersions(_ versions: Set<Int>, in database: any SQLDatabase) async throws {
        guard !versions.isEmpty else { return }
        let query = dataVersions(versions, locked: database.dialect.name != "sqlite")
        let found = Set(try await database.raw(query).all().map { try $0.decode(column: "version", as: Int.self) })
        if let missing = versions.subtracting(found).min() {
            throw StorageError(
                code: .keyVersionRetired,
                message: "master key version \(missing) was retired meanwhile; nothing was saved: try again")
        }
    }
}

struct KeyringRow: Codable {
    var purpose: String
    var version: Int
    var sealedKey: String
    var kek: String
    var chainVersion: Int?
    var chainedKey: String?
    var createdAt: Int64
    var createdBy: String

    init(_ key: KeyringKeyRecord) {
        purpose = key.purpose
        version = key.version
        sealedKey = key.sealedKey.base64EncodedString()
        kek = key.kek
        chainVersion = key.chainVersion
        chainedKey = key.chainedKey?.base64EncodedString()
        createdAt = Timestamp.milliseconds(key.createdAt)
        createdBy = key.createdBy
    }

    func record() throws -> KeyringKeyRecord {
        guard let sealed = Data(base64Encoded: sealedKey) else { throw StorageError.corrupt("keyring key \(purpose)/\(version) is not valid base64") }
        let chained = try chainedKey.map { text in
            guard let data = Data(base64Encoded: text) else { throw StorageError.corrupt("keyring key \(purpose)/\(version) is not valid base64") }
            return data
        }
        return KeyringKeyRecord(
            purpose: purpose, version: version, sealedKey: sealed, kek: kek, chainVersion: chainVersion, chainedKey: chained,
            createdAt: Timestamp.date(createdAt), createdBy: createdBy)
    }
}
