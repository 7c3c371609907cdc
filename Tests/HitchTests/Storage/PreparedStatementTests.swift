import Foundation
@testable import HitchStorage
import PostgresNIO
import SQLKit
import Testing

/// Which statements run prepared on PostgreSQL, under what names, and how a failed preparation is left behind.
struct PreparedStatementCatalogTests {
    static let key = PreparedStatementCatalog.Key(sql: "SELECT $1", types: [.int8])

    @Test func aStatementIsPreparedFromItsSecondRun() {
        let catalog = PreparedStatementCatalog()
        #expect(catalog.name(for: Self.key) == nil)
        let name = catalog.name(for: Self.key)
        #expect(name != nil)
        #expect(catalog.name(for: Self.key) == name)
    }

    @Test func theSameTextWithOtherTypesHasItsOwnName() {
        let catalog = PreparedStatementCatalog()
        let text = PreparedStatementCatalog.Key(sql: "SELECT $1", types: [.text])
        for _ in 0..<2 { _ = catalog.name(for: Self.key); _ = catalog.name(for: text) }
        #expect(catalog.name(for: Self.key) != catalog.name(for: text))
    }

    @Test func onlyAFailureThatMayBeThePreparationsRetiresTheName() throws {
        let catalog = PreparedStatementCatalog()
        _ = catalog.name(for: Self.key)
        let first = try #require(catalog.name(for: Self.key))
        // A unique violation, a bad value, a deadlock, a dropped connection, the server restarting: the statement
        // itself stands (the connection's prepared statements go with it).
        for sqlState in ["23505", "22012", "40P01", "08006", "57P01", nil] {
            catalog.failed(Self.key, name: first, sqlState: sqlState)
            #expect(catalog.name(for: Self.key) == first)
        }
        // An aborted transaction (or a changed table) may have failed the preparation: a new name.
        catalog.failed(Self.key, name: first, sqlState: "25P02")
        let second = try #require(catalog.name(for: Self.key))
        #expect(second != first)
        // Another run that failed under the old name does not retire the new one.
        catalog.failed(Self.key, name: first, sqlState: "25P02")
        #expect(catalog.name(for: Self.key) == second)
    }

    @Test func aStatementWhosePreparationKeepsFailingRunsUnnamed() {
        let catalog = PreparedStatementCatalog()
        _ = catalog.name(for: Self.key)
        for _ in 0..<PreparedStatementCatalog.maximumGenerations {
            guard let name = catalog.name(for: Self.key) else { Issue.record("named too few times"); return }
            catalog.failed(Self.key, name: name, sqlState: "42P01")
        }
        #expect(catalog.name(for: Self.key) == nil)
    }

    @Test func aStatementWithManyValuesRunsUnnamed() {
        let catalog = PreparedStatementCatalog()
        let many = PreparedStatementCatalog.Key(
            sql: "many", types: Array(repeating: .int8, count: PreparedStatementCatalog.maximumValues + 1))
        let most = PreparedStatementCatalog.Key(
            sql: "most", types: Array(repeating: .int8, count: PreparedStatementCatalog.maximumValues))
        for _ in 0..<3 { _ = catalog.name(for: many); _ = catalog.name(for: most) }
        #expect(catalog.name(for: many) == nil)
        #expect(catalog.name(for: most) != nil)
    }

    @Test func theNumberOfNamesIsBounded() {
        let catalog = PreparedStatementCatalog()
        var named = 0
        for index in 0...PreparedStatementCatalog.maximumStatements {
            let key = PreparedStatementCatalog.Key(sql: "SELECT \(index), $1", types: [.int8])
            _ = catalog.name(for: key)
            if catalog.name(for: key) != nil { named += 1 }
        }
        #expect(named == PreparedStatementCatalog.maximumStatements)
    }
}

/// The same, against a real PostgreSQL: each statement's values come back as bound, on the prepared path and the
/// unnamed one, and a preparation that failed in an aborted transaction does not fail the connection's later runs.
@Suite(.enabled(if: TestBackend.all.contains(.postgres), "PostgreSQL runs under scripts/test"))
struct PreparedStatementPostgresTests {
    func withPreparing(_ body: @Sendable (PreparingSQLDatabase, PreparedStatementCatalog) async throws -> Void) async throws {
        try await TestBackend.postgres.withBackend { backend, _ in
            let postgres = try #require(backend as? PostgresBackend)
            let catalog = PreparedStatementCatalog()
            try await postgres.client.withConnection { connection in
                try await body(PreparingSQLDatabase(connection: connection, catalog: catalog), catalog)
            }
        }
    }

    static func prepared(_ database: any SQLDatabase) async throws -> [String: String] {
        let rows = try await database.raw("SELECT name, parameter_types::text AS types FROM pg_prepared_statements").all()
        return try Dictionary(uniqueKeysWithValues: rows.map {
            (try $0.decode(column: "name", as: String.self), try $0.decode(column: "types", as: String.self))
        })
    }

    @Test func valuesComeBackAsBoundWhetherPreparedOrNot() async throws {
        try await withPreparing { database, _ in
            for round in 0..<3 {
                let number = try await database.raw("SELECT \(bind: 40 + round) AS v").first()
                #expect(try number?.decode(column: "v", as: Int.self) == 40 + round)
                let text = try await database.raw("SELECT \(bind: "round \(round)") AS v").first()
                #expect(try text?.decode(column: "v", as: String.self) == "round \(round)")
                let none: String? = nil
                let null = try await database.raw("SELECT \(bind: none)::text AS v").first()
                #expect(try null?.decode(column: "v", as: String?.self) == nil)
            }
            // One name for each text and types that repeated; the nil value went unnamed, as PostgresKit binds it.
            let prepared = try await Self.prepared(database)
            #expect(Set(prepared.values) == ["{bigint}", "{text}"], "\(prepared)")
        }
    }

    @Test func aPreparationThatFailedInAnAbortedTransactionIsMadeAgain() async throws {
        try await withPreparing { database, _ in
            let statement: SQLQueryString = "SELECT \(bind: 7) AS v"
            _ = try await database.raw(statement).first()
            try await database.raw("BEGIN").run()
            await #expect(throws: PSQLError.self) { try await database.raw("SELECT 1 / \(bind: 0)").run() }
            // Its second run prepares it, inside the aborted transaction: the preparation fails.
            await #expect(throws: PSQLError.self) { try await database.raw(statement).first() }
            try await database.raw("ROLLBACK").run()
            let again = try await database.raw(statement).first()
            #expect(try again?.decode(column: "v", as: Int.self) == 7)
            #expect(try await Self.prepared(database).keys.contains { $0.hasSuffix("_1") }, "prepared under its second name")
        }
    }

    /// Another server's migration adds a column under a prepared `SELECT *`: PostgreSQL refuses the cached plan once
    /// (its result changed), and the next run prepares the statement again.
    @Test func aTableChangedUnderAPreparedStatementIsPreparedAgain() async throws {
        try await withPreparing { database, _ in
            try await database.raw("CREATE TEMPORARY TABLE changing (id bigint)").run()
            try await database.raw("INSERT INTO changing VALUES (1)").run()
            let statement: SQLQueryString = "SELECT * FROM changing WHERE id = \(bind: 1)"
            for _ in 0..<2 { _ = try await database.raw(statement).first() }
            try await database.raw("ALTER TABLE changing ADD COLUMN added text DEFAULT 'new'").run()
            await #expect(throws: PSQLError.self) { try await database.raw(statement).first() }
            let row = try await database.raw(statement).first()
            #expect(try row?.decode(column: "added", as: String.self) == "new")
        }
    }
}
