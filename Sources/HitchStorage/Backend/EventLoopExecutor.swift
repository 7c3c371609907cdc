import NIOCore

/// Runs a task's jobs on one event loop's thread. SQLite's writer uses a loop of its own: a statement's answer
/// completes on that loop, and the group commit's leader, which preferred this executor, resumes right there
/// instead of queueing for a thread of Swift's shared pool behind every request's tasks.
final class EventLoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
