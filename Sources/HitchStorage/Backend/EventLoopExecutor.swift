import NIOCore

/// Runs a task's jobs on one event loop's thread: a PostgreSQL connection's. The group commit's leader runs a batch
/// there, so each statement's answer, which completes on that loop, resumes the leader in place instead of waking
/// a thread of Swift's shared pool, where it would queue behind every request's tasks.
final class EventLoopExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
