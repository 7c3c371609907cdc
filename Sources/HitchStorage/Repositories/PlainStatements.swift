import SQLKit
import Synchronization

/// An INSERT of encoded rows written as plain SQL with bound values. SQLKit's insert builder quotes and escapes every
/// column name and converts every coding key to snake case again on each statement; on SQLite those statements run
/// one after another inside the group commit, so their cost bounds how many writes commit per second. Here the
/// column names are converted once per key and checked to be plain identifiers (they come from the rows' own coding
/// keys, never from input), and the values are bound as before.
struct RowInsert {
    let table: String
    private(set) var statement: SQLQueryString
    /// `INSERT INTO table (columns) `, and the rows' values as `(...), (...)`: kept apart for `onlyIf`.
    private let head: String
    private let values: SQLQueryString

    /// `rows` must all encode the same columns in the same order; nil values encode as NULL.
    init<Row: Encodable>(into table: String, rows: [Row]) throws {
        precondition(ColumnNames.isPlain(table), "a table name is a plain identifier")
        self.table = table
        guard let first = rows.first else { throw RowInsertError.noRows(table) }
        let columns = try ColumnNames.encoder.encode(first).map(\.0)
        if let column = columns.first(where: { !ColumnNames.isPlain($0) }) { throw RowInsertError.unplainColumn(table, column) }
        head = "INSERT INTO " + table + " (" + columns.joined(separator: ", ") + ") "
        var statement = SQLQueryString("")
        for (index, row) in rows.enumerated() {
            let values = index == 0 ? try ColumnNames.encoder.encode(first) : try ColumnNames.encoder.encode(row)
            guard values.map(\.0) == columns else { throw RowInsertError.unevenRows(table) }
            statement.appendLiteral(index == 0 ? "(" : ", (")
            for (position, value) in values.enumerated() {
                if position > 0 { statement.appendLiteral(", ") }
                statement.appendInterpolation(value.1)
            }
            statement.appendLiteral(")")
        }
        values = statement
        self.statement = SQLQueryString(head + "VALUES ") + values
    }

    /// The same rows, inserted only when `condition` holds as the statement runs: `INSERT ... SELECT * FROM (VALUES
    /// ...) AS given WHERE condition` (PostgreSQL before 16 wants the alias). A clause added by `then` comes after it
    /// (SQLite needs the WHERE before an upsert's ON CONFLICT).
    func onlyIf(_ condition: SQLQueryString) -> RowInsert {
        var copy = self
        copy.statement = SQLQueryString(head + "SELECT * FROM (VALUES ") + values + SQLQueryString(") AS given WHERE ") + condition
        return copy
    }

    init<Row: Encodable>(into table: String, row: Row) throws {
        try self.init(into: table, rows: [row])
    }

    /// Adds a clause after the values, such as `ON CONFLICT (...) DO UPDATE SET ...`: fixed SQL text, no input.
    func then(_ clause: StaticString) -> RowInsert {
        var copy = self
        copy.statement.appendLiteral(" \(clause)")
        return copy
    }

    func run(on database: any SQLDatabase) async throws {
        try await database.raw(statement).run()
    }
}

/// An UPDATE that sets every column of an encoded row, written as plain SQL like `RowInsert`.
struct RowUpdate {
    private(set) var statement: SQLQueryString

    /// `condition` is the WHERE clause and anything after it (RETURNING), with its values bound.
    init<Row: Encodable>(_ table: String, set row: Row, where condition: SQLQueryString) throws {
        try self.init(table, set: try ColumnNames.encoder.encode(row), where: condition)
    }

    /// Sets the named columns to the values, bound; nil sets NULL.
    init(_ table: String, values columns: [(String, (any Encodable & Sendable)?)], where condition: SQLQueryString) throws {
        try self.init(table, set: columns.map { ($0.0, $0.1.map { SQLBind($0) } ?? SQLLiteral.null) }, where: condition)
    }

    /// Sets the named columns to the values (binds, or `SQLLiteral.null`).
    init(_ table: String, set columns: [(String, any SQLExpression)], where condition: SQLQueryString) throws {
        precondition(ColumnNames.isPlain(table), "a table name is a plain identifier")
        var statement = SQLQueryString("UPDATE " + table + " SET ")
        for (position, value) in columns.enumerated() {
            guard ColumnNames.isPlain(value.0) else { throw RowInsertError.unplainColumn(table, value.0) }
            statement.appendLiteral((position > 0 ? ", " : "") + value.0 + " = ")
            statement.appendInterpolation(value.1)
        }
        statement.appendLiteral(" WHERE ")
        statement += condition
        self.statement = statement
    }
}

enum RowInsertError: Error, CustomStringConvertible {
    case noRows(String)
    case unevenRows(String)
    case unplainColumn(String, String)

    var description: String {
        switch self {
        case .noRows(let table): "an insert into \(table) has no rows"
        case .unevenRows(let table): "the rows inserted into \(table) do not all have the same columns"
        case .unplainColumn(let table, let column):
            "the column '\(column)' of \(table) is not a plain lowercase identifier; it would need quoting"
        }
    }
}

/// Column names from coding keys, converted to snake case once per key and kept. A statement refuses a name that is
/// not plain lowercase (it would need quoting, and PostgreSQL folds unquoted names to lowercase).
enum ColumnNames {
    private static let converted = Mutex<[String: String]>([:])

    static let encoder = SQLQueryEncoder(keyEncodingStrategy: .custom(key(for:)), nilEncodingStrategy: .asNil)

    /// The column a coding key is stored in: the same conversion both ways, as SQLKit's snake-case strategies do.
    @Sendable static func key(for path: [any CodingKey]) -> any CodingKey {
        Column(stringValue: snakeCase(path.last?.stringValue ?? ""))
    }

    static func snakeCase(_ key: String) -> String {
        if let known = converted.withLock({ $0[key] }) { return known }
        // SQLKit's own conversion, so that names still read back through `convertFromSnakeCase`.
        let name = (try? snakeCaseEncoder.encode(OneKey(key: key)).first?.0) ?? key
        converted.withLock { $0[key] = name }
        return name
    }

    private static let snakeCaseEncoder = SQLQueryEncoder(keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)

    /// A row of one NULL column named `key`.
    private struct OneKey: Encodable {
        let key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Column.self)
            try container.encodeNil(forKey: Column(stringValue: key))
        }
    }

    /// Plain column names as one fragment of SQL text for a SELECT or RETURNING list, serialized once instead of
    /// each name quoted and escaped on every statement.
    static func list(_ names: [String]) -> SQLRaw {
        precondition(names.allSatisfy(isPlain), "column names in a list are plain identifiers: \(names)")
        return SQLRaw(names.joined(separator: ", "))
    }

    static func isPlain(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") }
    }

    private struct Column: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
