import Crypto
import Foundation
import HitchDomain
import HitchSecrets
import HitchServices
import Hummingbird

/// The dashboard's session: the secret of a Hitch token made at sign-in and revoked at sign-out, carried in a
/// cookie that scripts cannot read (HttpOnly), that other sites' requests do not carry (SameSite=Strict), and that
/// travels over TLS only when the server is reached through TLS (Secure). The API accepts bearer tokens only, so
/// the cookie opens the dashboard's pages and nothing else.
struct DashboardSession: Sendable {
    static let cookieName = "hitch_session"
    /// The sign-in form has no session yet: its CSRF token is paired with this cookie instead.
    static let signInCookieName = "hitch_signin"
    static let lifetime: TimeInterval = 8 * 3600
    static let tokenName = "dashboard"

    let principal: Principal
    /// Sent back in every form as `csrf`, and compared on every post.
    let csrfToken: String

    init(principal: Principal, secret: String) {
        self.principal = principal
        self.csrfToken = Self.csrfToken(forSecret: secret)
    }

    /// Derived from the session's secret with a one-way function, so a page never holds the secret itself.
    static func csrfToken(forSecret secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("hitch dashboard csrf".utf8), using: SymmetricKey(data: SHA256.hash(data: Data(secret.utf8))))
        return SecretGenerator.hex(mac)
    }

    /// Compares in time that does not depend on where the values first differ.
    static func matches(_ given: String?, _ expected: String) -> Bool {
        guard let given else { return false }
        let left = Array(given.utf8), right = Array(expected.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func cookie(_ name: String, value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/ui", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func expired(_ name: String, secure: Bool) -> Cookie {
        cookie(name, value: "", maxAge: 0, secure: secure)
    }
}
