import SQLKit
import Synchronization

/// Group commit for the one SQLite writer: write transactions that arrive together share one SQLite transaction
/// and so one fsync. Each runs in a savepoint of its own, so a failing one rolls back alone, and none is
/// acknowledged before the shared COMMIT is durable. The first writer to find no batch running leads: it runs
/// batches until the queue is empty.
final class GroupCommit: Sendable {
    private struct State {
        var queue: [WriteJob] = []
        var isLeading = false
    }

    private static let maximumBatch = 64
    private let state = Mutex(State())

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
        if leads { await lead(on: database) }
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
        do {
            try await database.raw("BEGIN IMMEDIATE").run()
        } catch {
            for job in batch { job.finish(.failure(error)) }
            return
        }
        var outcomes: [Swift.Result<any Sendable, any Error>] = []
        for job in batch {
            do {
                try await database.raw("SAVEPOINT hitch_write").run()
                let value = try await job.body(database)
                try await database.raw("RELEASE hitch_write").run()
                outcomes.append(.success(value))
            } catch {
                try? await database.raw("ROLLBACK TO hitch_write").run()
                try? await database.raw("RELEASE hitch_write").run()
                outcomes.append(.failure(error))
            }
        }
        do {
            try await database.raw("COMMIT").run()
            for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
        } catch {
            try? await database.raw("ROLLBACK").run()
            for job in batch { job.finish(.failure(error)) }
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
