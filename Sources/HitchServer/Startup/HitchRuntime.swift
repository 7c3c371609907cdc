import Foundation
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// What a running server holds: the store, the keyring and the services built on them.
public struct HitchRuntime: Sendable {
    public let store: Store
    public let keyring: Keyring
    let clock: @Sendable () -> Date

    var connections: ConnectionService { ConnectionService(store: store, keyring: keyring, clock: clock) }
    var authenticator: Authenticator { Authenticator(store: store, clock: clock) }

    /// Checks the master key against the database before anything is written, then migrates and, on first
    /// start, records the key check and creates the admin identity.
    public static func start(
        backend: any SQLBackend, configuration: HitchConfiguration, logger: Logger,
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> HitchRuntime {
        let store = Store(backend: backend)
        let migrator = Migrator(backend: backend)
        let isNew = try await migrator.appliedVersions(logger: logger).isEmpty
        let storedCheck = isNew ? nil : try await store.read(logger: logger) { try await $0.keyCheck.load() }
        let loader = MasterKeyLoader(environment: configuration.environment, dataDirectory: configuration.dataDirectory)
        let (masterKey, source) = try loader.load(mayCreate: storedCheck == nil)
        if let storedCheck { try KeyCheck.verify(storedCheck.value, with: masterKey) }
        if case .file(let path, true) = source { logger.notice("created the master key file", metadata: ["path": "\(path)"]) }

        try await migrator.migrate(logger: logger)
        if storedCheck == nil {
            let check = try KeyCheck.make(for: masterKey)
            try await store.write(logger: logger) { session in
                // Two servers starting on one new PostgreSQL: the first writes the check, the other verifies it.
                if let existing = try await session.keyCheck.load() {
                    try KeyCheck.verify(existing.value, with: masterKey)
                } else {
                    try await session.keyCheck.save(masterKeyVersion: masterKey.version, value: check)
                }
            }
        }
        try await Bootstrap(configuration: configuration, clock: clock).createAdminIfEmpty(store: store, logger: logger)
        return HitchRuntime(store: store, keyring: Keyring(current: masterKey), clock: clock)
    }
}
