import Foundation

/// Times written in fields: ISO 8601 in UTC, as the API writes them.
public enum Timestamps {
    public static func date(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }

    public static func text(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
