import Foundation
import HitchStorage
import SQLKit
import Testing

/// PostgreSQL over TLS that is verified: `sslmode=verify-full` with the private CA in `sslrootcert` connects and
/// encrypts; without that CA the server's certificate is refused rather than used unverified; a CA file that cannot
/// be read is refused at once. The test peer (scripts/postgres-peer) serves TLS from its own CA.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["HITCH_TEST_PG_ROOTCERT"] != nil || ProcessInfo.processInfo.environment["CI"] == "true", "scripts/test starts PostgreSQL with TLS"))
struct PostgresTLSTests {
    /// `timeout` bounds the wait for the first connection: long for one that must succeed on a loaded machine,
    /// short for one that must fail (it is waited out).
    static func withBackend<Result: Sendable>(
        _ query: String, timeout: Duration = .seconds(60), _ body: @Sendable (PostgresBackend) async throws -> Result
    ) async throws -> Result {
        let base = try #require(ProcessInfo.processInfo.environment["HITCH_TEST_DATABASE_URL"])
        let backend = try PostgresBackend(url: base + query, logger: TestBackend.logger)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                await backend.run()
                return nil
            }
            defer { group.cancelAll() }
            try await backend.checkReachable(timeout: timeout, logger: TestBackend.logger)
            return try await body(backend)
        }
    }

    @Test func verifyFullWithThePrivateCAConnectsOverTLS() async throws {
        let root = try #require(ProcessInfo.processInfo.environment["HITCH_TEST_PG_ROOTCERT"])
        let encrypted = try await Self.withBackend("?sslmode=verify-full&sslrootcert=\(root)") { backend in
            try await backend.read(logger: TestBackend.logger) { database in
                try await database.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first()?
                    .decode(column: "ssl", as: Bool.self)
            }
        }
        #expect(encrypted == true)
    }

    @Test func withoutTheCATheCertificateIsRefused() async throws {
        await #expect(throws: (any Error).self) {
            try await Self.withBackend("?sslmode=verify-full", timeout: .seconds(5)) { _ in }
        }
    }

    @Test func anUnreadableCAFileIsRefusedAtOnce() throws {
        #expect(throws: StorageError.self) {
            try PostgresBackend(url: "postgres://postgres@127.0.0.1:1/x?sslmode=verify-full&sslrootcert=/nonexistent/root.crt", logger: TestBackend.logger)
        }
    }
}
