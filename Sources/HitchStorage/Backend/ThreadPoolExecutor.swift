import NIOPosix

/// Runs a task's jobs on a one-thread `NIOThreadPool`: SQLite's writer thread. SQLiteNIO runs each statement as a
/// work item of that pool and resumes the awaiting task right there, so a group commit's leader that prefers this
/// executor runs its next step on the same thread, after the statement, with no thread woken in between (an event
/// loop of its own cost two wake-ups a statement: the loop's, then the pool's).
final class ThreadPoolExecutor: TaskExecutor {
    private let pool: NIOThreadPool

    init(_ pool: NIOThreadPool) {
        self.pool = pool
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A pool that is shutting down runs the item at once, on the caller's thread: the job still runs.
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
