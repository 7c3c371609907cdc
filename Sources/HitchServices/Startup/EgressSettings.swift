import Foundation
import HitchDomain
import HitchPlatforms

/// The egress policy from the server's settings: `HITCH_EGRESS_ALLOW` and `HITCH_EGRESS_DENY` (comma-separated
/// CIDR networks or addresses) and the developer setting `HITCH_ALLOW_LOOPBACK_HTTP=1`, which lets endpoint
/// overrides use plain HTTP to a loopback address (a local emulator).
enum EgressSettings {
    static func policy(from environment: [String: String]) throws -> EgressPolicy {
        EgressPolicy(
            allow: try ranges(environment, "HITCH_EGRESS_ALLOW"), deny: try ranges(environment, "HITCH_EGRESS_DENY"),
            allowsLoopbackHTTP: try flag(environment, "HITCH_ALLOW_LOOPBACK_HTTP"), proxy: try proxy(environment))
    }

    /// `HTTPS_PROXY` (or `https_proxy`) with `NO_PROXY` (or `no_proxy`), as the tools of the platform's users read
    /// them; `hitch serve --https-proxy` sets the first.
    static func proxy(_ environment: [String: String]) throws -> OutboundProxy? {
        guard let text = environment["HTTPS_PROXY"] ?? environment["https_proxy"], !text.isEmpty else { return nil }
        guard let proxy = OutboundProxy(url: text, noProxy: environment["NO_PROXY"] ?? environment["no_proxy"] ?? "") else {
            throw HitchError(.badRequest, "HTTPS_PROXY must be http://[user:password@]host[:port]")
        }
        return proxy
    }

    private static func ranges(_ environment: [String: String], _ name: String) throws -> [IPRange] {
        let entries = (environment[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return try entries.filter { !$0.isEmpty }.map { entry in
            guard let range = IPRange(entry) else {
                throw HitchError(.badRequest, "\(name) takes CIDR networks or IP addresses separated by commas, e.g. 10.0.0.0/8,fd00::/8")
            }
            return range
        }
    }

    private static func flag(_ environment: [String: String], _ name: String) throws -> Bool {
        switch environment[name] {
        case nil, "", "0", "false": return false
        case "1", "true": return true
        default: throw HitchError(.badRequest, "\(name) must be 1, 0, true or false")
        }
    }

    /// A plain `http://` endpoint is saved only on a server with the developer setting: elsewhere it is refused
    /// with a field error rather than kept to fail at its first use.
    static func requireHTTPS(_ fields: [String: FieldValue], unless policy: EgressPolicy) throws {
        guard !policy.allowsLoopbackHTTP else { return }
        var errors: [String: String] = [:]
        for (name, value) in fields {
            if case .string(let text) = value, text.hasPrefix("http://") {
                errors[name] = "must be https: plain http to a loopback address needs the server's developer setting HITCH_ALLOW_LOOPBACK_HTTP=1"
            }
        }
        if !errors.isEmpty { throw HitchError.validation(errors) }
    }
}
