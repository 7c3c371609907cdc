import Foundation
import SQLKit

struct SQLLeaseRepository: LeaseRepository {
    let database: any SQLDatabase

    func insert(_ lease: LeaseRecord) async throws {
        if let handle = lease.handle {
            try await SQLKeyringRepository.requireDataVersions([handle.masterKeyVersion], in: database)
        }
        try await RowInsert(into: "leases", row: LeaseRow(lease)).run(on: database)
    }

    func find(id: String) async throws -> LeaseRecord? {
        try await database.select().column(LeaseRow.columnList).from("leases").where("id", .equal, id)
            .first(decoding: LeaseRow.self, with: .snakeCase)?.record()
    }

    func list(_ filter: LeaseFilter, limit: Int) async throws -> [LeaseRecord] {
        let query = database.select().column(LeaseRow.columnList).from("leases")
        if let connectionId = filter.connectionId { query.where("connection_id", .equal, connectionId) }
        if let consumerId = filter.consumerId { query.where("consumer_id", .equal, consumerId) }
        if filter.activeOnly { query.where("ended_at", .is, SQLLiteral.null) }
        return try await query.orderBy("issued_at", .descending).orderBy("id").limit(limit)
            .all(decoding: LeaseRow.self, with: .snakeCase).map { try $0.record() }
    }

    func end(id: String, reason: LeaseRecord.EndReason, at date: Date) async throws -> LeaseRecord? {
        try await claim(where: "id = \(bind: id)", reason: reason, at: date).first
    }

    func endActive(
        connectionId: String, olderThan version: Int?, reason: LeaseRecord.EndReason, at date: Date
    ) async throws -> [LeaseRecord] {
        var condition: SQLQueryString = "connection_id = \(bind: connectionId)"
        if let version {
            condition.appendLiteral(" AND credential_version < ")
            condition.appendInterpolation(bind: version)
        }
        return try await claim(where: condition, reason: reason, at: date)
    }

    func endActive(jobId: String, reason: LeaseRecord.EndReason, at date: Date) async throws -> [LeaseRecord] {
        try await claim(where: "job_id = \(bind: jobId)", reason: reason, at: date)
    }

    func hasExpired(at date: Date) async throws -> Bool {
        try await expired(at: date, limit: 1).isEmpty == false
    }

    func endExpired(at date: Date, limit: Int) async throws -> [LeaseRecord] {
        let due = try await expired(at: date, limit: limit)
        guard !due.isEmpty else { return [] }
        return try await claim(where: "id IN (\(binds: due))", reason: .expired, at: date)
    }

    private func expired(at date: Date, limit: Int) async throws -> [String] {
        try await database.select().column("id").from("leases")
            .where("ended_at", .is, SQLLiteral.null).where("expires_at", .lessThanOrEqual, Timestamp.milliseconds(date))
            .orderBy("expires_at").limit(limit).all().map { try $0.decode(column: "id", as: String.self) }
    }

    func hasPendingHandles() async throws -> Bool {
        try await pending(ids: nil, limit: 1).isEmpty == false
    }

    func claimHandles(ids: [String]?, limit: Int) async throws -> [LeaseRecord] {
        if let ids, ids.isEmpty { return [] }
        let candidates = try await pending(ids: ids, limit: limit)
        guard !candidates.isEmpty else { return [] }
        // RETURNING shows the cleared row, so the handles come from the read; the update decides who holds them.
        let claimed = try await database.update("leases")
            .set("handle_master_key_version", to: SQLLiteral.null).set("handle_wrapped_key", to: SQLLiteral.null)
            .set("handle_ciphertext", to: SQLLiteral.null)
            .where("id", .in, candidates.map(\.id)).where("handle_ciphertext", .isNot, SQLLiteral.null)
            .returning(SQLColumn("id")).all().map { try $0.decode(column: "id", as: String.self) }
        return candidates.filter { Set(claimed).contains($0.id) }
    }

    func handles(below version: Int, after: String?, limit: Int) async throws -> [LeaseRecord] {
        let query = database.select().column(LeaseRow.columnList).from("leases")
            .where("handle_ciphertext", .isNot, SQLLiteral.null).where("handle_master_key_version", .lessThan, version)
        if let after { query.where("id", .greaterThan, after) }
        return try await query.orderBy("id").limit(limit).for(.update)
            .all(decoding: LeaseRow.self, with: .snakeCase).map { try $0.record() }
    }

