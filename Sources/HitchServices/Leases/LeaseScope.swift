import HitchDomain
import HitchStorage

/// Which connections a consumer limited to tags may read and lease: those carrying one of its tags, whose `via` key carries
/// one too (else an operator could wrap another team's key in a role connection that carries the consumer's tag).
package enum LeaseScope {
    /// A consumer limited to tags sees only connections that carry one of them (listing filters the rest out).
    package static func mayRead(_ record: ConnectionRecord, principal: Principal) -> Bool {
        guard let allowed = principal.allowedTags else { return true }
        return !Set(record.tags).isDisjoint(with: allowed)
    }

    static func require(_ principal: Principal, mayUse record: ConnectionRecord, via: ConnectionRecord?) throws {
        guard let allowed = principal.allowedTags else { return }
        for connection in [record] + [via].compactMap({ $0 }) where Set(connection.tags).isDisjoint(with: allowed) {
            let reason = connection.id == record.id ? "it carries none of its tags" : "it goes through '\(connection.name)', which carries none of its tags"
            throw HitchError(
                .forbidden,
                "\(principal.name) may use connections tagged \(allowed.joined(separator: ", ")) only; '\(record.name)' is refused: \(reason)")
        }
    }
}

/// How long leases last: `HITCH_LEASE_MAX_SECONDS` at most (12 hours unless set), 15 minutes by default.
struct LeaseSettings: Sendable {
    var defaultSeconds = 900
    var maximumSeconds = 43_200

    init() {}

    init(environment: [String: String]) throws {
        if let text = environment["HITCH_LEASE_MAX_SECONDS"] {
            guard let seconds = Int(text), (900...129_600).contains(seconds) else {
                throw HitchError(.badRequest, "HITCH_LEASE_MAX_SECONDS must be from 900 to 129600")
            }
            maximumSeconds = seconds
        }
    }
}
