#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HitchDomain

/// An exclusive lock on `<data-dir>/hitch.lock` while a server uses the embedded SQLite database, so that a second
/// server on the same data directory is refused instead of sharing the file behind the first one's caches.
final class DataDirectoryLock {
    private let descriptor: Int32

    init(dataDirectory: String) throws {
        let path = dataDirectory + "/hitch.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw HitchError(.internal, "cannot open \(path)") }
        // A lock just released can still be held for a moment by a child process that another thread is starting
        // (between its fork and its exec, which closes the descriptor): a few short tries before refusing.
        var locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        for _ in 0..<20 where !locked {
            usleep(100_000)
            locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            close(descriptor)
            throw HitchError(.conflict, "another Hitch server is using \(dataDirectory); stop it first")
        }
        self.descriptor = descriptor
    }

    /// Closing the descriptor releases the lock.
    deinit { close(descriptor) }
}
