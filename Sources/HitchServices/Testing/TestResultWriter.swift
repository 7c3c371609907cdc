import Foundation
import HitchAudit
import HitchStorage
import Logging

/// Saves test results on their connections with their audit events. During a run of many tests it writes as many
/// results to one transaction as finished while the previous transaction was written (group commit), so a run
/// commits far fewer times than it tests; each `save` returns once its own result is committed.
package actor TestResultWriter {
    struct Result: Sendable {
        let connectionId: String
        let testedVersion: Int
        let status: ConnectionStatus
        let event: AuditEvent
        /// The certificate the test met, when it reached TLS.
        var presented: CertificateRecord?
        /// Whether the connection remembers the certificate it first passed with (vsphere, nutanix, no pin).
        var remembers = false
        /// Who ran the test, as its history names them.
        var testedBy: String
    }

    /// How many results each connection's history keeps.
    package static let historyLength = 50

    private let store: Store
    private let audit: AuditLog
    private let logger: Logger
    private let expiryWarningDays: Int
    private var pending: [(Result, CheckedContinuation<Void, any Error>)] = []
    private var writing = false

    init(store: Store, audit: AuditLog, expiryWarningDays: Int, logger: Logger) {
        self.store = store
        self.audit = audit
        self.expiryWarningDays = expiryWarningDays
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
                try await store.write(logger: logger) { [audit, expiryWarningDays] session in
                    try await Self.write(batch.map(\.0), audit: audit, expiryWarningDays: expiryWarningDays, in: session)
                }
                for (_, continuation) in batch { continuation.resume() }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        writing = false
    }

    /// Each status (unless the connection's credential changed since it was read or it is gone) with how long it has
    /// held, the certificate it remembers, its history and the webhook events it causes; then every audit event, in
    /// `session`. The connection's row is read locked, so two results saved at once see each other.
    static func write(_ results: [Result], audit: AuditLog, expiryWarningDays: Int, in session: StoreSession) async throws {
        var events: [WatchEvent] = []
        for result in results {
            guard let current = try await session.connections.find(id: result.connectionId, lock: .update),
                current.credentialVersion == result.testedVersion
            else { continue }
            let transition = StatusTransition(
                current: current, tested: result.status, presented: result.presented, remembers: result.remembers,
                expiringWithinDays: expiryWarningDays)
            _ = try await session.connections.saveStatus(
                transition.status, certificates: transition.certificates, connectionId: result.connectionId,
                testedVersion: result.testedVersion)
            let status = transition.status
            try await session.testHistory.append(
                TestResultRecord(
                    connectionId: result.connectionId, at: status.at ?? Date(), state: status.state, stage: status.stage,
                    message: status.message, durationMilliseconds: status.durationMilliseconds, testedBy: result.testedBy),
                keep: historyLength)
            events += transition.events
        }
        try await WebhookOutbox.enqueue(events, in: session)
        try await audit.append(results.map(\.event), in: session)
    }
}
