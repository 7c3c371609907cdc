import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn`, for the tests' own launches. Foundation's `Process.run()` on Linux
/// (this toolchain) lists /proc/self/fd with a 256-byte over-read of each directory entry and crashed the test
/// process now and then (signal 11 in a memmove), with or without launches running at once
/// (swift-corelibs-foundation PR 5472). Every descriptor but the three given is closed in the child.
final class ChildProcess: Sendable {
    let processIdentifier: pid_t
    private let exit = Mutex<Int32?>(nil)

    struct SpawnFailed: Error, CustomStringConvertible {
        let executable: String
        let code: Int32
        var description: String { "could not start \(executable): \(String(cString: strerror(code)))" }
    }

    /// `stdin`, `stdout` and `stderr` become the child's 0, 1 and 2; nil is /dev/null. `environment` nil inherits
    /// the test process's.
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: Int32? = nil,
        stdout: Int32? = nil, stderr: Int32? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (given, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let given {
                posix_spawn_file_actions_adddup2(&actions, given, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        guard Self.closeFrom(&actions, 3) == 0 else { throw SpawnFailed(executable: executable, code: EINVAL) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Signals a test thread blocks are not blocked in the child: a server must hear SIGINT and SIGTERM. What the
        // test process ignores (SIGPIPE) stays ignored, as it did under Foundation's Process.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = environment.map { $0.map { "\($0.key)=\($0.value)" } } ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let envp = variables.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnFailed(executable: executable, code: code) }
        processIdentifier = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// declare: the child closes every descriptor from the given one up, so none of the test process's leaks in.
    private static let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc 2.34 or later is needed (posix_spawn_file_actions_addclosefrom_np)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Whether it has not exited yet (and reaps it once it has).
    var isRunning: Bool { reap(blocking: false) == nil }

    func terminate() { kill(processIdentifier, SIGTERM) }
    func interrupt() { kill(processIdentifier, SIGINT) }

    /// Waits for it to exit; its exit status, or 128 + the signal that ended it.
    @discardableResult
    func waitUntilExit() -> Int32 {
        while true {
            if let status = reap(blocking: false) { return status }
            usleep(10_000)
        }
    }

    var terminationStatus: Int32 { waitUntilExit() }

    private func reap(blocking: Bool) -> Int32? {
        exit.withLock { exit in
            if let exit { return exit }
            var status: Int32 = 0
            let result = waitpid(processIdentifier, &status, blocking ? 0 : WNOHANG)
            guard result == processIdentifier else { return nil }
            let low = status & 0x7f
            exit = low == 0 ? (status >> 8) & 0xff : 128 + low
            return exit
        }
    }

    /// A pipe whose ends close on exec (the child gets copies through its file actions only).
    static func pipe() throws -> (read: FileHandle, write: FileHandle) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw SpawnFailed(executable: "pipe", code: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (FileHandle(fileDescriptor: ends[0], closeOnDealloc: true), FileHandle(fileDescriptor: ends[1], closeOnDealloc: true))
    }

    /// A file to write a child's output to, opened close-on-exec.
    static func outputFile(_ path: String) throws -> FileHandle {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SpawnFailed(executable: path, code: errno) }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
