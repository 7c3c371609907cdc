import ArgumentParser
import Foundation
import HitchAudit
import HitchServices
import HitchStorage
import Logging

/// Benchmark helpers that need Hitch's modules. They print figures and assert nothing; scripts/bench-audit runs them.
@main
struct HitchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hitch-bench", abstract: "Benchmark helpers for Hitch (not installed with it).",
        subcommands: [SeedAudit.self, VerifyAudit.self, SlowPrism.self, DiscoverVSphere.self, RewrapKeys.self])
}

let benchLogger: Logger = {
    var logger = Logger(label: "hitch-bench")
    logger.logLevel = .warning
    return logger
}()

struct StorageOptions: ParsableArguments {
    @Option(help: "The data directory (SQLite by default).") var dataDir: String
    @Option(help: "A PostgreSQL URL instead of SQLite.") var databaseURL: String?

    func withRuntime(_ body: @Sendable (HitchRuntime) async throws -> Void) async throws {
        let logger = benchLogger
        let configuration = HitchConfiguration(
            dataDirectory: dataDir, databaseURL: databaseURL, logLevel: .warning,
            environment: ProcessInfo.processInfo.environment)
        try await StorageRuntime.withBackend(configuration, logger: logger) { backend in
            try await body(try await HitchRuntime.start(backend: backend, configuration: configuration, logger: logger))
        }
    }
}

/// Appends N events to the chain through the audit module, in transactions of `batch` events.
struct SeedAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed-audit")

    @OptionGroup var storage: StorageOptions
    @Option var events = 1_000_000
    @Option var batch = 5_000

    func run() async throws {
        let logger = benchLogger
        let started = ContinuousClock.now
        try await storage.withRuntime { runtime in
            var written = 0
            while written < events {
                let count = min(batch, events - written)
                let base = written
                let page = (0..<count).map { offset in
                    let index = base + offset
                    return AuditEvent(
                        actor: AuditActor(id: "u\(index % 50)", name: "user-\(index % 50)", kind: "user", tokenName: "cli"),
                        origin: AuditOrigin(clientAddress: "10.0.\(index % 250).\(index % 200)", requestId: "req-\(index)"),
                        action: index % 3 == 0 ? "connection.rotate" : "connection.update",
                        target: AuditTarget(kind: "connection", name: "vc-\(index % 1_000)", id: "id-\(index % 1_000)"),
                        changedFields: ["password", "username"])
                }
                try await runtime.auditLog.record(page, logger: logger)
                written += count
            }
        }
        print("seeded \(events) audit events in \(started.duration(to: .now))")
    }
}

/// Verifies the whole chain in process, without HTTP, and prints how long it took.
struct VerifyAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify-audit")

    @OptionGroup var storage: StorageOptions

    func run() async throws {
        try await storage.withRuntime { runtime in
            let started = ContinuousClock.now
            let result = try await runtime.auditLog.verify(logger: benchLogger)
            let elapsed = started.duration(to: .now)
            print("in-process verify: \(result.verified) events, intact: \(result.isIntact), \(elapsed)")
        }
    }
}
