/// Runs work within a time limit; past it the work is cancelled and `Exceeded` thrown.
enum JobDeadline {
    struct Exceeded: Error {
        let seconds: Int64
    }

    static func within<Result: Sendable>(
        _ limit: Duration, _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw Exceeded(seconds: limit.components.seconds)
            }
            return result
        }
    }
}
