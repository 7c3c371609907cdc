import Foundation
import SQLKit

struct SQLAuditRepository: AuditRepository {
    let database: any SQLDatabase

    static let headId = 1

    func head() async throws -> AuditHead? {
        try await Self.head(in: database, forUpdate: false)
    }

    static func head(in database: any SQLDatabase, forUpdate: Bool) async throws -> AuditHead? {
        // Plain SQL rather than a builder: every write reads and moves the head, inside SQLite's one writer.
        var query: SQLQueryString = "SELECT sequence, mac, key_version, head_mac FROM audit_head WHERE id = \(bind: Self.headId)"
        if forUpdate { query.appendLiteral(" FOR UPDATE") }
        return try await database.raw(query).first()
            .map { row in
                AuditHead(
                    sequence: try row.decode(column: "sequence", as: Int64.self),
                    mac: try row.decode(column: "mac", as: String.self),
                    keyVersion: try row.decode(column: "key_version", as: Int.self),
                    headMac: try row.decode(column: "head_mac", as: String.self))
            }
    }

    func list(_ filter: AuditFilter, before: Int64?, limit: Int) async throws -> [AuditEntry] {
        let query = database.select().column(AuditRow.columnList).from("audit_events")
            .orderBy("sequence", .descending).limit(limit)
        if let before { query.where("sequence", .lessThan, before) }
        if let connection = filter.connection {
            query.where("target_kind", .equal, "connection").where("target_name", .equal, connection)
        }
        if let actor = filter.actor { query.where("actor_name", .equal, actor) }
        if let action = filter.action {
            if action.contains(".") {
                query.where("action", .equal, action)
            } else {
                // A family: `connection` is every `connection.*` action. The dot keeps `_` and `%` out of it.
                query.where("action", .like, action + ".%")
            }
        }
        if let since = filter.since { query.where("recorded_at", .greaterThanOrEqual, since) }
        if let until = filter.until { query.where("recorded_at", .lessThan, until) }
        return try await query.all().map(AuditRow.decode)
    }

    func lastSequence() async throws -> Int64? {
        try await database.select().column(SQLFunction("MAX", args: SQLColumn("sequence")), as: "n")
            .from("audit_events").first()?.decode(column: "n", as: Int64?.self)
    }

    func entries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.select().column(AuditRow.columnList).from("audit_events")
            .where("sequence", .greaterThan, sequence).orderBy("sequence").limit(limit)
            .all().map(AuditRow.decode)
    }
}

extension SQLAuditRepository {
    func canonicalPage(after sequence: Int64, through last: Int64) async throws -> String? {
        // PostgreSQL orders the aggregate's input by its ORDER BY, where the order is defined. SQLite would sort that
        // input again in a temporary b-tree though the rows come in key order (a fifth of a verify's time); from a
        // subquery ordered by the key it aggregates the rows as they come, with no sort. Either way the verifier
        // checks each event's sequence: a page out of order fails, it never passes.
        let line = AuditCanonicalForm.pageLineExpression, separator = AuditCanonicalForm.recordSeparatorSQL
        let query: SQLQueryString = database.dialect.name == "sqlite"
            ? """
                SELECT string_agg(line, \(unsafeRaw: separator)) AS page FROM (SELECT \(unsafeRaw: line) AS line \
                FROM audit_events WHERE sequence > \(bind: sequence) AND sequence <= \(bind: last) ORDER BY sequence)
                """
            : """
                SELECT string_agg(\(unsafeRaw: line), \(unsafeRaw: separator) ORDER BY sequence) AS page \
                FROM audit_events WHERE sequence > \(bind: sequence) AND sequence <= \(bind: last)
                """
        return try await database.raw(query).first()?.decode(column: "page", as: String?.self)
    }
}

struct AuditRow: Codable {
    static let columns = [
        "sequence", "recorded_at", "actor_id", "actor_name", "actor_kind", "token_name", "client_address",
        "request_id", "action", "target_kind", "target_name", "target_id", "outcome", "failure_code",
        "changed_fields", "detail", "key_version", "mac",
    ]
    static let columnList = ColumnNames.list(columns)

    var sequence: Int64
    var recordedAt: Int64
    var actorId: String
    var actorName: String
    var actorKind: String
    var tokenName: String?
    var clientAddress: String?
    var requestId: String?
    var action: String
    var targetKind: String?
    var targetName: String?
    var targetId: String?
    var outcome: String
    var failureCode: String?
    var changedFields: String
    var detail: String?
    var keyVersion: Int
    var mac: String

    init(_ entry: AuditEntry) {
        sequence = entry.sequence
        recordedAt = entry.recordedAt
        actorId = entry.actorId
        actorName = entry.actorName
        actorKind = entry.actorKind
        tokenName = entry.tokenName
        clientAddress = entry.clientAddress
        requestId = entry.requestId
        action = entry.action
        targetKind = entry.targetKind
        targetName = entry.targetName
        targetId = entry.targetId
        outcome = entry.outcome
        failureCode = entry.failureCode
        changedFields = entry.changedFields.joined(separator: ",")
        detail = entry.detail
        keyVersion = entry.keyVersion
        mac = entry.mac
    }

    /// Column by column: much faster than a Codable row over the million events that a verify reads.
    static func decode(_ row: any SQLRow) throws -> AuditEntry {
        func text(_ column: String) throws -> String { try row.decode(column: column, as: String.self) }
        func optional(_ column: String) throws -> String? {
            try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: String.self)
        }
        let changed = try text("changed_fields")
        return AuditEntry(
            sequence: try row.decode(column: "sequence", as: Int64.self),
            recordedAt: try row.decode(column: "recorded_at", as: Int64.self),
            actorId: try text("actor_id"), actorName: try text("actor_name"), actorKind: try text("actor_kind"),
            tokenName: try optional("token_name"), clientAddress: try optional("client_address"),
            requestId: try optional("request_id"), action: try text("action"), targetKind: try optional("target_kind"),
            targetName: try optional("target_name"), targetId: try optional("target_id"), outcome: try text("outcome"),
            failureCode: try optional("failure_code"),
            changedFields: changed.isEmpty ? [] : changed.split(separator: ",").map(String.init),
            detail: try optional("detail"), keyVersion: try row.decode(column: "key_version", as: Int.self),
            mac: try text("mac"))
    }
}
