import Crypto
import Foundation
import HitchDomain
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// bcrypt hashing and checking of passwords, on threads of their own: a flood of sign-ins cannot stall the token
/// checks, SQLite reads and name lookups that share the default pool. When more are waiting than the threads
/// can soon serve, the next one is refused with 429 instead of queued. A sign-in for an unknown user checks
/// against a hash made at start, so that it takes as long as a wrong password.
struct PasswordHasher: Sendable {
    static let threads = max(1, System.coreCount / 2)
    /// Hashes running or waiting, at most; one more is shed.
    static let maximumAdmitted = threads * 8
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }()

    static let defaultCost: UInt8 = 12
    /// `HITCH_BCRYPT_COST` may lower the cost (for tests) but never below this.
    static let minimumCost: UInt8 = 10
    static let costVariable = "HITCH_BCRYPT_COST"

    let cost: UInt8
    let decoyHash: String
    /// The hashes this server has admitted and not finished.
    private let admitted = Admitted()

    private final class Admitted: Sendable {
        let count = Atomic<Int>(0)
    }

    init(cost: UInt8) async throws {
        self.cost = cost
        decoyHash = try await Self.pool.runIfActive { Bcrypt.hash(SecretGeneratorDecoy.value, cost: cost) }
    }

    static func cost(from environment: [String: String]) throws(HitchError) -> UInt8 {
        guard let text = environment[costVariable] else { return defaultCost }
        guard let cost = UInt8(text), (minimumCost...15).contains(cost) else {
            throw HitchError(.badRequest, "\(costVariable) must be a number from \(minimumCost) to 15")
        }
        return cost
    }

    static let lengths = 12...256

    /// 12 to 256 characters (Unicode code points, as JSON Schema counts them).
    static func validate(_ password: SecretValue) throws(HitchError) {
        let count = password.exposedValue.unicodeScalars.count
        guard count >= lengths.lowerBound else {
            throw HitchError.validation(["password": "must be at least \(lengths.lowerBound) characters"])
        }
        guard count <= lengths.upperBound else {
            throw HitchError.validation(["password": "must be at most \(lengths.upperBound) characters"])
        }
        // bcrypt stops at a NUL byte, so everything after it would be silently ignored.
        guard !password.exposedValue.utf8.contains(0) else {
            throw HitchError.validation(["password": "must not contain a NUL character"])
        }
    }

    func hash(_ password: SecretValue) async throws -> String {
        try await run { [cost] in Bcrypt.hash(Self.bcryptInput(password), cost: cost) }
    }

    /// bcrypt reads no more than 72 bytes, so a longer password would be cut silently: it is hashed with SHA-256
    /// first, and bcrypt takes the digest's base64 (44 bytes). Passwords of at most 72 bytes go in as they are, as
    /// every stored hash was made before longer ones were taken.
    static func bcryptInput(_ password: SecretValue) -> String {
        let bytes = Array(password.exposedValue.utf8)
        guard bytes.count > 72 else { return password.exposedValue }
        return Data(SHA256.hash(data: bytes)).base64EncodedString()
    }

    /// Checks `password` against `hash`, or against the decoy when there is no hash, which never matches.
    func verify(_ password: SecretValue, hash: String?) async throws -> Bool {
        // A password with a NUL was never accepted; bcrypt would compare only what comes before it.
        let acceptable = !password.exposedValue.utf8.contains(0)
        let matches = try await run { [decoyHash] in
            Bcrypt.verify(Self.bcryptInput(password), hash: acceptable ? hash ?? decoyHash : decoyHash)
        }
        return matches && hash != nil && acceptable
    }

    /// Runs `work` on the hashing threads, or refuses at once when too many hashes are already admitted.
    private func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        let (_, admittedNow) = admitted.count.wrappingAdd(1, ordering: .relaxed)
        defer { admitted.count.wrappingSubtract(1, ordering: .relaxed) }
        guard admittedNow <= Self.maximumAdmitted else {
            throw HitchError(.throttled, "too many sign-ins at once; try again in a moment")
        }
        return try await Self.pool.runIfActive(work)
    }
}

/// A value no one knows, hashed once as the decoy.
private enum SecretGeneratorDecoy {
    static var value: String { (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined() }
}
