import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// SQLite in one file, in WAL mode with `synchronous=FULL`: an acknowledged write survives a crash or a power cut.
/// One connection writes, in batches that share a commit (`GroupCommit`); a few more read beside it. SQL is not
/// logged: its binds carry ciphertexts and token hashes.
public final class SQLiteBackend: SQLBackend {
    public let name = "sqlite"
    /// The data directory's lock file keeps a second server off this file (see `DataDirectoryLock`).
    public let isExclusive = true
    public let path: String
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    /// The writer has a thread of its own, so that its statements never queue behind readers', and the group
    /// commit's leader runs on it too, between its statements (`ThreadPoolExecutor`).
    private let writerThread: NIOThreadPool
    private let groupCommit: GroupCommit
    public let auditHeadMemo: AuditHeadMemo?
    private let readerTurn = Atomic<Int>(0)

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection], writerThread: NIOThreadPool) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.writerThread = writerThread
        let memo = AuditHeadMemo()
        auditHeadMemo = memo
        groupCommit = GroupCommit(
            writer: GroupCommit.Writer(begin: "BEGIN IMMEDIATE", withDatabase: { use in await use(writer.sql(queryLogLevel: nil)) }),
            maximumLeaders: 1, executor: ThreadPoolExecutor(writerThread), auditHead: memo)
    }

    public static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteBackend {
        let writerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
        let writer: SQLiteConnection
        do {
            writer = try await openConnection(
                path: path, threadPool: writerThread, on: MultiThreadedEventLoopGroup.singleton.any(), logger: logger)
        } catch {
            try? await writerThread.shutdownGracefully()
            throw error
        }
        // WAL mode is a property of the file; set it once, from the writer.
        _ = try await writer.query("PRAGMA journal_mode=WAL")
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            readers.append(
                try await openConnection(
                    path: path, threadPool: .singleton, on: MultiThreadedEventLoopGroup.singleton.any(), logger: logger))
        }
        return SQLiteBackend(path: path, writer: writer, readers: readers, writerThread: writerThread)
    }

    private static func openConnection(
        path: String, threadPool: NIOThreadPool, on eventLoop: any EventLoop, logger: Logger
    ) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
        for pragma in [
            "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000",
            "PRAGMA secure_delete=ON", "PRAGMA case_sensitive_like=ON",
        ] {
            _ = try await connection.query(pragma)
        }
        return connection
    }

    public func read<Result: Sendable>(
        logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        let turn = readerTurn.wrappingAdd(1, ordering: .relaxed).newValue
        let reader = readers[(turn & Int.max) % readers.count]
        return try await body(reader.sql(queryLogLevel: nil))
    }

    public func write<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (WriteTransaction) async throws -> Result
    ) async throws -> Result {
        try await groupCommit.run(backend: self, body)
    }

    /// `VACUUM INTO` on a reader: a read transaction's snapshot, so writers are not held up.
    public func snapshot(to path: String, logger: Logger) async throws {
        try await read(logger: logger) { database in try await database.raw("VACUUM INTO \(bind: path)").run() }
    }

    public func lockExclusively(_ database: any SQLDatabase, key: Int64) async throws {
        // BEGIN IMMEDIATE already holds the file's only write lock.
    }

    /// One process uses the file: there is nobody else to tell.
    public func notify(_ database: any SQLDatabase, _ notices: [Notice]) async throws {}

    public func listen(channel: String, logger: Logger, _ receive: @escaping @Sendable (String) async -> Void) async throws {}

    public func isUniqueViolation(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
            || String(describing: error).contains("UNIQUE constraint failed")
    }

    public func close() async throws {
        for reader in readers { try await reader.close() }
        try await writer.close()
        try await writerThread.shutdownGracefully()
    }
}
