import Foundation
import NIOCore

/// An outbound HTTPS proxy that platform connections tunnel through with HTTP `CONNECT` (`HTTPS_PROXY`,
/// `NO_PROXY`, or `hitch serve --https-proxy`). The tunnel carries Hitch's own TLS to the real destination, so the
/// certificate check and any pin still apply to the destination, never to the proxy. Plain HTTP to a local
/// emulator never goes through it.
public struct OutboundProxy: Sendable, Equatable {
    public let host: String
    public let port: Int
    /// `user:password` from the proxy URL, sent as `Proxy-Authorization: Basic`.
    let credentials: String?
    /// Hosts reached directly: exact names or IP addresses, `.example.com` or `example.com` for a domain and its
    /// subdomains, `*` for every host.
    public let bypass: [String]

    /// `http://[user:password@]host[:port]`; nil when the text is not such a URL.
    public init?(url text: String, noProxy: String = "") {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)), url.scheme == "http" || url.scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        // An https:// proxy URL names where the proxy listens; Hitch speaks plain HTTP to it for CONNECT, as curl does
        // for http://, and so accepts only http:// to say exactly what happens.
        guard url.scheme == "http" else { return nil }
        self.host = host
        port = url.port ?? 80
        if let user = url.user {
            credentials = user.removingPercentEncoding.map { $0 + ":" + (url.password?.removingPercentEncoding ?? "") }
        } else {
            credentials = nil
        }
        bypass = noProxy.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// Whether a connection to `host` goes through the proxy.
    public func applies(to host: String) -> Bool {
        let host = host.lowercased()
        return !bypass.contains { entry in
            if entry == "*" { return true }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            return host == domain || host.hasSuffix("." + domain)
        }
    }

    /// Where it listens, for messages: never its credentials.
    public var description: String { "\(host):\(port)" }

    /// The CONNECT request for `host:port`.
    func connectRequest(to host: String, port: Int) -> String {
        let authority = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        var request = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let credentials { request += "Proxy-Authorization: Basic \(Data(credentials.utf8).base64EncodedString())\r\n" }
        return request + "\r\n"
    }
}
