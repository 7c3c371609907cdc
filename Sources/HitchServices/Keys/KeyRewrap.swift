import Foundation
import HitchAudit
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging
import Synchronization

/// Moves every data key that an older master key version wraps to the current version, in batches, each batch one
/// transaction that holds its rows only while it runs; the ciphertexts are untouched. Of the servers sharing the
/// database one batch runs at a time (an advisory lock). A pass runs at start, after a rotation, and whenever the
/// periodic check finds something left, so a pass cut short by a crash or a restart simply goes on. A secret that
/// does not open under its binding (its destination was changed by hand) is left where it is and counted.
package final class KeyRewrap: Sendable {
    struct Settings: Sendable {
        /// Secrets per transaction (`HITCH_KEY_REWRAP_BATCH`, 1 to 10000; default 500).
        var batchSize = 500
        /// A pause between batches, to leave the database to other work (`HITCH_KEY_REWRAP_PAUSE_MS`; default 0).
        var pause = Duration.zero
        /// How often a server looks for another's rotation and for anything left to move.
        var interval = Duration.seconds(2)

        init() {}

        init(environment: [String: String]) throws {
            if let text = environment["HITCH_KEY_REWRAP_BATCH"] {
                guard let size = Int(text), (1...10_000).contains(size) else {
                    throw HitchError(.badRequest, "HITCH_KEY_REWRAP_BATCH must be a number from 1 to 10000")
                }
                batchSize = size
            }
            if let text = environment["HITCH_KEY_REWRAP_PAUSE_MS"] {
                guard let milliseconds = Int(text), (0...60_000).contains(milliseconds) else {
                    throw HitchError(.badRequest, "HITCH_KEY_REWRAP_PAUSE_MS must be a number of milliseconds from 0 to 60000")
                }
                pause = .milliseconds(milliseconds)
            }
        }
    }

    /// What `key status` shows of the rewrap.
    package struct Progress: Sendable {
        /// Secrets and lease handles older versions still wrap.
        package let pending: Int
        /// Those the current version wraps.
        package let done: Int
        package let running: Bool
        package let lastPassAt: Date?
        /// Left behind by the last pass: they do not open under their binding.
        package let skipped: Int
    }

    private struct State {
        var running = false
        var lastPassAt: Date?
        var skipped = 0
    }

    private static let lockKey: Int64 = 0x6869_7463_6872_6577  // "hitchrew"

    let store: Store
    let keys: LiveKeyring
    let audit: AuditLog
    let settings: Settings
    let clock: @Sendable () -> Date
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    init(store: Store, keys: LiveKeyring, audit: AuditLog, settings: Settings, clock: @escaping @Sendable () -> Date) {
        self.store = store
        self.keys = keys
        self.audit = audit
        self.settings = settings
        self.clock = clock
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func wake() async { wakeup.yield() }

    func progress(pending: Int, current: Int) async -> Progress {
        state.withLock { Progress(pending: pending, done: current, running: $0.running, lastPassAt: $0.lastPassAt, skipped: $0.skipped) }
    }

    /// Until cancelled: takes in other servers' key changes, and passes whenever something is left to move.
    func run(logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wakeup, settings] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: settings.interval)
                    wakeup.yield()
                }
            }
            group.addTask { [store, wakeup] in
                // Another server's rotation is taken in at once on PostgreSQL; the periodic check covers a lost notice.
                while !Task.isCancelled {
                    try? await store.backend.listen(channel: KeyService.notice, logger: logger) { [wakeup] _ in wakeup.yield() }
                    if store.backend.isExclusive { return }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            group.addTask { [self] in
                wakeup.yield()
                for await _ in wakeups {
                    if Task.isCancelled { break }
                    do {
                        try await keys.refresh(store: store, logger: logger)
                        let current = keys.keyring.current.version
                        if try await store.read(logger: logger, { try await $0.keyring.hasWrapped(below: current) }) {
                            _ = try await pass(logger: logger)
                        }
                    } catch is CancellationError {
                        break
                    } catch {
                        logger.warning("key rewrap: trying again later", metadata: ["error": "\(String(describing: error))"])
                    }
                }
            }
        }
    }

    /// One pass over everything older versions wrap. Returns how many it moved and how many it left.
    @discardableResult
    package func pass(logger: Logger) async throws -> (moved: Int, skipped: Int) {
        state.withLock { $0.running = true }
        defer { state.withLock { $0.running = false } }
        let keyring = keys.keyring
        let secrets = try await drain { cursor in try await self.secretsBatch(keyring, after: cursor, logger: logger) }
        let handles = try await drain { cursor in try await self.handlesBatch(keyring, after: cursor, logger: logger) }
        let webhooks = try await webhooksBatch(keyring, logger: logger)
        let (moved, skipped) = (
            secrets.moved + handles.moved + webhooks.moved, secrets.skipped + handles.skipped + webhooks.skipped
        )
        let now = clock()
        state.withLock {
            $0.lastPassAt = now
            $0.skipped = skipped
        }
        if moved > 0 || skipped > 0 {
            let event = AuditEvent(
                actor: .system, origin: .local, action: "key.rewrap", target: KeyService.target(keyring.current.version),
                detail: "\(moved) data keys moved to master key version \(keyring.current.version)"
                    + (skipped > 0 ? "; \(skipped) left: they do not open under their binding" : ""))
            try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
            logger.notice("key rewrap pass", metadata: ["moved": "\(moved)", "skipped": "\(skipped)"])
        }
        return (moved, skipped)
    }

    /// Runs `batch` from the start, each time after the last row the one before saw, until one sees nothing.
    private func drain<Cursor: Sendable>(
        _ batch: (Cursor?) async throws -> Batch<Cursor>
    ) async throws -> (moved: Int, skipped: Int) {
        var total = (moved: 0, skipped: 0)
        var cursor: Cursor?
        while true {
            let done = try await batch(cursor)
            total.moved += done.moved
            total.skipped += done.skipped
            guard let last = done.last else { return total }
            cursor = last
            if settings.pause > .zero { try await Task.sleep(for: settings.pause) }
        }
    }

    private struct Batch<Cursor: Sendable>: Sendable {
        var moved = 0
        var skipped = 0
        var last: Cursor?
    }

    private func secretsBatch(
        _ keyring: Keyring, after cursor: (connectionId: String, field: String)?, logger: Logger
    ) async throws -> Batch<(connectionId: String, field: String)> {
        try await store.write(logger: logger) { [settings] session in
            try await session.lockExclusively(key: Self.lockKey)
            let wrapped = try await session.connections.wrapped(
                below: keyring.current.version, after: cursor, limit: settings.batchSize)
            var batch = Batch<(connectionId: String, field: String)>()
            batch.last = wrapped.last.map { ($0.connectionId, $0.secret.field) }
            guard !wrapped.isEmpty else { return batch }
            try await session.keyring.hold(dataVersion: keyring.current.version)
            let destinations = try await Self.destinations(of: wrapped.map(\.connectionId), in: session)
            for item in wrapped {
                guard let destination = destinations[item.connectionId] else {
                    batch.skipped += 1
                    continue
                }
                let secret = item.secret
                let binding = SecretBinding(
                    connectionId: item.connectionId, field: secret.field, credentialVersion: secret.credentialVersion,
                    destination: destination)
                guard let rewrapped = try? keyring.rewrap(secret.sealed, for: binding) else {
                    batch.skipped += 1
                    continue
                }
                if try await session.connections.rewrap(
                    connectionId: item.connectionId, expected: secret, to: secret.replacing(rewrapped))
                {
                    batch.moved += 1
                }
            }
            return batch
        }
    }

    private func handlesBatch(_ keyring: Keyring, after cursor: String?, logger: Logger) async throws -> Batch<String> {
        try await store.write(logger: logger) { [settings] session in
            try await session.lockExclusively(key: Self.lockKey)
            let leases = try await session.leases.handles(below: keyring.current.version, after: cursor, limit: settings.batchSize)
            var batch = Batch<String>()
            batch.last = leases.last?.id
            guard !leases.isEmpty else { return batch }
            try await session.keyring.hold(dataVersion: keyring.current.version)
            let destinations = try await Self.destinations(of: leases.map(\.connectionId), in: session)
            for lease in leases {
                guard let handle = lease.handle, let destination = destinations[lease.connectionId] else {
                    batch.skipped += 1
                    continue
                }
                let binding = SecretBinding(
                    connectionId: lease.id, field: "handle", credentialVersion: lease.credentialVersion, destination: destination)
                guard let rewrapped = try? keyring.rewrap(handle.sealed, for: binding) else {
                    batch.skipped += 1
                    continue
                }
                if try await session.leases.rewrapHandle(leaseId: lease.id, expected: handle, to: handle.replacing(rewrapped)) {
                    batch.moved += 1
                }
            }
            return batch
        }
    }

    /// Webhook signing secrets: a server holds a few, so one batch takes them all.
    private func webhooksBatch(_ keyring: Keyring, logger: Logger) async throws -> Batch<String> {
        try await store.write(logger: logger) { session in
            try await session.lockExclusively(key: Self.lockKey)
            let webhooks = try await session.webhooks.wrapped(below: keyring.current.version)
            var batch = Batch<String>()
            guard !webhooks.isEmpty else { return batch }
            try await session.keyring.hold(dataVersion: keyring.current.version)
            for webhook in webhooks {
                let binding = WebhookService.binding(id: webhook.id, url: webhook.url)
                guard let rewrapped = try? keyring.rewrap(webhook.secret.sealed, for: binding) else {
                    batch.skipped += 1
                    continue
                }
                if try await session.webhooks.rewrap(
                    webhookId: webhook.id, expected: webhook.secret, to: webhook.secret.replacing(rewrapped))
                {
                    batch.moved += 1
                }
            }
            return batch
        }
    }

    /// The canonical destination of each connection's secrets, as `ConnectionSecrets` binds them, in two reads: the
    /// connections, then the ones they go through.
    private static func destinations(of connectionIds: [String], in session: StoreSession) async throws -> [String: String] {
        let inputs = try await session.connections.destinationInputs(ids: Array(Set(connectionIds)))
        let viaNames = Set(inputs.compactMap { ConnectionSecrets.viaName(kind: $0.kind, fields: $0.fields) })
        let vias = try await session.connections.destinationInputs(names: Array(viaNames))
        let viaByName = Dictionary(vias.map { ($0.name, ConnectionDestination(kind: $0.kind, fields: $0.fields)) }) { first, _ in first }
        var destinations: [String: String] = [:]
        for input in inputs {
            let via = ConnectionSecrets.viaName(kind: input.kind, fields: input.fields).flatMap { viaByName[$0] }
            destinations[input.id] = ConnectionDestination(kind: input.kind, fields: input.fields, via: via).canonical
        }
        return destinations
    }
}

extension StoredSecret {
    var sealed: SealedSecret { SealedSecret(masterKeyVersion: masterKeyVersion, wrappedKey: wrappedKey, ciphertext: ciphertext) }

    /// This secret with its data key wrapped as `rewrapped` wraps it.
    func replacing(_ rewrapped: SealedSecret) -> StoredSecret {
        StoredSecret(
            field: field, credentialVersion: credentialVersion, masterKeyVersion: rewrapped.masterKeyVersion,
            wrappedKey: rewrapped.wrappedKey, ciphertext: ciphertext)
    }
}
