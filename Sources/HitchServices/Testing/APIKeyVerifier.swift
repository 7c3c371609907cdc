import Crypto
import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Checks a key an agent presents against every api-key connection's stored key (those carrying its tags, for a
/// consumer limited to tags), in constant time, for an enrollment service that must not hold the keys itself. Audited (the connection matched, never the key) and
/// throttled per client address as sign-in is.
package struct APIKeyVerifier: Sendable {
    let connections: ConnectionService
    let store: Store
    let audit: AuditLog
    let throttle: LoginThrottle
    let clock: @Sendable () -> Date

    package struct Verdict: Sendable {
        package let connection: String?
        package let tokenType: String?
        package var isValid: Bool { connection != nil }
    }

    package func verify(_ presented: SecretValue, by actor: RequestActor, logger: Logger) async throws -> Verdict {
        let key = "api-key\u{0}" + (actor.origin.clientAddress ?? "")
        if let wait = throttle.wait(for: key, now: clock()) {
            throw HitchError(.throttled, "too many invalid keys from this address; try again in \(Int(wait.rounded(.up))) s")
        }
        let now = clock()
        // A consumer limited to tags checks keys against its tags' connections only: another team's key is invalid
        // to it, and it learns nothing of that team's connections.
        let candidates = try await connections.list(ConnectionFilter(kind: .apiKey), logger: logger)
            .filter { LeaseScope.mayRead($0, principal: actor.principal) }
        let sealed = try await connections.sealedSecrets(of: candidates, logger: logger)
        // Opening the stored keys is a use of them: audited before, or not done (S4).
        let use = actor.event("connection.use", target: nil, detail: "api-key verification against \(candidates.count) keys")
        do {
            try await store.write(logger: logger) { [audit] session in try await audit.append(use, in: session) }
        } catch {
            throw HitchError(.unavailable, "the verification could not be audited, so it was not made; try again later")
        }
        var matched: ConnectionRecord?
        for record in candidates {
            guard let stored = try? await connections.secrets.open(sealed[record.id] ?? [], of: record, logger: logger)["key"]
            else { continue }
            // Every stored key is compared whole, whether or not an earlier one matched.
            if Self.constantTimeEqual(stored.exposedValue, presented.exposedValue), matched == nil { matched = record }
        }
        if let record = matched, case .string(let text)? = record.fields["expiresAt"], let expiry = Timestamps.date(text), expiry <= now {
            matched = nil
        }
        var event = actor.event("api-key.verify", target: matched.map(ConnectionService.target))
        if matched == nil {
            event.outcome = .failed(code: "invalid-key")
            throttle.recordFailure(for: key, now: now)
        } else {
            throttle.recordSuccess(for: key)
        }
        try await store.write(logger: logger) { [audit, event] session in try await audit.append(event, in: session) }
        guard case .string(let tokenType)? = matched?.fields["tokenType"] else { return Verdict(connection: nil, tokenType: nil) }
        return Verdict(connection: matched?.name, tokenType: tokenType)
    }

    /// Compares digests, so the time taken does not depend on where the two first differ.
    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = SHA256.hash(data: Data(left.utf8))
        let b = SHA256.hash(data: Data(right.utf8))
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
