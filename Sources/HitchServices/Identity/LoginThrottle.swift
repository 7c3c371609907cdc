import Foundation
import Synchronization

/// Failed sign-ins per username and client address. After `freeFailures` failures, each further attempt must wait
/// a delay that doubles with every failure, up to `maximumDelay`. A success clears the count. Held in memory:
/// each server of a shared PostgreSQL counts the attempts it sees.
final class LoginThrottle: Sendable {
    static let freeFailures = 5
    static let maximumDelay: TimeInterval = 300
    static let forgetAfter: TimeInterval = 3600
    private static let maximumEntries = 10_000
    /// Throttled attempts for one username and address are audited once per interval, with the count of the
    /// others, so a flood does not become a flood of durable writes.
    static let throttledAuditInterval: TimeInterval = 60

    private struct Failures {
        var count: Int
        var last: Date
        var throttledAuditedAt: Date?
        var throttledUnaudited = 0
    }

    private let state = Mutex([String: Failures]())

    static func key(username: String, address: String?) -> String { "\(username.lowercased())\u{0}\(address ?? "")" }

    /// How long the caller must still wait before it may try again; nil when it may try now.
    func wait(for key: String, now: Date) -> TimeInterval? {
        state.withLock { entries in
            guard let failures = entries[key], failures.count >= Self.freeFailures else { return nil }
            let delay = Self.delay(afterFailures: failures.count)
            let remaining = failures.last.addingTimeInterval(delay).timeIntervalSince(now)
            return remaining > 0 ? remaining : nil
        }
    }

    static func delay(afterFailures count: Int) -> TimeInterval {
        min(maximumDelay, pow(2, Double(count - freeFailures)))
    }

    func recordFailure(for key: String, now: Date) {
        state.withLock { entries in
            if entries.count >= Self.maximumEntries {
                // Bounded memory under a spray of names: forget old entries, then those not yet delayed.
                entries = entries.filter { now.timeIntervalSince($0.value.last) < Self.forgetAfter }
                if entries.count >= Self.maximumEntries { entries = entries.filter { $0.value.count >= Self.freeFailures } }
                if entries.count >= Self.maximumEntries { entries.removeAll() }
            }
            var failures = entries[key] ?? Failures(count: 0, last: now)
            if now.timeIntervalSince(failures.last) >= Self.forgetAfter { failures.count = 0 }
            failures.count += 1
            failures.last = now
            entries[key] = failures
        }
    }

    /// For a throttled attempt: nil when one was already audited in this interval (it is counted instead), else
    /// the number of throttled attempts since the last audited one that were only counted.
    func throttledAttempt(for key: String, now: Date) -> Int? {
        state.withLock { entries in
            guard var failures = entries[key] else { return 0 }
            defer { entries[key] = failures }
            if let audited = failures.throttledAuditedAt, now.timeIntervalSince(audited) < Self.throttledAuditInterval {
                failures.throttledUnaudited += 1
                return nil
            }
            let counted = failures.throttledUnaudited
            failures.throttledUnaudited = 0
            failures.throttledAuditedAt = now
            return counted
        }
    }

    func recordSuccess(for key: String) {
        _ = state.withLock { $0.removeValue(forKey: key) }
    }
}
