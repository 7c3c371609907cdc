import Foundation

/// Host and port parsing, and timing, shared by the platforms' testers.
enum Endpoint {
    /// `host`, `host:port` or `[v6]:port`.
    static func split(_ text: String, defaultPort: Int) -> (host: String, port: Int) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, let port = Int(parts[1]) { return (String(parts[0]), port) }
        return (text, defaultPort)
    }

    static func seconds(since start: ContinuousClock.Instant) -> TimeInterval {
        let elapsed = (ContinuousClock.now - start).components
        return TimeInterval(elapsed.seconds) + TimeInterval(elapsed.attoseconds) / 1e18
    }
}
