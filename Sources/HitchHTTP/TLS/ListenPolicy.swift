import HitchDomain

/// Secure by default: off loopback, Hitch serves bearer tokens and session cookies over TLS only, unless its
/// operator says in so many words that something in front of it does (`--allow-plain-http`).
package enum ListenPolicy {
    /// `127.0.0.0/8`, `::1` and `localhost` are loopback; every other host (`0.0.0.0`, `::`, a name) is not.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "::1" || bare.lowercased() == "localhost" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    package static func check(host: String, servesTLS: Bool, allowPlainHTTP: Bool) throws(HitchError) {
        guard !servesTLS, !allowPlainHTTP, !isLoopback(host) else { return }
        throw HitchError(
            .badRequest,
            "refusing to serve plain HTTP on \(host), which is not a loopback address: tokens and passwords would cross the network in the clear. Give --tls-cert and --tls-key, or --allow-plain-http when a TLS proxy in front of Hitch is the only way to reach it")
    }

    package static func plainHTTPWarning(host: String) -> String? {
        isLoopback(host) ? nil : "serving plain HTTP on \(host), beyond loopback (--allow-plain-http): tokens and passwords cross the network in the clear unless a TLS proxy in front of Hitch is the only way to reach it"
    }
}
