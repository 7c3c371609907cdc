import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// A PostgreSQL connection as SQLKit's database, which runs the statements its catalog names as prepared statements
/// and every other statement as PostgresKit does (unnamed).
///
/// A statement is prepared only when each of its values binds through PostgresNIO's own encodings, as PostgresKit
/// binds them; a value that needs PostgresKit's `Encodable` translation sends the statement down the unnamed path.
struct PreparingSQLDatabase: SQLDatabase {
    let connection: PostgresConnection
    let catalog: PreparedStatementCatalog
    /// PostgresKit's database on the same connection, for the statements that run unnamed.
    private let unnamed: any SQLDatabase

    init(connection: PostgresConnection, catalog: PreparedStatementCatalog) {
        self.connection = connection
        self.catalog = catalog
        unnamed = connection.sql(queryLogLevel: nil)
    }

    var logger: Logger { unnamed.logger }
    var eventLoop: any EventLoop { unnamed.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { unnamed.version }
    var dialect: any SQLDialect { unnamed.dialect }
    var queryLogLevel: Logger.Level? { nil }

    /// SQLKit's legacy interface: unnamed.
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        guard !connection.isClosed else { return eventLoop.makeFailedFuture(Self.closed) }
        return unnamed.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard !connection.isClosed else { throw Self.closed }
        let (sql, binds) = serialize(query)
        guard let values = DirectValues(binds), case let key = values.key(sql), let name = catalog.name(for: key) else {
            return try await unnamed.execute(sql: SerializedStatement(sql: sql, binds: binds), onRow)
        }
        let bindings = try values.bindings()
        let text = CatalogedStatement.Text(name: name, sql: sql, types: values.types)
        do {
            try await CatalogedStatement.$text.withValue(text) {
                let rows = try await connection.execute(CatalogedStatement(bindings: bindings), logger: logger)
                for try await row in rows { onRow(row.sql()) }
            }
        } catch {
            catalog.failed(key, name: name, sqlState: (error as? PSQLError)?.serverInfo?[.sqlState])
            throw error
        }
    }

    /// A statement written to a connection that has closed is never answered: PostgresNIO's handler has left the
    /// channel, and the write fails unseen. A shared transaction's ROLLBACK after the database restarted waited
    /// forever, holding its connection (so the server could not stop) and its place as one of the two leaders (so,
    /// with both taken, no write ran again). A closed connection fails each statement at once instead.
    static let closed = StorageError.unreachable("the connection to PostgreSQL closed")

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// A statement's values when PostgresNIO encodes each itself, with their types: they bind as PostgresKit binds them.
/// They are encoded only for a statement that runs prepared; the unnamed path encodes its own.
private struct DirectValues {
    let values: [any PostgresThrowingDynamicTypeEncodable]
    let types: [PostgresDataType]

    /// Nil when the statement has no values (nothing to gain: `BEGIN`, `COMMIT`, schema changes), or when a value
    /// needs PostgresKit's `Encodable` translation. That includes a nil optional (the cast below does not match it),
    /// which PostgresKit binds as a NULL of the optional's type.
    init?(_ binds: [any Encodable & Sendable]) {
        guard !binds.isEmpty else { return nil }
        var values: [any PostgresThrowingDynamicTypeEncodable] = []
        values.reserveCapacity(binds.count)
        for bind in binds {
            guard let value = bind as? any PostgresThrowingDynamicTypeEncodable else { return nil }
            values.append(value)
        }
        self.values = values
        types = values.map(\.psqlType)
    }

    func key(_ sql: String) -> PreparedStatementCatalog.Key { .init(sql: sql, types: types) }

    func bindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try bindings.append(value, context: .default) }
        return bindings
    }
}

/// PostgresNIO takes a prepared statement's name, text and value types from static properties of its type, made for
/// statements written out as types; Hitch's statements are texts built as it runs. This one type reads them from a
/// task-local value, bound around the one call that runs it: PostgresNIO reads them within that call.
private struct CatalogedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
        var types: [PostgresDataType]
    }

    @TaskLocal static var text = Text(name: "", sql: "", types: [])

    static var name: String { text.name }
    static var sql: String { text.sql }
    static var bindingDataTypes: [PostgresDataType] { text.types }

    typealias Row = PostgresRow

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A statement already serialized, so that the unnamed path does not serialize it again.
private struct SerializedStatement: SQLExpression {
    let sql: String
    let binds: [any Encodable & Sendable]

    func serialize(to serializer: inout SQLSerializer) {
        serializer.sql += sql
        serializer.binds += binds
    }
}
