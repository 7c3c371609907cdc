import Foundation
import HitchDomain
import HitchStorage

/// How old a connection's secret may get before it is due for rotation: the connection's own maximum, or the
/// server's default (`HITCH_MAX_SECRET_AGE_DAYS`, 90 days unless set). The age counts from the current
/// credential version, which every change of an identity or secret field renews.
struct RotationPolicy: Sendable {
    static let variable = "HITCH_MAX_SECRET_AGE_DAYS"
    static let allowedDays = 1...3650
    static let standardDays = 90

    let defaultMaxAgeDays: Int

    init(defaultMaxAgeDays: Int = standardDays) {
        self.defaultMaxAgeDays = defaultMaxAgeDays
    }

    init(environment: [String: String]) throws {
        guard let text = environment[Self.variable] else {
            self.init()
            return
        }
        guard let days = Int(text), Self.allowedDays.contains(days) else {
            throw HitchError(.badRequest, "\(Self.variable) must be a whole number of days from 1 to 3650")
        }
        self.init(defaultMaxAgeDays: days)
    }

    struct State: Sendable, Equatable {
        let maxAgeDays: Int
        let ageDays: Int
        let dueAt: Date
        let isDue: Bool
    }

    /// Nil for a kind without a secret (an assume-role goes through another connection's key).
    func state(of record: ConnectionRecord, at now: Date) -> State? {
        guard !record.kind.schema.secretFields.isEmpty else { return nil }
        let maxAgeDays = record.maxSecretAgeDays ?? defaultMaxAgeDays
        var dueAt = record.credentialCreatedAt.addingTimeInterval(TimeInterval(maxAgeDays) * 86_400)
        // An api-key that expires is due for a new key by then at the latest.
        if case .string(let text)? = record.fields["expiresAt"], let expiresAt = Timestamps.date(text) {
            dueAt = min(dueAt, expiresAt)
        }
        let ageDays = Int(max(0, now.timeIntervalSince(record.credentialCreatedAt)) / 86_400)
        return State(maxAgeDays: maxAgeDays, ageDays: ageDays, dueAt: dueAt, isDue: now >= dueAt)
    }
}
