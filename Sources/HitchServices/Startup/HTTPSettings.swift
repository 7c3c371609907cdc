import Foundation
import HitchDomain
import HitchPlatforms

/// How the HTTP side treats requests: the largest body it reads (`HITCH_MAX_BODY_BYTES`, 1 MiB by default) and the
/// proxies whose `X-Forwarded-For` names the client (`HITCH_TRUSTED_PROXIES`, comma-separated CIDR networks or
/// addresses; none by default, so the peer's address is the client's).
package struct HTTPSettings: Sendable {
    static let defaultMaximumBodyBytes = 1 << 20

    package var maximumBodyBytes = Self.defaultMaximumBodyBytes
    package var trustedProxies: [IPRange] = []
    /// How long a client may take to send a request's headers (`HITCH_HTTP_HEADER_SECONDS`, 10 by default).
    package var headerSeconds = 10
    /// How long a connection may stay silent before it is closed (`HITCH_HTTP_IDLE_SECONDS`, 60 by default).
    package var idleSeconds = 60

    init() {}

    init(environment: [String: String]) throws {
        if let text = environment["HITCH_MAX_BODY_BYTES"] {
            guard let bytes = Int(text), (4096...(64 << 20)).contains(bytes) else {
                throw HitchError(.badRequest, "HITCH_MAX_BODY_BYTES must be a number of bytes from 4096 to 67108864")
            }
            maximumBodyBytes = bytes
        }
        headerSeconds = try Self.seconds(environment, "HITCH_HTTP_HEADER_SECONDS", within: 1...300) ?? headerSeconds
        idleSeconds = try Self.seconds(environment, "HITCH_HTTP_IDLE_SECONDS", within: 5...3600) ?? idleSeconds
        let entries = (environment["HITCH_TRUSTED_PROXIES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        trustedProxies = try entries.map { entry in
            guard let range = IPRange(entry) else {
                throw HitchError(.badRequest, "HITCH_TRUSTED_PROXIES takes CIDR networks or IP addresses separated by commas")
            }
            return range
        }
    }

    private static func seconds(_ environment: [String: String], _ name: String, within range: ClosedRange<Int>) throws -> Int? {
        guard let text = environment[name] else { return nil }
        guard let seconds = Int(text), range.contains(seconds) else {
            throw HitchError(.badRequest, "\(name) must be a number of seconds from \(range.lowerBound) to \(range.upperBound)")
        }
        return seconds
    }
}
