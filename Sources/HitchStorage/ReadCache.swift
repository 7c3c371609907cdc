import Synchronization

/// Connections and token lookups already read, for a database that only this process writes (embedded SQLite).
/// Every committed write empties it; a read that raced with a write is not kept, because the generation it
/// started under is gone by the time it would be stored.
final class ReadCache: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var connections: [String: ConnectionRecord] = [:]
        var tokens: [String: (Identity, TokenRecord)] = [:]
    }

    private static let maximumEntries = 10_000
    private let state = Mutex(State())

    var generation: UInt64 { state.withLock { $0.generation } }

    func connection(named name: String) -> ConnectionRecord? { state.withLock { $0.connections[name] } }

    func token(hash: String) -> (Identity, TokenRecord)? { state.withLock { $0.tokens[hash] } }

    func keep(_ record: ConnectionRecord, readAt generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.connections.count >= Self.maximumEntries { state.connections.removeAll() }
            state.connections[record.name] = record
        }
    }

    func keep(_ entry: (Identity, TokenRecord), hash: String, readAt generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.tokens.count >= Self.maximumEntries { state.tokens.removeAll() }
            state.tokens[hash] = entry
        }
    }

    func invalidateAll() {
        state.withLock { state in
            state.generation &+= 1
            state.connections.removeAll()
            state.tokens.removeAll()
        }
    }
}
