import Logging
import SQLKit

/// The repositories, bound to one database handle: a read, or one transaction.
public struct StoreSession: Sendable {
    public let connections: any ConnectionRepository
    /// In a write, any use marks the write as one that may change who a token is, and empties the token lookups kept.
    public var identities: any IdentityRepository {
        tally?.usedIdentities()
        return identityRepository
    }
    public let keyCheck: any KeyCheckRepository
    public let audit: any AuditRepository
    public let jobs: any JobRepository
    public let assignments: any AssignmentRepository
    public let inventory: any InventoryRepository
    public let preflights: any PreflightRepository
    public let leases: any LeaseRepository
    public let keyring: any KeyringRepository
    public let autoRotations: any AutoRotationRepository
    public let testHistory: any TestHistoryRepository
    public let scheduledChecks: any ScheduledCheckRepository
    public let webhooks: any WebhookRepository

    private let database: any SQLDatabase
    private let backend: any SQLBackend
    private let identityRepository: any IdentityRepository
    /// The write's transaction, where audit events are staged; nil in a read.
    private let transaction: WriteTransaction?
    private let tally: WriteTally?

    init(database: any SQLDatabase, backend: any SQLBackend) {
        self.init(database: database, backend: backend, transaction: nil, tally: nil)
    }

    init(transaction: WriteTransaction, backend: any SQLBackend, tally: WriteTally? = nil) {
        self.init(database: transaction.database, backend: backend, transaction: transaction, tally: tally)
    }

    private init(database: any SQLDatabase, backend: any SQLBackend, transaction: WriteTransaction?, tally: WriteTally?) {
        self.database = database
        self.backend = backend
        self.transaction = transaction
        self.tally = tally
        connections = SQLConnectionRepository(database: database)
        identityRepository = SQLIdentityRepository(database: database)
        keyCheck = SQLKeyCheckRepository(database: database)
        jobs = SQLJobRepository(database: database)
        assignments = SQLAssignmentRepository(database: database)
        inventory = SQLInventoryRepository(database: database)
        preflights = SQLPreflightRepository(database: database)
        leases = SQLLeaseRepository(database: database)
        keyring = SQLKeyringRepository(database: database)
        autoRotations = SQLAutoRotationRepository(database: database)
        testHistory = SQLTestHistoryRepository(database: database)
        scheduledChecks = SQLScheduledCheckRepository(database: database)
        webhooks = SQLWebhookRepository(database: database)
        audit = SQLAuditRepository(database: database)
    }

    /// Stages audit events for this write: `sealer` numbers and MACs them when the transaction appends them, as its
    /// last statements before COMMIT, so they commit with the change they describe or not at all (S4).
    public func stageAudit(_ entries: [AuditEntry], sealedBy sealer: any AuditSealer) throws {
        guard let transaction else {
            throw StorageError(code: .unsupported, message: "audit events are appended only in a write")
        }
        transaction.stage(entries, sealedBy: sealer)
        tally?.appended(entries.count)
    }

    /// Within a write, waits for and holds until it ends the lock `key`: of the servers sharing the database, one
    /// at a time does the work it guards.
    public func lockExclusively(key: Int64) async throws {
        try await backend.lockExclusively(database, key: key)
    }

    /// Tells every server sharing the database once this write commits (see `SQLBackend.notify`).
    public func notify(channel: String, payload: String) throws {
        guard let transaction else {
            throw StorageError(code: .unsupported, message: "notices are sent only by a write")
        }
        transaction.stage(Notice(channel: channel, payload: payload))
    }
}

/// Hitch's records on one backend. Services read, or write in one transaction that commits whole or not at all.
/// On a backend that only this process writes, the hot lookups (a connection by name, a token) are cached.
public struct Store: Sendable {
    public let backend: any SQLBackend
    private let cache: ReadCache?

    public init(backend: any SQLBackend) {
        self.backend = backend
        self.cache = backend.isExclusive ? ReadCache() : nil
    }

    /// A connection by its exact name.
    public func connection(named name: String, logger: Logger) async throws -> ConnectionRecord? {
        guard let cache else { return try await read(logger: logger) { try await $0.connections.find(name: name) } }
        if let record = cache.connection(named: name) { return record }
        let generation = cache.connectionGeneration
        let record = try await read(logger: logger) { try await $0.connections.find(name: name) }
        if let record { cache.keep(record, readAt: generation) }
        return record
    }

    /// The enabled identity holding an unrevoked token with this hash.
    public func identity(forTokenHash hash: String, logger: Logger) async throws -> (Identity, TokenRecord)? {
        guard let cache else {
            return try await read(logger: logger) { try await $0.identities.identity(forTokenHash: hash) }
        }
        if let entry = cache.token(hash: hash) { return entry }
        let generation = cache.tokenGeneration
        let entry = try await read(logger: logger) { try await $0.identities.identity(forTokenHash: hash) }
        if let entry { cache.keep(entry, hash: hash, readAt: generation) }
        return entry
    }

    public func read<Result: Sendable>(
        logger: Logger, _ body: @Sendable (StoreSession) async throws -> Result
    ) async throws -> Result {
        try await backend.read(logger: logger) { try await body(StoreSession(database: $0, backend: backend)) }
    }

    /// Unique-constraint failures surface as `StorageError.duplicate`, the same on both backends.
    public func write<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (StoreSession) async throws -> Result
    ) async throws -> Result {
        let tally = WriteTally()
        // Emptied after the commit (or the failure, wholly), so no read that started before it is kept.
        var committed = false
        defer { cache?.invalidate(identities: !committed || tally.hasUsedIdentities) }
        let started = ContinuousClock.now
        do {
            let result = try await backend.write(logger: logger) { [backend] transaction in
                tally.reset()
                return try await body(StoreSession(transaction: transaction, backend: backend, tally: tally))
            }
            committed = true
            StorageMetrics.transaction(backend: backend.name, took: started.duration(to: .now))
            StorageMetrics.committed(tally)
            return result
        } catch where backend.isUniqueViolation(error) {
            throw StorageError.duplicate("a record with the same unique value exists")
        }
    }
}
