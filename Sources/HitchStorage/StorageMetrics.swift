import Metrics
import Synchronization

/// What storage reports to swift-metrics (the server exports it at /metrics): each write transaction's latency by
/// backend, the audit events that committed, and on SQLite how many transactions each commit carried.
enum StorageMetrics {
    static let transactionSeconds = "hitch_db_transaction_duration_seconds"
    static let auditAppends = "hitch_audit_appends_total"
    static let commitTransactions = "hitch_sqlite_commit_transactions"

    static func transaction(backend: String, took duration: Duration) {
        Timer(label: transactionSeconds, dimensions: [("backend", backend)]).record(duration: duration)
    }

    static func committed(_ tally: WriteTally) {
        let events = tally.auditEvents
        if events > 0 { Counter(label: auditAppends).increment(by: events) }
    }

    static func commit(carried transactions: Int) {
        Recorder(label: commitTransactions, aggregate: true).record(transactions)
    }
}

/// What one write transaction did, counted while its body runs. A body that runs again (a group commit's batch
/// that failed, each of its transactions retried alone) starts from zero, so only what committed is reported.
final class WriteTally: Sendable {
    private let events = Atomic<Int>(0)
    private let identities = Atomic<Bool>(false)

    func reset() {
        events.store(0, ordering: .relaxed)
        identities.store(false, ordering: .relaxed)
    }

    /// The write used the identities repository (it may have changed a token, a role, a scope, or disabled someone).
    func usedIdentities() { identities.store(true, ordering: .relaxed) }
    var hasUsedIdentities: Bool { identities.load(ordering: .relaxed) }

    func appended(_ count: Int) { events.add(count, ordering: .relaxed) }
    var auditEvents: Int { events.load(ordering: .relaxed) }
}
