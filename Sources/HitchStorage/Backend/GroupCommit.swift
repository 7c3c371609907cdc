import SQLKit
import Synchronization

/// Group commit for the one SQLite writer: write transactions that arrive together share one SQLite transaction
/// and so one fsync, and none is acknowledged before that COMMIT is durable. When one of them fails, the batch is
/// rolled back and each of its transactions runs again alone, so each commits or fails by itself; a transaction's
/// body only touches the database, so running it again is safe. The first writer to find no batch running leads:
/// it runs batches until the queue is empty.
final class GroupCommit: Sendable {
    private struct State {
        var queue: [WriteJob] = []
        var isLeading = false
    }

    private static let maximumBatch = 64
    private let state = Mutex(State())
    /// Where the leader runs: the writer's own thread, where each statement runs and its answer arrives.
    private let executor: any TaskExecutor
    /// Follows each transaction's outcome, so that a head appended in a batch that rolled back is never used.
    private let auditHead: AuditHeadMemo

    init(executor: any TaskExecutor, auditHead: AuditHeadMemo) {
        self.executor = executor
        self.auditHead = auditHead
    }

    func run<Result: Sendable>(
        on database: any SQLDatabase, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        let job = WriteJob { try await body($0) }
        let leads = state.withLock { state in
            state.queue.append(job)
            if state.isLeading { return false }
            state.isLeading = true
            return true
        }
        // The leader runs the batches in a task of their own: its caller may be cancelled (a job stopped at
        // shutdown), and a cancelled task must not stop a batch between BEGIN and COMMIT or ROLLBACK, which would
        // leave the one writer inside a transaction and fail every write after it.
        if leads { await Task(executorPreference: executor) { await self.lead(on: database) }.value }
        return try await job.outcome() as! Result
    }

    private func lead(on database: any SQLDatabase) async {
        while true {
            let batch = state.withLock { state in
                let batch = Array(state.queue.prefix(Self.maximumBatch))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.isLeading = false }
                return batch
            }
            if batch.isEmpty { return }
            await runBatch(batch, on: database)
        }
    }

    private func runBatch(_ batch: [WriteJob], on database: any SQLDatabase) async {
        if batch.count > 1, let values = try? await runTogether(batch, on: database) {
            StorageMetrics.commit(carried: batch.count)
            for (job, value) in zip(batch, values) { job.finish(.success(value)) }
            return
        }
        for job in batch {
            job.finish(await runAlone(job, on: database))
            StorageMetrics.commit(carried: 1)
        }
    }

    /// All of the batch in one transaction, or nothing when any of it fails.
    private func runTogether(_ batch: [WriteJob], on database: any SQLDatabase) async throws -> [any Sendable] {
        try await database.raw("BEGIN IMMEDIATE").run()
        auditHead.begin()
        do {
            var values: [any Sendable] = []
            for job in batch { values.append(try await job.body(database)) }
            try await database.raw("COMMIT").run()
            auditHead.commit()
            return values
        } catch {
            auditHead.forget()
            try? await database.raw("ROLLBACK").run()
            throw error
        }
    }

    private func runAlone(_ job: WriteJob, on database: any SQLDatabase) async -> Swift.Result<any Sendable, any Error> {
        do {
            return .success(try await runTogether([job], on: database)[0])
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

    let body: @Sendable (any SQLDatabase) async throws -> any Sendable
    private let state = Mutex(State.waiting(nil))

    init(body: @escaping @Sendable (any SQLDatabase) async throws -> any Sendable) { self.body = body }

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
