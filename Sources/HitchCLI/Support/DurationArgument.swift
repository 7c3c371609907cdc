import ArgumentParser
import Foundation

/// A span of time written as a number and a unit: `90s`, `45m`, `12h`, `30d`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let seconds: Int64

    init?(argument: String) {
        guard let unit = argument.last, let count = Int64(argument.dropLast()), count > 0 else { return nil }
        switch unit {
        case "s": seconds = count
        case "m": seconds = count * 60
        case "h": seconds = count * 3_600
        case "d": seconds = count * 86_400
        default: return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// A point in time: RFC 3339 (`2026-11-30T10:00:00Z`), or a duration ago (`24h` is a day before now).
struct TimeArgument: ExpressibleByArgument, Sendable {
    let date: Date

    init?(argument: String) {
        if let duration = DurationArgument(argument: argument) {
            date = Date().addingTimeInterval(-TimeInterval(duration.seconds))
        } else if let parsed = try? Date(argument, strategy: .iso8601) {
            date = parsed
        } else {
            return nil
        }
    }
}

/// A number of days, `90` or `90d`; `default` (0) returns to the server's default.
struct DaysArgument: ExpressibleByArgument, Sendable {
    let days: Int

    init?(argument: String) {
        if argument == "default" {
            days = 0
            return
        }
        guard let count = Int(argument.hasSuffix("d") ? String(argument.dropLast()) : argument), count > 0 else { return nil }
        days = count
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
