import Foundation
import HitchAudit
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// A consistent snapshot of the SQLite database while the server keeps serving (`VACUUM INTO`), into a file of the
/// data directory that the caller streams out and removes. It holds sealed data only: without the key-encryption key
/// no secret in it opens. On PostgreSQL, `pg_dump` is the tool.
package struct BackupService: Sendable {
    let store: Store
    let audit: AuditLog
    let dataDirectory: String

    /// The snapshot's path; the caller removes the file once it is sent.
    package func take(by actor: RequestActor, logger: Logger) async throws -> String {
        guard store.backend.name == "sqlite" else {
            throw HitchError(
                .conflict,
                "the database is PostgreSQL: take backups with pg_dump (pg_dump --format=custom --file=hitch.dump \"$HITCH_DATABASE_URL\"), see the README")
        }
        let path = (dataDirectory as NSString).appendingPathComponent("backup-\(UUID().uuidString.lowercased()).sqlite")
        do {
            try await store.backend.snapshot(to: path, logger: logger)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let event = actor.event("backup.take", target: nil, detail: "a snapshot of the SQLite database")
        try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
        return path
    }
}

/// `hitch restore`: puts a snapshot in place of a data directory's database, offline, once the snapshot has shown
/// that the data directory's key-encryption key opens its keyring and that its audit log verifies. The database it
/// replaces is kept beside it.
public enum BackupRestore {
    public struct Report: Sendable {
        public let verifiedEvents: Int64
        /// Where the replaced database now is; nil when the data directory had none.
        public let replacedPath: String?
    }

    public static func restore(snapshot: String, configuration: HitchConfiguration, logger: Logger) async throws -> Report {
        guard configuration.databaseURL == nil else {
            throw HitchError(.badRequest, "restore is for the SQLite default; on PostgreSQL, use pg_restore")
        }
        try DataDirectory.prepare(configuration.dataDirectory)
        // No server may run on the data directory meanwhile.
        let lock = try DataDirectoryLock(dataDirectory: configuration.dataDirectory)
        defer { withExtendedLifetime(lock) {} }
        let checked = (configuration.dataDirectory as NSString).appendingPathComponent("restore-\(UUID().uuidString.lowercased()).sqlite")
        try FileManager.default.copyItem(atPath: snapshot, toPath: checked)
        do {
            let verified = try await check(checked, configuration: configuration, logger: logger)
            let replaced = try replace(with: checked, configuration: configuration)
            return Report(verifiedEvents: verified, replacedPath: replaced)
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: checked + suffix) }
            throw error
        }
    }

    /// Opens the copy, its keyring with the data directory's key-encryption key, and verifies its audit log.
    private static func check(_ path: String, configuration: HitchConfiguration, logger: Logger) async throws -> Int64 {
        let backend = try await SQLiteBackend.open(path: path, readers: 1, logger: logger)
        do {
            let store = Store(backend: backend)
            let applied = try await Migrator(backend: backend).appliedVersions(logger: logger)
            guard applied.contains(SchemaVersion.keyring) else {
                throw HitchError(.badRequest, "the snapshot is not a Hitch database with a keyring (schema \(applied.last ?? 0))")
            }
            let (kek, _) = try KEKSource.load(configuration, mayCreate: false)
            let rows = try await store.read(logger: logger) { try await $0.keyring.all() }
            let (_, auditKeys) = try await KeyringRows.open(rows, with: kek)
            let chain = AuditChain(keys: auditKeys, current: auditKeys.keys.max() ?? 1)
            let verification = try await AuditVerifier(chain: chain).verify(store: store, logger: logger)
            guard verification.isIntact else {
                throw HitchError(.conflict, "the snapshot's audit log does not verify (sequence \(verification.failure?.sequence ?? 0)): nothing was replaced")
            }
            try await backend.close()
            return verification.verified
        } catch {
            try? await backend.close()
            throw error
        }
    }

    /// Moves the database (with its WAL) aside and the checked copy in its place.
    private static func replace(with checked: String, configuration: HitchConfiguration) throws -> String? {
        let fileManager = FileManager.default
        let target = configuration.sqlitePath
        var replaced: String?
        if fileManager.fileExists(atPath: target) {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let aside = target + ".replaced-" + stamp
            for suffix in ["", "-wal", "-shm"] where fileManager.fileExists(atPath: target + suffix) {
                try fileManager.moveItem(atPath: target + suffix, toPath: aside + suffix)
            }
            replaced = aside
        }
        for suffix in ["-wal", "-shm"] { try? fileManager.removeItem(atPath: checked + suffix) }
        try fileManager.moveItem(atPath: checked, toPath: target)
        return replaced
    }
}
