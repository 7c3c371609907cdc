import ArgumentParser
import Foundation
import HitchServices

/// Seeds N sealed secrets, rotates the master key and times one rewrap pass; prints secrets per second.
struct RewrapKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rewrap-keys")

    @OptionGroup var storage: StorageOptions
    @Option var secrets = 100_000

    func run() async throws {
        let logger = benchLogger
        try await storage.withRuntime { runtime in
            let seeding = ContinuousClock.now
            try await runtime.seedSecretsForBenchmark(count: secrets, perTransaction: 1_000, logger: logger)
            print("seeded \(secrets) sealed secrets in \(seeding.duration(to: .now))")
            let (moved, duration) = try await runtime.rotateAndRewrapForBenchmark(logger: logger)
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            print(String(format: "rewrap: %d data keys moved in %.2f s: %.0f secrets/s", moved, seconds, Double(moved) / seconds))
        }
    }
}
