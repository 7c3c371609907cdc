import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import HitchSecrets
import HitchServices
import Hummingbird

/// Sign-in with a username and password, and sign-out. Sign-in makes a Hitch token named `dashboard` that lives
/// eight hours; its secret is the session cookie. Sign-out revokes it.
struct SignInPages: Sendable {
    let dashboard: Dashboard

    struct View: Sendable {
        let chrome: PageChrome
        let csrf: String
        let next: String
        let username: String
        let error: String?
    }

    func register(on router: Router<HitchRequestContext>) {
        router.get("/ui/login") { request, context in
            if try await dashboard.visitor(of: request, context: context) != nil {
                return DashboardRenderer.redirect(Self.safeNext(request.uri.queryParameters["next"].map(String.init)))
            }
            return try form(next: request.uri.queryParameters["next"].map(String.init), username: "", error: nil, status: .ok)
        }
        router.post("/ui/login") { request, context in try await signIn(request, context: context) }
        router.post("/ui/logout") { request, context in
            try await dashboard.post(request, context: context) { visitor, _ in
                try await visitor.call(Operations.Logout.id) { _ = try await $0.logout(.init()) }
                var response = DashboardRenderer.redirect("/ui/login")
                response.setCookie(DashboardSession.expired(DashboardSession.cookieName, secure: dashboard.secureCookies))
                return response
            }
        }
    }

    /// A new pairing of form token and cookie each time the form is shown.
    private func form(next: String?, username: String, error: String?, status: HTTPResponse.Status) throws -> Response {
        let token = SecretGenerator.token(prefix: "signin_").exposedValue
        let view = View(
            chrome: .signedOut(title: "Sign in"), csrf: token, next: Self.safeNext(next), username: username, error: error)
        var response = try dashboard.renderer.page("login", view, status: status)
        response.setCookie(
            DashboardSession.cookie(DashboardSession.signInCookieName, value: token, maxAge: 3600, secure: dashboard.secureCookies))
        return response
    }

    private func signIn(_ request: Request, context: HitchRequestContext) async throws -> Response {
        let form = try await FormBody.read(request)
        let username = form["username"] ?? ""
        guard let pairing = request.cookies[DashboardSession.signInCookieName]?.value,
            DashboardSession.matches(form["csrf"], pairing)
        else {
            return try self.form(
                next: form["next"], username: username, error: "The sign-in form expired: sign in again.", status: .forbidden)
        }
        do {
            let issued = try await dashboard.runtime.logins.login(
                username: username, password: SecretValue(form["password"] ?? ""), tokenName: DashboardSession.tokenName,
                lifetime: DashboardSession.lifetime, origin: RequestOrigin.current, logger: context.logger)
            var response = DashboardRenderer.redirect(Self.safeNext(form["next"]))
            response.setCookie(
                DashboardSession.cookie(
                    DashboardSession.cookieName, value: issued.secret.exposedValue, maxAge: Int(DashboardSession.lifetime),
                    secure: dashboard.secureCookies))
            response.setCookie(DashboardSession.expired(DashboardSession.signInCookieName, secure: dashboard.secureCookies))
            return response
        } catch let error as HitchError {
            return try self.form(
                next: form["next"], username: username, error: error.message, status: ErrorBody.status(for: error.code))
        }
    }

    /// Only a dashboard path, so that a link cannot send a signed-in visitor elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/ui/"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains("..") else {
            return "/ui/connections"
        }
        return next
    }
}
