import HitchDomain
import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing and checking of passwords, off the event loops. A sign-in for an unknown user checks against
/// a hash made at start, so that it takes as long as a wrong password.
struct PasswordHasher: Sendable {
    static let defaultCost: UInt8 = 12
    /// `HITCH_BCRYPT_COST` may lower the cost (for tests) but never below this.
    static let minimumCost: UInt8 = 10
    static let costVariable = "HITCH_BCRYPT_COST"

    let cost: UInt8
    let decoyHash: String

    init(cost: UInt8) async throws {
        self.cost = cost
        decoyHash = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.hash(SecretGeneratorDecoy.value, cost: cost)
        }
    }

    static func cost(from environment: [String: String]) throws(HitchError) -> UInt8 {
        guard let text = environment[costVariable] else { return defaultCost }
        guard let cost = UInt8(text), (minimumCost...15).contains(cost) else {
            throw HitchError(.badRequest, "\(costVariable) must be a number from \(minimumCost) to 15")
        }
        return cost
    }

    /// 12 to 72 bytes: bcrypt reads no further than 72, so a longer one would be silently cut.
    static func validate(_ password: SecretValue) throws(HitchError) {
        let count = password.exposedValue.utf8.count
        guard count >= 12 else { throw HitchError.validation(["password": "must be at least 12 characters"]) }
        guard count <= 72 else { throw HitchError.validation(["password": "must be at most 72 bytes"]) }
    }

    func hash(_ password: SecretValue) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { [cost] in Bcrypt.hash(password.exposedValue, cost: cost) }
    }

    /// Checks `password` against `hash`, or against the decoy when there is no hash, which never matches.
    func verify(_ password: SecretValue, hash: String?) async throws -> Bool {
        let matches = try await NIOThreadPool.singleton.runIfActive { [decoyHash] in
            Bcrypt.verify(password.exposedValue, hash: hash ?? decoyHash)
        }
        return matches && hash != nil
    }
}

/// A value no one knows, hashed once as the decoy.
private enum SecretGeneratorDecoy {
    static var value: String { (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined() }
}
