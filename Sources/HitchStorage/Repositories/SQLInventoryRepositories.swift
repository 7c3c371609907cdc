import Foundation
import HitchDomain
import SQLKit

struct SQLInventoryRepository: InventoryRepository {
    let database: any SQLDatabase

    /// Rows per INSERT: well under SQLite's limit of bound values.
    private static let rowsPerInsert = 400

    func replace(_ snapshot: InventorySnapshot, objects: [InventoryObject]) async throws {
        try await delete(connectionId: snapshot.connectionId)
        let counts = Dictionary(uniqueKeysWithValues: snapshot.counts.map { ($0.key.rawValue, $0.value) })
        try await database.insert(into: "inventory_snapshots")
            .columns("connection_id", "job_id", "credential_version", "taken_at", "counts")
            .values(
                SQLBind(snapshot.connectionId), SQLBind(snapshot.jobId), SQLBind(snapshot.credentialVersion),
                SQLBind(Timestamp.milliseconds(snapshot.takenAt)), SQLBind(try JSON.text(counts)))
            .run()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for start in stride(from: 0, to: objects.count, by: Self.rowsPerInsert) {
            let insert = database.insert(into: "inventory_objects").columns("connection_id", "type", "moid", "name", "path", "data")
            for object in objects[start..<min(start + Self.rowsPerInsert, objects.count)] {
                insert.values(
                    SQLBind(snapshot.connectionId), SQLBind(object.type.rawValue), SQLBind(object.moid), SQLBind(object.name),
                    SQLBind(object.path), SQLBind(String(decoding: try encoder.encode(object), as: UTF8.self)))
            }
            try await insert.run()
        }
    }

    func snapshot(connectionId: String) async throws -> InventorySnapshot? {
        guard let row = try await database.select()
            .columns("connection_id", "job_id", "credential_version", "taken_at", "counts")
            .from("inventory_snapshots").where("connection_id", .equal, connectionId)
            .first(decoding: SnapshotRow.self, with: .snakeCase)
        else { return nil }
        let counts = try JSONDecoder().decode([String: Int].self, from: Data(row.counts.utf8))
        return InventorySnapshot(
            connectionId: row.connectionId, jobId: row.jobId, credentialVersion: row.credentialVersion,
            takenAt: Timestamp.date(row.takenAt),
            counts: Dictionary(uniqueKeysWithValues: counts.compactMap { key, value in InventoryType(rawValue: key).map { ($0, value) } }))
    }

    func objects(connectionId: String, _ filter: InventoryFilter) async throws -> (objects: [InventoryObject], more: Bool) {
        let query = database.select().column("data").from("inventory_objects").where("connection_id", .equal, connectionId)
        if let type = filter.type { query.where("type", .equal, type.rawValue) }
        if let text = filter.text?.lowercased(), !text.isEmpty {
            // `!` escapes LIKE's wildcards, so `_` and `%` in the text match themselves.
            let escaped = text.replacingOccurrences(of: "!", with: "!!").replacingOccurrences(of: "%", with: "!%")
                .replacingOccurrences(of: "_", with: "!_")
            let pattern = "%\(escaped)%"
            query.where(SQLQueryString(
                "(LOWER(name) LIKE \(bind: pattern) ESCAPE '!' OR LOWER(COALESCE(path, '')) LIKE \(bind: pattern) ESCAPE '!')"))
        }
        let rows = try await query.orderBy("type").orderBy("name").orderBy("moid")
            .offset(filter.offset).limit(filter.limit + 1).all(decoding: DataRow.self, with: .snakeCase)
        let decoder = JSONDecoder()
        let objects = try rows.prefix(filter.limit).map { try decoder.decode(InventoryObject.self, from: Data($0.data.utf8)) }
        return (objects, rows.count > filter.limit)
    }

    func delete(connectionId: String) async throws {
        try await database.delete(from: "inventory_objects").where("connection_id", .equal, connectionId).run()
        try await database.delete(from: "inventory_snapshots").where("connection_id", .equal, connectionId).run()
    }

    private struct SnapshotRow: Decodable {
        var connectionId: String
        var jobId: String
        var credentialVersion: Int
        var takenAt: Int64
        var counts: String
    }

    private struct DataRow: Decodable {
        var data: String
    }
}

struct SQLPreflightRepository: PreflightRepository {
    let database: any SQLDatabase

    func save(_ record: PreflightRecord) async throws {
        try await delete(connectionId: record.connectionId)
        try await database.insert(into: "preflight_results")
            .columns("connection_id", "credential_version", "checked_at", "capability", "report")
            .values(
                SQLBind(record.connectionId), SQLBind(record.credentialVersion), SQLBind(Timestamp.milliseconds(record.checkedAt)),
                SQLBind(record.report.capability.rawValue), SQLBind(try JSON.text(record.report)))
            .run()
    }

    func latest(connectionId: String) async throws -> PreflightRecord? {
        guard let row = try await database.select().columns("connection_id", "credential_version", "checked_at", "report")
            .from("preflight_results").where("connection_id", .equal, connectionId)
            .first(decoding: Row.self, with: .snakeCase)
        else { return nil }
        return PreflightRecord(
            connectionId: row.connectionId, credentialVersion: row.credentialVersion, checkedAt: Timestamp.date(row.checkedAt),
            report: try JSONDecoder().decode(PreflightReport.self, from: Data(row.report.utf8)))
    }

    func delete(connectionId: String) async throws {
        try await database.delete(from: "preflight_results").where("connection_id", .equal, connectionId).run()
    }

    private struct Row: Decodable {
        var connectionId: String
        var credentialVersion: Int
        var checkedAt: Int64
        var report: String
    }
}

/// Stored JSON text, with sorted keys.
enum JSON {
    static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
