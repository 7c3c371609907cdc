import Foundation
import HitchDomain
import HitchStorage

/// How old a connection's secret may get before it is due for rotation: the connection's own maximum, or the
/// server's default (`HITCH_MAX_SECRET_AGE_DAYS`, 90 days unless set). The age counts from the current
/// credential version, which every change of an identity or secret field renews.
package struct RotationPolicy: Sendable {
    static let variable = "HITCH_MAX_SECRET_AGE_DAYS"
    static let allowedDays = 1...3650
    static let standardDays = 90

    let defaultMaxAgeDays: Int
    /// A connection whose status names an expiry this close (`HITCH_EXPIRY_WARNING_DAYS`) is `expiring`.
    var expiryWarningDays = PlatformExpiries.defaultWarningDays

    init(defaultMaxAgeDays: Int = standardDays) {
        self.defaultMaxAgeDays = defaultMaxAgeDays
    }

    init(environment: [String: String]) throws {
        guard let text = environment[Self.variable] else {
            self.init()
            expiryWarningDays = try PlatformExpiries.warningDays(environment)
            return
        }
        guard let days = Int(text), Self.allowedDays.contains(days) else {
            throw HitchError(.badRequest, "\(Self.variable) must be a whole number of days from 1 to 3650")
        }
        self.init(defaultMaxAgeDays: days)
        expiryWarningDays = try PlatformExpiries.warningDays(environment)
    }

    /// Whether something the connection depends on runs out within the warning window, or has.
    package func isExpiring(_ record: ConnectionRecord, at now: Date) -> Bool {
        PlatformExpiries.isExpiring(record.status, at: now, warningDays: expiryWarningDays)
    }

    package struct State: Sendable, Equatable {
        package let maxAgeDays: Int
        package let ageDays: Int
        package let dueAt: Date
        package let isDue: Bool
    }

    /// Nil for a kind without a secret (an assume-role goes through another connection's key).
    package func state(of record: ConnectionRecord, at now: Date) -> State? {
        guard !record.kind.schema.secretFields.isEmpty else { return nil }
        let maxAgeDays = record.maxSecretAgeDays ?? defaultMaxAgeDays
        // A key made on the platform before it was entered in Hitch (an AWS key's CreateDate) is as old as that.
        let createdAt = min(record.credentialCreatedAt, record.status.platformCreatedAt ?? .distantFuture)
        var dueAt = createdAt.addingTimeInterval(TimeInterval(maxAgeDays) * 86_400)
        // An api-key that expires is due for a new key by then at the latest.
        if case .string(let text)? = record.fields["expiresAt"], let expiresAt = Timestamps.date(text) {
            dueAt = min(dueAt, expiresAt)
        }
        let ageDays = Int(max(0, now.timeIntervalSince(createdAt)) / 86_400)
        return State(maxAgeDays: maxAgeDays, ageDays: ageDays, dueAt: dueAt, isDue: now >= dueAt)
    }
}
