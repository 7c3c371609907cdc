import Foundation
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL, shared by several Hitch servers. Its client must be running (see `run()`) before use.
public final class PostgresBackend: SQLBackend {
    public let name = "postgres"
    /// Several servers may share the database: nothing read is cached.
    public let isExclusive = false
    public let client: PostgresClient
    private let groupCommit: GroupCommit
    private let statements = PreparedStatementCatalog()
    /// How many write batches run at once, each on a connection of its own.
    static let concurrentBatches = 2

    /// The URL's `sslmode` decides TLS: `verify-full` (and `require`, its alias here) verifies the server's
    /// certificate and host name, against the system's roots or the CA file in `sslrootcert`; `prefer` (the default
    /// when none is given), as libpq's, encrypts without verifying when the server offers TLS and falls back to
    /// plaintext without telling, so it is warned about at start for a server that is not on loopback; `disable`
    /// never uses TLS. A URL that does not
    /// parse is refused with a message that does not repeat it: it may carry the database password.
    public init(url: String, logger: Logger) throws {
        let refused = StorageError(
            code: .unsupportedURL,
            message: "the database URL is not a valid postgres:// URL (sslmode may be disable, prefer, require or verify-full; sslrootcert a CA file)")
        guard var components = URLComponents(string: url) else { throw refused }
        let items = components.queryItems ?? []
        let rootCertificate = items.last { $0.name == "sslrootcert" }?.value
        let mode = items.last { ["sslmode", "tlsmode", "ssl", "tls"].contains($0.name.lowercased()) }?.value ?? "prefer"
        components.queryItems = items.filter { $0.name != "sslrootcert" }
        if components.queryItems?.isEmpty == true { components.queryItems = nil }
        let configuration: SQLPostgresConfiguration
        do {
            guard let stripped = components.string else { throw refused }
            configuration = try SQLPostgresConfiguration(url: stripped)
        } catch {
            throw refused
        }
        let core = configuration.coreConfiguration
        var verified = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw StorageError(code: .unsupportedURL, message: "sslrootcert names a file that cannot be read: \(rootCertificate)")
            }
            verified.trustRoots = .file(rootCertificate)
        }
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "verify-full", "verify-ca", "require": tls = .require(verified)
        case "disable", "false": tls = .disable
        default:
            // As libpq's prefer: encrypted when the server offers TLS, but not verified, else plaintext.
            var opportunistic = TLSConfiguration.makeClientConfiguration()
            opportunistic.certificateVerification = .none
            tls = core.tls.isAllowed ? .prefer(opportunistic) : .disable
            let host = core.host ?? "127.0.0.1"
            if !["127.0.0.1", "::1", "localhost"].contains(host) {
                logger.warning(
                    "the database connection may fall back to plaintext (sslmode=\(mode)); use sslmode=verify-full, with sslrootcert for a private CA")
            }
        }
        var clientConfiguration = PostgresClient.Configuration(
            host: core.host ?? "127.0.0.1", port: core.port ?? 5432, username: core.username, password: core.password,
            database: core.database, tls: tls)
        clientConfiguration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        self.client = client
        let statements = statements
        groupCommit = GroupCommit(
            writer: GroupCommit.Writer(begin: "BEGIN", withDatabase: { use in
                try await client.withConnection { connection in
                    await withTaskExecutorPreference(EventLoopExecutor(connection.eventLoop)) {
                        await use(PreparingSQLDatabase(connection: connection, catalog: statements))
                    }
                }
            }),
            maximumLeaders: Self.concurrentBatches, executor: nil, auditHead: nil)
    }

    /// Runs the connection pool until the task is cancelled.
    public func run() async { await client.run() }

    /// Fails with a clear message when the database cannot be reached, instead of retrying forever.
    public func checkReachable(timeout: Duration = .seconds(30), logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await self.read(logger: logger) { try await $0.raw("SELECT 1").all() }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StorageError.unreachable("PostgreSQL did not answer within \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    public func read<Result: Sendable>(
        logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await client.withConnection { connection in
            try await body(PreparingSQLDatabase(connection: connection, catalog: statements))
        }
    }

    public func write<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (WriteTransaction) async throws -> Result
    ) async throws -> Result {
        try await groupCommit.run(backend: self, body)
    }

    public func lockExclusively(_ database: any SQLDatabase, key: Int64) async throws {
        try await database.raw("SELECT pg_advisory_xact_lock(\(bind: key))").run()
    }

    public func snapshot(to path: String, logger: Logger) async throws {
        throw StorageError(
            code: .unsupported,
            message: "on PostgreSQL, take backups with PostgreSQL's own tools: pg_dump --format=custom --file=hitch.dump \"$HITCH_DATABASE_URL\"")
    }

    /// One statement whatever the number of notices (two arrays unnested side by side), so that it is prepared once.
    public func notify(_ database: any SQLDatabase, _ notices: [Notice]) async throws {
        guard !notices.isEmpty else { return }
        try await database.raw("""
            SELECT pg_notify(n.channel, n.payload) FROM unnest(\(bind: notices.map(\.channel)), \(bind: notices.map(\.payload))) \
            AS n (channel, payload)
            """).run()
    }

    /// Holds one pooled connection for as long as it listens.
    public func listen(channel: String, logger: Logger, _ receive: @escaping @Sendable (String) async -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: channel) { notifications in
                for try await notification in notifications { await receive(notification.payload) }
            }
        }
    }

    public func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    public func close() async throws {}
}