    func rewrapHandle(leaseId: String, expected: StoredSecret, to rewrapped: StoredSecret) async throws -> Bool {
        try await !database.update("leases")
            .set("handle_master_key_version", to: rewrapped.masterKeyVersion)
            .set("handle_wrapped_key", to: rewrapped.wrappedKey.base64EncodedString())
            .where("id", .equal, leaseId).where("handle_master_key_version", .equal, expected.masterKeyVersion)
            .where("handle_wrapped_key", .equal, expected.wrappedKey.base64EncodedString())
            .returning("id").all().isEmpty
    }

    private func pending(ids: [String]?, limit: Int) async throws -> [LeaseRecord] {
        let query = database.select().column(LeaseRow.columnList).from("leases")
            .where("handle_ciphertext", .isNot, SQLLiteral.null).where("ended_at", .isNot, SQLLiteral.null)
        if let ids { query.where("id", .in, ids) }
        return try await query.orderBy("ended_at").limit(limit).all(decoding: LeaseRow.self, with: .snakeCase).map { try $0.record() }
    }

    /// Ends the active leases `update` selects, in one statement: of several servers, only the one whose update
    /// changed a row ends that lease on the platform.
    /// Ends the active leases that `condition` selects, and returns them as ended: whoever's update ends a lease
    /// holds it. Plain SQL rather than a builder: every rotation runs it inside SQLite's one writer.
    private func claim(where condition: SQLQueryString, reason: LeaseRecord.EndReason, at date: Date) async throws -> [LeaseRecord] {
        let query: SQLQueryString = "UPDATE leases SET ended_at = \(bind: Timestamp.milliseconds(date)), end_reason = \(bind: reason.rawValue) WHERE ("
            + condition + ") AND ended_at IS NULL RETURNING \(LeaseRow.columnList)"
        return try await database.raw(query).all(decoding: LeaseRow.self, with: .snakeCase).map { try $0.record() }
    }
}

struct LeaseRow: Codable {
    static let columns = [
        "id", "connection_id", "connection_name", "kind", "credential_version", "consumer_id", "consumer_name", "job_id",
        "scope", "issued_at", "expires_at", "ended_at", "end_reason", "handle_master_key_version", "handle_wrapped_key",
        "handle_ciphertext",
    ]
    static let columnList = ColumnNames.list(columns)

    var id: String
    var connectionId: String
    var connectionName: String
    var kind: String
    var credentialVersion: Int
    var consumerId: String
    var consumerName: String
    var jobId: String?
    var scope: String?
    var issuedAt: Int64
    var expiresAt: Int64
    var endedAt: Int64?
    var endReason: String?
    var handleMasterKeyVersion: Int?
    var handleWrappedKey: String?
    var handleCiphertext: String?

    init(_ lease: LeaseRecord) {
        id = lease.id
        connectionId = lease.connectionId
        connectionName = lease.connectionName
        kind = lease.kind
        credentialVersion = lease.credentialVersion
        consumerId = lease.consumerId
        consumerName = lease.consumerName
        jobId = lease.jobId
        scope = lease.scope
        issuedAt = Timestamp.milliseconds(lease.issuedAt)
        expiresAt = Timestamp.milliseconds(lease.expiresAt)
        endedAt = lease.endedAt.map(Timestamp.milliseconds)
        endReason = lease.endReason?.rawValue
        handleMasterKeyVersion = lease.handle?.masterKeyVersion
        handleWrappedKey = lease.handle?.wrappedKey.base64EncodedString()
        handleCiphertext = lease.handle?.ciphertext.base64EncodedString()
    }

    func record() throws -> LeaseRecord {
        var handle: StoredSecret?
        if let version = handleMasterKeyVersion, let wrapped = handleWrappedKey.flatMap({ Data(base64Encoded: $0) }),
            let ciphertext = handleCiphertext.flatMap({ Data(base64Encoded: $0) })
        {
            handle = StoredSecret(
                field: "handle", credentialVersion: credentialVersion, masterKeyVersion: version, wrappedKey: wrapped,
                ciphertext: ciphertext)
        }
        return LeaseRecord(
            id: id, connectionId: connectionId, connectionName: connectionName, kind: kind,
            credentialVersion: credentialVersion, consumerId: consumerId, consumerName: consumerName, jobId: jobId,
            scope: scope, issuedAt: Timestamp.date(issuedAt), expiresAt: Timestamp.date(expiresAt),
            endedAt: endedAt.map(Timestamp.date), endReason: endReason.flatMap(LeaseRecord.EndReason.init(rawValue:)),
            handle: handle)
    }
}
