import Foundation
import HitchServices
import HitchStorage
import Logging
import SQLKit
import Synchronization
import Testing

/// The storage backends every storage test runs on. PostgreSQL comes from HITCH_TEST_DATABASE_URL (scripts/test
/// starts it); under CI=true its absence fails the tests instead of skipping them.
enum TestBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var all: [TestBackend] {
        let environment = ProcessInfo.processInfo.environment
        if environment["HITCH_TEST_DATABASE_URL"] != nil || environment["CI"] == "true" { return allCases }
        return [.sqlite]
    }

    var testDescription: String { rawValue }

    static let logger: Logger = {
        var logger = Logger(label: "hitch-test")
        logger.logLevel = .warning
        return logger
    }()

    /// A configuration on a new, empty database of this backend and a new data directory.
    func withConfiguration<Result: Sendable>(
        environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: @Sendable (HitchConfiguration) async throws -> Result
    ) async throws -> Result {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = HitchConfiguration(
            dataDirectory: directory.path + "/data", port: 0, logLevel: .warning, environment: environment)
        switch self {
        case .sqlite:
            return try await body(configuration)
        case .postgres:
            let adminURL = try #require(
                ProcessInfo.processInfo.environment["HITCH_TEST_DATABASE_URL"],
                "HITCH_TEST_DATABASE_URL is not set: run the tests through scripts/test", sourceLocation: sourceLocation)
            let database = "hitch_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            try await Self.admin(adminURL, "CREATE DATABASE \(database)")
            configuration.databaseURL = Self.url(adminURL, database: database)
            do {
                let result = try await body(configuration)
                try await Self.admin(adminURL, "DROP DATABASE \(database) WITH (FORCE)")
                return result
            } catch {
                try? await Self.admin(adminURL, "DROP DATABASE \(database) WITH (FORCE)")
                throw error
            }
        }
    }

    /// An open backend on a new, empty database.
    func withBackend<Result: Sendable>(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: @Sendable (any SQLBackend, HitchConfiguration) async throws -> Result
    ) async throws -> Result {
        try await withConfiguration(sourceLocation: sourceLocation) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: Self.logger) { try await body($0, configuration) }
        }
    }

    /// A started runtime (key checked, migrated, admin created) on a new database.
    func withRuntime<Result: Sendable>(
        environment: [String: String] = TestBackend.environment, clock: TestClock? = nil,
        _ body: @Sendable (HitchRuntime, HitchConfiguration) async throws -> Result
    ) async throws -> Result {
        let now: @Sendable () -> Date = Self.clockFunction(clock)
        return try await withConfiguration(environment: environment) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: Self.logger) { backend in
                let runtime = try await HitchRuntime.start(
                    backend: backend, configuration: configuration, logger: Self.logger, clock: now)
                // Background jobs end (and record it) before the database closes, as at a server's shutdown.
                do {
                    let result = try await body(runtime, configuration)
                    await runtime.shutDownJobs()
                    return result
                } catch {
                    await runtime.shutDownJobs()
                    throw error
                }
            }
        }
    }

    private static func clockFunction(_ clock: TestClock?) -> @Sendable () -> Date {
        guard let clock else { return { Date() } }
        return { clock.now }
    }

    static let adminToken = "hitch_test_admin_token_0123456789abcdefghijkl"

    /// The admin's token, bcrypt at its lowest allowed cost so that tests that sign in stay quick, and the developer
    /// setting that lets endpoint overrides use plain HTTP to loopback (moto, the tests' local endpoints).
    static let environment = [
        "HITCH_BOOTSTRAP_TOKEN": adminToken, "HITCH_BCRYPT_COST": "10", "HITCH_ALLOW_LOOPBACK_HTTP": "1",
    ]

    private static func url(_ adminURL: String, database: String) -> String {
        guard let slash = adminURL.lastIndex(of: "/") else { return adminURL }
        return adminURL[..<slash] + "/" + database
    }

    private static func admin(_ adminURL: String, _ statement: String) async throws {
        let configuration = HitchConfiguration(dataDirectory: NSTemporaryDirectory(), databaseURL: adminURL, environment: [:])
        try await StorageRuntime.withBackend(configuration, logger: logger) { backend in
            try await backend.read(logger: logger) { try await $0.raw("\(unsafeRaw: statement)").run() }
        }
    }
}

/// A clock that tests move by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "hitch-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
