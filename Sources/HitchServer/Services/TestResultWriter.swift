import HitchAudit
import HitchStorage
import Logging

/// Saves test results on their connections with their audit events. During a run of many tests it writes as many
/// results to one transaction as finished while the previous transaction was written (group commit), so a run
/// commits far fewer times than it tests; each `save` returns once its own result is committed.
actor TestResultWriter {
    struct Result: Sendable {
        let connectionId: String
        let testedVersion: Int
        let status: ConnectionStatus
        let event: AuditEvent
    }

    private let store: Store
    private let audit: AuditLog
    private let logger: Logger
    private var pending: [(Result, CheckedContinuation<Void, any Error>)] = []
    private var writing = false

    init(store: Store, audit: AuditLog, logger: Logger) {
        self.store = store
        self.audit = audit
        self.logger = logger
    }

    func save(_ result: Result) async throws {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((result, continuation))
            if !writing {
                writing = true
                Task { await writePending() }
            }
        }
    }

    private func writePending() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            do {
                try await store.write(logger: logger) { [audit] session in
                    try await Self.write(batch.map(\.0), audit: audit, in: session)
                }
                for (_, continuation) in batch { continuation.resume() }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        writing = false
    }

    /// Each status (unless the connection's credential changed since it was read) and every event, in `session`.
    static func write(_ results: [Result], audit: AuditLog, in session: StoreSession) async throws {
        for result in results {
            _ = try await session.connections.saveStatus(
                result.status, connectionId: result.connectionId, testedVersion: result.testedVersion)
        }
        try await audit.append(results.map(\.event), in: session)
    }
}
