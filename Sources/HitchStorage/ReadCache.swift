import Synchronization

/// Connections and token lookups already read, for a database that only this process writes (embedded SQLite).
/// Every committed write empties the connections; the token lookups only when the write used the identities (their
/// tokens, roles, scopes and whether they are enabled), so that a busy writer does not send every request's token
/// back to the database. A read that raced with a write is not kept, because the generation it started under is
/// gone by the time it would be stored.
final class ReadCache: Sendable {
    private struct State {
        var connectionGeneration: UInt64 = 0
        var tokenGeneration: UInt64 = 0
        var connections: [String: ConnectionRecord] = [:]
        var tokens: [String: (Identity, TokenRecord)] = [:]
    }

    private static let maximumEntries = 10_000
    private let state = Mutex(State())

    var connectionGeneration: UInt64 { state.withLock { $0.connectionGeneration } }

    var tokenGeneration: UInt64 { state.withLock { $0.tokenGeneration } }

    func connection(named name: String) -> ConnectionRecord? { state.withLock { $0.connections[name] } }

    func token(hash: String) -> (Identity, TokenRecord)? { state.withLock { $0.tokens[hash] } }

    func keep(_ record: ConnectionRecord, readAt generation: UInt64) {
        state.withLock { state in
            guard state.connectionGeneration == generation else { return }
            if state.connections.count >= Self.maximumEntries { state.connections.removeAll() }
            state.connections[record.name] = record
        }
    }

    func keep(_ entry: (Identity, TokenRecord), hash: String, readAt generation: UInt64) {
        state.withLock { state in
            guard state.tokenGeneration == generation else { return }
            if state.tokens.count >= Self.maximumEntries { state.tokens.removeAll() }
            state.tokens[hash] = entry
        }
    }

    /// After a write: the connections always, the token lookups when `identities` (the write used them, or its
    /// outcome is not known).
    func invalidate(identities: Bool) {
        state.withLock { state in
            state.connectionGeneration &+= 1
            state.connections.removeAll()
            if identities {
                state.tokenGeneration &+= 1
                state.tokens.removeAll()
            }
        }
    }
}
