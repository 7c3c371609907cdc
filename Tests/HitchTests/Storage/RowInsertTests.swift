import Foundation
@testable import HitchStorage
import SQLKit
import Testing

/// The plain-SQL inserts and updates of encoded rows: the columns are named as SQLKit's snake-case decoding reads
/// them back, nil values are stored as NULL, rows with other columns are refused before anything is sent, and an
/// ON CONFLICT clause replaces a row. On both backends.
@Suite struct RowInsertTests {
    struct Sample: Codable, Equatable {
        var sampleId: String
        var credentialVersion: Int
        var keyUrl: String?
        var wrappedKey: Data
    }

    struct Other: Codable { var sampleId: String }
    /// An acronym in a key does not make a plain lowercase column.
    struct Shouting: Codable { var sampleID: String }

    @Test(arguments: TestBackend.all)
    func rowsGoInAndComeBackAsEncoded(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let table = "row_insert_samples"
            try await sql.transaction(logger: TestBackend.logger) { database in
                try await database.raw("""
                    CREATE TABLE row_insert_samples (sample_id TEXT PRIMARY KEY, credential_version INTEGER NOT NULL, \
                    key_url TEXT, wrapped_key \(unsafeRaw: sql.name == "sqlite" ? "BLOB" : "BYTEA") NOT NULL)
                    """).run()
            }
            let rows = [
                Sample(sampleId: "a", credentialVersion: 1, keyUrl: nil, wrappedKey: Data([0, 1, 2])),
                Sample(sampleId: "b'); DROP TABLE row_insert_samples; --", credentialVersion: 2, keyUrl: "https://k", wrappedKey: Data([3])),
            ]
            try await sql.transaction(logger: TestBackend.logger) { try await RowInsert(into: table, rows: rows).run(on: $0) }
            // The same key again replaces the row through the clause.
            let replaced = Sample(sampleId: "a", credentialVersion: 3, keyUrl: "https://new", wrappedKey: Data([9]))
            try await sql.transaction(logger: TestBackend.logger) {
                try await RowInsert(into: table, row: replaced)
                    .then("ON CONFLICT (sample_id) DO UPDATE SET credential_version = excluded.credential_version, key_url = excluded.key_url")
                    .run(on: $0)
            }
            let updated = Sample(sampleId: "b'); DROP TABLE row_insert_samples; --", credentialVersion: 4, keyUrl: nil, wrappedKey: Data([7, 7]))
            let changed = try await sql.transaction(logger: TestBackend.logger) { database in
                try await database.raw(try RowUpdate(table, set: updated, where: "sample_id = \(bind: updated.sampleId) RETURNING sample_id").statement).all().count
            }
            #expect(changed == 1)

            let read = try await sql.read(logger: TestBackend.logger) { database in
                try await database.raw("SELECT * FROM row_insert_samples ORDER BY credential_version")
                    .all(decoding: Sample.self, with: .snakeCase)
            }
            #expect(read == [
                Sample(sampleId: "a", credentialVersion: 3, keyUrl: "https://new", wrappedKey: Data([0, 1, 2])),
                updated,
            ])

            // Rows of other shapes are refused, and nothing was sent.
            #expect(throws: RowInsertError.self) { try RowInsert(into: table, rows: [Sample]()) }
            let mixed: [any Encodable] = [rows[0], Other(sampleId: "c")]
            #expect(throws: RowInsertError.self) { try RowInsert(into: table, rows: mixed.map(AnyRow.init)) }
            #expect(throws: RowInsertError.self) { try RowInsert(into: table, row: Shouting(sampleID: "x")) }
        }
    }

    @Test func columnNamesAreConvertedOnceAndPlain() {
        #expect(ColumnNames.snakeCase("credentialVersion") == "credential_version")
        #expect(ColumnNames.snakeCase("keyUrl") == "key_url")
        #expect(ColumnNames.isPlain("wrapped_key"))
        #expect(!ColumnNames.isPlain("x\" OR 1"))
        #expect(!ColumnNames.isPlain(""))
    }

    struct AnyRow: Encodable {
        let row: any Encodable
        init(_ row: any Encodable) { self.row = row }
        func encode(to encoder: any Encoder) throws { try row.encode(to: encoder) }
    }
}
