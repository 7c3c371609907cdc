import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// A Prism Central session opened for a lease. Prism's documented session mechanism: one request with basic
/// credentials answers with session cookies, which then authenticate later requests in their place until they
/// expire. Hitch sends the stored password once, to `GET /api/nutanix/v3/users/me`, and hands out only the cookies.
/// Prism documents no call that ends such a session early: the lease says so, and its TTL (never longer than the
/// cookies' own expiry, when Prism states one) bounds it.
public enum NutanixLeaseSession {
    public struct Opened: Sendable {
        /// The session cookies as a `Cookie` header value: `NTNX_IGW_SESSION=...; JSESSIONID=...`.
        public let cookie: SecretValue
        /// Prism Central's base URL, `https://HOST:PORT`.
        public let url: String
        /// The connection's pinned certificate thumbprint, for the consumer to pin too (nil under system trust).
        public let thumbprint: String?
        /// The earliest expiry Prism stated on the cookies (`Max-Age` or `Expires`), when it stated one.
        public let expiresAt: Date?
    }

    /// The cookies Prism documents as its session: with IAMv2 on Prism Central, and without it.
    static let sessionCookieNames: Set<String> = [
        "NTNX_MERCURY_IAM_SESSION", "NTNX_IAM_SESSION", "NTNX_MERCURY_IAM_REFRESH_TOKEN",
        "NTNX_IGW_SESSION", "NTNX_MERCURY_IGW_SESSION", "JSESSIONID",
    ]

    public static func open(_ target: NutanixTarget, now: Date = Date(), timeout: TimeAmount = .seconds(15)) async throws(PlatformSessionError) -> Opened {
        let (host, port) = Endpoint.split(target.endpoint, defaultPort: NutanixTester.defaultPort)
        let policy = TLSPolicy.of(insecure: target.insecure, thumbprint: target.thumbprint)
        let connection: PolicyHTTPSConnection
        do {
            connection = try await PolicyHTTPSConnection.connect(host: host, port: port, policy: policy, timeout: timeout, remembered: target.rememberedThumbprint, stage: .connect)
        } catch let failure {
            throw PlatformSessionError(failure)
        }
        defer { connection.close() }
        var headers = HTTPHeaders()
        let credentials = Data("\(target.username):\(target.password.exposedValue)".utf8).base64EncodedString()
        headers.add(name: "Authorization", value: "Basic \(credentials)")
        headers.add(name: "Accept", value: "application/json")
        let response: PolicyHTTPSConnection.Response
        do {
            response = try await connection.send(.GET, path: "/api/nutanix/v3/users/me", headers: headers, body: nil)
        } catch {
            throw PlatformSessionError(StageFailure(.authenticate, .timeout, "no answer from Prism's v3 API"))
        }
        switch response.status.code {
        case 200: break
        case 401: throw PlatformSessionError(StageFailure(.authenticate, .authFailed, "Prism refused the username or password"))
        case 403: throw PlatformSessionError(StageFailure(.authorize, .insufficientPrivileges, "Prism refused the account a session"))
        default: throw PlatformSessionError(StageFailure(.authenticate, .error, "Prism answered \(response.status.code)"))
        }
        let cookies = response.headers["Set-Cookie"].compactMap { SetCookie($0, now: now) }
            .filter { sessionCookieNames.contains($0.name) }
        guard !cookies.isEmpty else {
            throw PlatformSessionError(StageFailure(.authenticate, .error, "Prism gave no session cookie"))
        }
        return Opened(
            cookie: SecretValue(cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")),
            url: "https://\(host):\(port)",
            thumbprint: target.thumbprint.flatMap(Thumbprint.normalized),
            expiresAt: cookies.compactMap(\.expiresAt).min())
    }

    /// One `Set-Cookie` header: its name, value and expiry (`Max-Age` wins over `Expires`, as RFC 6265 says).
    struct SetCookie {
        let name: String
        let value: String
        let expiresAt: Date?

        init?(_ header: String, now: Date) {
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return nil }
            name = String(pair[..<equals])
            value = String(pair[pair.index(after: equals)...])
            guard !name.isEmpty, !value.isEmpty else { return nil }
            var maxAge: Date?
            var expires: Date?
            for attribute in parts.dropFirst() {
                let pieces = attribute.split(separator: "=", maxSplits: 1).map(String.init)
                guard pieces.count == 2 else { continue }
                switch pieces[0].lowercased() {
                case "max-age": maxAge = Int(pieces[1]).map { now.addingTimeInterval(TimeInterval($0)) }
                case "expires": expires = Self.httpDate().date(from: pieces[1])
                default: continue
                }
            }
            expiresAt = maxAge ?? expires
        }

        /// An HTTP date, `Wed, 09 Jun 2021 10:18:14 GMT`.
        private static func httpDate() -> DateFormatter {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            return formatter
        }
    }
}
