/// The jobs this server runs in the background, so that a cancel or a shutdown can stop them. Their state lives
/// in storage: a job cancelled or invalidated through another server stops at its next progress report.
package actor RunningJobs {
    private var tasks: [String: Task<Void, Never>] = [:]

    /// Starts `body` as job `id`'s task; it is forgotten when it ends.
    func launch(_ id: String, _ body: @escaping @Sendable () async -> Void) {
        tasks[id] = Task {
            await body()
            self.ended(id)
        }
    }

    func cancel(_ id: String) {
        tasks[id]?.cancel()
    }

    /// Cancels every job and waits for each to record how it ended.
    func stopAll() async {
        let running = tasks.values
        cancelAll()
        for task in running { await task.value }
    }

    /// Cancels every job without waiting: each stops at its next step and records that it stopped.
    package func cancelAll() {
        for task in tasks.values { task.cancel() }
    }

    package var count: Int { tasks.count }

    private func ended(_ id: String) {
        tasks[id] = nil
    }
}
