import Foundation
import HitchDomain
import HitchStorage
import Logging

/// Opens the configured backend for the duration of `body`; a PostgreSQL client's pool runs beside it.
public enum StorageRuntime {
    @discardableResult
    public static func withBackend<Result: Sendable>(
        _ configuration: HitchConfiguration, logger: Logger,
        _ body: @Sendable (any SQLBackend) async throws -> Result
    ) async throws -> Result {
        try DataDirectory.prepare(configuration.dataDirectory)
        guard let url = configuration.databaseURL else {
            let lock = try DataDirectoryLock(dataDirectory: configuration.dataDirectory)
            defer { withExtendedLifetime(lock) {} }
            let backend = try await SQLiteBackend.open(path: configuration.sqlitePath, logger: logger)
            do {
                let result = try await body(backend)
                try await backend.close()
                return result
            } catch {
                try? await backend.close()
                throw error
            }
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw HitchError(.badRequest, "the database URL must start with postgres:// (or leave it out for SQLite)")
        }
        let backend = try PostgresBackend(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                await backend.run()
                return nil
            }
            defer { group.cancelAll() }
            try await backend.checkReachable(logger: logger)
            return try await body(backend)
        }
    }
}

enum DataDirectory {
    /// Creates the data directory, readable by its owner only, when it does not exist.
    static func prepare(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw HitchError(.badRequest, "\(path) is not a directory") }
            return
        }
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
