import PostgresNIO
import Synchronization

/// Which statements run prepared on PostgreSQL connections, and under what names. PostgreSQL parses and plans an
/// unnamed statement again on every run; during updates that was about a fifth of the machine's time
/// (docs/performance.md). A prepared one is parsed once per connection, and planned once after a few runs.
///
/// A statement is prepared from its second run on, while fewer than `maximumStatements` are: a name is a piece of
/// memory on each connection of the pool (16 to 64 KiB), so it goes to statements that repeat. A statement with more
/// than `maximumValues` values is not prepared: it mostly carries a variable number of rows (an audit append of a
/// shared transaction's events), whose text changes with the count, and one name per count would fill the catalog
/// with texts that seldom repeat; its parsing is shared by its rows anyway. A name stands for the statement's
/// text and the types of its values, so a prepared statement always runs with the types it was prepared with, as an
/// unnamed one would.
///
/// PostgresNIO remembers a failed preparation for the connection's lifetime: every later run of that name on that
/// connection fails the same way. When a prepared run fails for any cause but its values (a data or integrity
/// error, a serialization failure or a deadlock) or the connection's end, the statement's name is retired: its next
/// run prepares it under a new name. After `maximumGenerations` names a statement runs unnamed.
final class PreparedStatementCatalog: Sendable {
    struct Key: Hashable, Sendable {
        let sql: String
        let types: [PostgresDataType]
    }

    static let maximumStatements = 128
    static let maximumValues = 64
    /// How many statements' runs are counted before those not prepared are forgotten and counted anew.
    static let maximumCounted = 2_000
    static let maximumGenerations = 8

    private struct Entry {
        var runs = 0
        var number: Int?
        var generation = 0
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var prepared = 0
    }

    private let state = Mutex(State())

    /// The name to run the statement under, or nil to run it unnamed.
    func name(for key: Key) -> String? {
        guard key.types.count <= Self.maximumValues else { return nil }
        return state.withLock { state in
            if state.entries[key] == nil, state.entries.count >= Self.maximumCounted {
                state.entries = state.entries.filter { $0.value.number != nil }
            }
            var entry = state.entries[key, default: Entry()]
            entry.runs += 1
            if entry.number == nil, entry.runs >= 2, state.prepared < Self.maximumStatements {
                state.prepared += 1
                entry.number = state.prepared
            }
            state.entries[key] = entry
            guard let number = entry.number, entry.generation < Self.maximumGenerations else { return nil }
            return Self.name(number: number, generation: entry.generation)
        }
    }

    /// Called when a run under `name` failed, with the error's SQLSTATE (nil when it has none).
    func failed(_ key: Key, name: String, sqlState: String?) {
        guard Self.mayHaveFailedPreparing(sqlState: sqlState) else { return }
        state.withLock { state in
            guard var entry = state.entries[key], let number = entry.number,
                Self.name(number: number, generation: entry.generation) == name
            else { return }
            entry.generation += 1
            state.entries[key] = entry
        }
    }

    /// False for the errors only a run's values cause: SQLSTATE classes 22 (data), 23 (integrity) and 40 (a
    /// transaction rolled back: serialization failure, deadlock). Also false for the errors that end the connection,
    /// whose prepared statements, failed or not, go with it: class 08, 57P01 to 57P03 (the server shutting down or
    /// restarting), and an error without a SQLSTATE. Retiring a name for those would use up a statement's names over
    /// a few database restarts.
    static func mayHaveFailedPreparing(sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        if ["57P01", "57P02", "57P03"].contains(sqlState) { return false }
        return !["22", "23", "40", "08"].contains(String(sqlState.prefix(2)))
    }

    private static func name(number: Int, generation: Int) -> String { "hitch_\(number)_\(generation)" }
}
