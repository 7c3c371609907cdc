import SQLKit
import Synchronization

/// Group commit: write transactions that arrive together share one database transaction, and so one COMMIT (one
/// fsync, one audit append), and none is acknowledged before that COMMIT is durable. When one of them fails, the
/// batch is rolled back and each of its transactions runs again alone, so each commits or fails by itself; a
/// transaction's body only touches the database, so running it again is safe. A writer that arrives while fewer
/// than `maximumLeaders` batches are running leads: it runs batches until the queue is empty.
///
/// SQLite has one writer and so one leader. On PostgreSQL a few batches run at once, each on a pooled connection;
/// they meet only at the rows they share and at the audit head, which each takes last (see `WriteTransaction`).
final class GroupCommit: Sendable {
    /// How a leader reaches the database: the statement that opens a transaction, and a handle for one batch.
    struct Writer: Sendable {
        var begin: SQLQueryString
        /// Calls `use` with a handle on which one transaction runs, and returns what it returned.
        var withDatabase: @Sendable (_ use: @escaping @Sendable (any SQLDatabase) async -> Outcome) async throws -> Outcome
    }

    typealias Outcome = Swift.Result<[any Sendable], any Error>

    private struct State {
        var queue: [WriteJob] = []
        var leaders = 0
    }

    private static let maximumBatch = 64
    private let state = Mutex(State())
    private let writer: Writer
    private let maximumLeaders: Int
    /// Where leaders run: for SQLite, the writer's own thread, where each statement runs and its answer arrives.
    private let executor: (any TaskExecutor)?
    /// Follows each transaction's outcome, so that a head appended in a batch that rolled back is never used.
    private let auditHead: AuditHeadMemo?

    init(writer: Writer, maximumLeaders: Int, executor: (any TaskExecutor)?, auditHead: AuditHeadMemo?) {
        self.writer = writer
        self.maximumLeaders = maximumLeaders
        self.executor = executor
        self.auditHead = auditHead
    }

    func run<Result: Sendable>(
        backend: any SQLBackend, _ body: @escaping @Sendable (WriteTransaction) async throws -> Result
    ) async throws -> Result {
        let job = WriteJob { try await body($0) }
        let leads = state.withLock { state in
            state.queue.append(job)
            guard state.leaders < maximumLeaders else { return false }
            state.leaders += 1
            return true
        }
        // The leader runs the batches in a task of their own, which its caller does not wait for: the caller waits
        // only for its own write, not for a queue that may stay full while writes keep coming; and it may be
        // cancelled (a job stopped at shutdown), while a batch must not stop between BEGIN and COMMIT or ROLLBACK,
        // which would leave the connection inside a transaction and fail every write after it.
        if leads { Task(executorPreference: executor) { await self.lead(backend: backend) } }
        return try await job.outcome() as! Result
    }

    private func lead(backend: any SQLBackend) async {
        while true {
            let batch = state.withLock { state in
                let batch = Array(state.queue.prefix(Self.maximumBatch))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.leaders -= 1 }
                return batch
            }
            if batch.isEmpty { return }
            await runBatch(batch, backend: backend)
        }
    }

    private func runBatch(_ batch: [WriteJob], backend: any SQLBackend) async {
        if batch.count > 1, let values = await runTogether(batch, backend: backend) {
            StorageMetrics.commit(carried: batch.count)
            for (job, value) in zip(batch, values) { job.finish(.success(value)) }
            return
        }
        for job in batch {
            job.finish(await runAlone(job, backend: backend))
            StorageMetrics.commit(carried: 1)
        }
    }

    /// All of the batch in one transaction, or nil when any of it fails.
    private func runTogether(_ batch: [WriteJob], backend: any SQLBackend) async -> [any Sendable]? {
        guard case .success(let values) = await transaction(batch, backend: backend) else { return nil }
        return values
    }

    private func runAlone(_ job: WriteJob, backend: any SQLBackend) async -> Swift.Result<any Sendable, any Error> {
        await transaction([job], backend: backend).map { $0[0] }
    }

    private func transaction(_ jobs: [WriteJob], backend: any SQLBackend) async -> Outcome {
        do {
            return try await writer.withDatabase { [writer, auditHead] database in
                do {
                    try await database.raw(writer.begin).run()
                    auditHead?.begin()
                    let transaction = WriteTransaction(database: database, backend: backend)
                    var values: [any Sendable] = []
                    for job in jobs { values.append(try await job.body(transaction)) }
                    try await transaction.finish()
                    try await database.raw("COMMIT").run()
                    auditHead?.commit()
                    return .success(values)
                } catch {
                    auditHead?.forget()
                    try? await database.raw("ROLLBACK").run()
                    return .failure(error)
                }
            }
        } catch {
            return .failure(error)
        }
    }
}

/// One write transaction waiting in a batch, and its outcome once the batch has committed.
private final class WriteJob: Sendable {
    private enum State {
        case waiting(CheckedContinuation<any Sendable, any Error>?)
        case finished(Swift.Result<any Sendable, any Error>)
    }

    let body: @Sendable (WriteTransaction) async throws -> any Sendable
    private let state = Mutex(State.waiting(nil))

    init(body: @escaping @Sendable (WriteTransaction) async throws -> any Sendable) { self.body = body }

    func finish(_ outcome: Swift.Result<any Sendable, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<any Sendable, any Error>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .finished(outcome)
            return continuation
        }
        waiter?.resume(with: outcome)
    }

    func outcome() async throws -> any Sendable {
        try await withCheckedThrowingContinuation { continuation in
            let finished = state.withLock { state -> Swift.Result<any Sendable, any Error>? in
                switch state {
                case .finished(let outcome): return outcome
                case .waiting: state = .waiting(continuation); return nil
                }
            }
            if let finished { continuation.resume(with: finished) }
        }
    }
}
