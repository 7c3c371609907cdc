import Foundation
import OpenAPIRuntime

/// RFC 3339 dates in UTC to whole seconds ("2026-11-30T10:32:23Z"), written without a date formatter: every
/// connection in a response carries several. Reading accepts any ISO 8601 form.
struct APIDateTranscoder: DateTranscoder {
    private let reader = ISO8601DateTranscoder()
    private let fractionalReader = ISO8601DateTranscoder(options: [.withInternetDateTime, .withFractionalSeconds])

    func encode(_ date: Date) throws -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2) + "Z"
    }

    func decode(_ text: String) throws -> Date {
        if let date = try? reader.decode(text) { return date }
        return try fractionalReader.decode(text)
    }
}

extension Configuration {
    /// Compact JSON, fast dates: the server's responses are for programs; the CLI pretty-prints for people.
    package static let hitchServer = Configuration(dateTranscoder: APIDateTranscoder(), jsonEncodingOptions: [])
}
