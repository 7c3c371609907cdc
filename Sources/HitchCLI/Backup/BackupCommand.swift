import ArgumentParser
import Foundation
import HitchAPI
import HitchServices
import Logging
import OpenAPIRuntime

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Save a consistent snapshot of the server's SQLite database while it keeps serving (admin).",
        discussion: """
            The snapshot holds sealed data only: without the key-encryption key (<data-dir>/master.key, \
            HITCH_MASTER_KEY or the KMS key) no secret in it opens, so keep the key elsewhere than the backups. On \
            PostgreSQL the server answers that pg_dump is the tool. Put a snapshot back with `hitch restore`.
              hitch backup --output hitch-$(date +%F).sqlite
            """)

    @Option(name: .shortAndLong, help: "The file to write (mode 0600); it must not exist.") var output: String

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: output) else { throw CLIError.usage("\(output) exists; give a new file") }
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.takeBackup() }) {
        case .ok(let ok):
            let body = try ok.body.applicationVnd_sqlite3
            let partial = output + ".partial"
            guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
                let file = FileHandle(forWritingAtPath: partial)
            else { throw CLIError("cannot write \(partial)") }
            var bytes = 0
            do {
                for try await chunk in body {
                    try file.write(contentsOf: chunk)
                    bytes += chunk.count
                }
                try file.synchronize()
                try file.close()
                try FileManager.default.moveItem(atPath: partial, toPath: output)
            } catch {
                try? file.close()
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
            print("saved a snapshot of \(bytes) bytes to \(output)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a snapshot in place of a data directory's SQLite database (offline: the server must be stopped).",
        discussion: """
            Before anything is replaced, the data directory's key-encryption key (its master.key, HITCH_MASTER_KEY \
            or --kms-key-id) must open the snapshot's keyring, and the snapshot's audit log must verify. The \
            database it replaces is kept beside it as hitch.sqlite.replaced-TIME.
              hitch restore hitch-2026-12-04.sqlite --data-dir ./hitch-data
            """)

    @Argument(help: "A snapshot made by `hitch backup`.") var snapshot: String
    @Option(help: "The data directory (env HITCH_DATA_DIR).") var dataDir: String?
    @Option(help: "An AWS KMS key (ARN) as the key-encryption key (env HITCH_KMS_KEY_ID).") var kmsKeyId: String?
    @Option(help: "A private or test KMS endpoint (env HITCH_KMS_ENDPOINT).") var kmsEndpoint: String?

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let kmsKeyId { environment["HITCH_KMS_KEY_ID"] = kmsKeyId }
        if let kmsEndpoint { environment["HITCH_KMS_ENDPOINT"] = kmsEndpoint }
        guard FileManager.default.isReadableFile(atPath: snapshot) else { throw CLIError.usage("cannot read \(snapshot)") }
        let configuration = HitchConfiguration(
            dataDirectory: dataDir ?? environment["HITCH_DATA_DIR"] ?? "./hitch-data", environment: environment)
        var logger = Logger(label: "hitch")
        logger.logLevel = .warning
        do {
            let report = try await BackupRestore.restore(snapshot: snapshot, configuration: configuration, logger: logger)
            print("restored \(snapshot) into \(configuration.sqlitePath): the key opens its keyring, \(report.verifiedEvents) audit events verified")
            if let replaced = report.replacedPath { print("the database it replaced is kept as \(replaced)") }
        } catch {
            throw CLIError("nothing was replaced: \(error)")
        }
    }
}
