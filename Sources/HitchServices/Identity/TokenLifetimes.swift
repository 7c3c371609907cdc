import Foundation
import HitchDomain

/// How long a token made by `token create` may live: `HITCH_TOKEN_DEFAULT_DAYS` when none is asked for (30 unless
/// set) and at most `HITCH_TOKEN_MAX_DAYS` (365 unless set), so a stolen token cannot become a permanent one.
struct TokenLifetimes: Sendable {
    static let allowedDays = 1...3650
    var defaultDays = 30
    var maximumDays = 365

    var defaultLifetime: TimeInterval { TimeInterval(defaultDays) * 86_400 }
    var maximumLifetime: TimeInterval { TimeInterval(maximumDays) * 86_400 }

    init() {}

    init(environment: [String: String]) throws {
        defaultDays = try Self.days(environment, "HITCH_TOKEN_DEFAULT_DAYS") ?? defaultDays
        maximumDays = try Self.days(environment, "HITCH_TOKEN_MAX_DAYS") ?? maximumDays
        guard defaultDays <= maximumDays else {
            throw HitchError(.badRequest, "HITCH_TOKEN_DEFAULT_DAYS must not exceed HITCH_TOKEN_MAX_DAYS")
        }
    }

    private static func days(_ environment: [String: String], _ name: String) throws -> Int? {
        guard let text = environment[name] else { return nil }
        guard let days = Int(text), allowedDays.contains(days) else {
            throw HitchError(.badRequest, "\(name) must be a whole number of days from 1 to 3650")
        }
        return days
    }
}
