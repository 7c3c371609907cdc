import HitchDomain

/// How often connections are tested on the schedule, written as a whole number and a unit: `90s`, `30m`, `6h`, `1d`.
package enum CheckInterval {
    static let serverVariable = "HITCH_CHECK_EVERY"
    /// The server's interval unless set: every 6 hours.
    static let standardSeconds = 6 * 3_600
    /// A connection's own interval: from a minute to 30 days, or `never`.
    static let connectionRange = 60...(30 * 86_400)
    /// The server's: from a second (for tests) to 30 days, or `never`.
    static let serverRange = 1...(30 * 86_400)

    private static let units: [(Character, Int)] = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]

    /// Seconds for `90s`, `30m`, `6h`, `1d`; 0 for `never`; nil for anything else.
    static func seconds(_ text: String) -> Int? {
        if text == "never" { return 0 }
        guard let unit = text.last, let scale = units.first(where: { $0.0 == unit })?.1,
            let count = Int(text.dropLast()), count > 0, count <= Int.max / scale
        else { return nil }
        return count * scale
    }

    /// `never`, or the largest unit that divides the seconds exactly.
    package static func text(_ seconds: Int) -> String {
        if seconds == 0 { return "never" }
        for (unit, scale) in units.reversed() where seconds % scale == 0 { return "\(seconds / scale)\(unit)" }
        return "\(seconds)s"
    }

    /// A connection's setting as a request gives it: nil (`default`) follows the server, 0 is never.
    static func connectionSetting(_ text: String) throws -> Int? {
        if text == "default" { return nil }
        guard let seconds = seconds(text), seconds == 0 || connectionRange.contains(seconds) else {
            throw HitchError.validation(["checkEvery": "must be never, default, or 1m to 30d (a number and s, m, h or d: 30m, 6h, 1d)"])
        }
        return seconds
    }

    /// The server's interval in seconds (`HITCH_CHECK_EVERY`, 6h unless set); nil when it is `never`.
    static func server(from environment: [String: String]) throws -> Int? {
        guard let text = environment[serverVariable] else { return standardSeconds }
        guard let seconds = seconds(text), seconds == 0 || serverRange.contains(seconds) else {
            throw HitchError(.badRequest, "\(serverVariable) must be never or 1s to 30d (a number and s, m, h or d: 30m, 6h)")
        }
        return seconds == 0 ? nil : seconds
    }
}
