import Logging
import SQLKit

/// The repositories, bound to one database handle: a read, or one transaction.
public struct StoreSession: Sendable {
    public let connections: any ConnectionRepository
    public let identities: any IdentityRepository
    public let keyCheck: any KeyCheckRepository

    init(database: any SQLDatabase) {
        connections = SQLConnectionRepository(database: database)
        identities = SQLIdentityRepository(database: database)
        keyCheck = SQLKeyCheckRepository(database: database)
    }
}

/// Hitch's records on one backend. Services read, or write in one transaction that commits whole or not at all.
public struct Store: Sendable {
    public let backend: any SQLBackend

    public init(backend: any SQLBackend) { self.backend = backend }

    public func read<Result: Sendable>(
        logger: Logger, _ body: @Sendable (StoreSession) async throws -> Result
    ) async throws -> Result {
        try await backend.read(logger: logger) { try await body(StoreSession(database: $0)) }
    }

    /// Unique-constraint failures surface as `StorageError.duplicate`, the same on both backends.
    public func write<Result: Sendable>(
        logger: Logger, _ body: @Sendable (StoreSession) async throws -> Result
    ) async throws -> Result {
        do {
            return try await backend.transaction(logger: logger) { try await body(StoreSession(database: $0)) }
        } catch where backend.isUniqueViolation(error) {
            throw StorageError.duplicate("a record with the same unique value exists")
        }
    }
}
