import Foundation
import HitchDomain
import HitchHTTP
import HitchServices
import Hummingbird
import Logging

/// The web dashboard at /ui: pages rendered on the server from the API's own operations, passed through the same
/// `AccessGate`, so a page shows and does what the signed-in actor's role allows through the API, and is audited
/// the same way.
package struct Dashboard: Sendable {
    let runtime: HitchRuntime
    let handlers: APIHandlers
    let gate: AccessGate
    let renderer: DashboardRenderer
    /// Set when clients reach Hitch through TLS (`HITCH_DASHBOARD_SECURE_COOKIES=1`): cookies get `Secure`.
    let secureCookies: Bool
    let logger: Logger

    package func register(on router: Router<HitchRequestContext>) {
        router.get("/") { _, _ in DashboardRenderer.redirect("/ui/connections") }
        router.get("/ui") { _, _ in DashboardRenderer.redirect("/ui/connections") }
        router.get("/ui/assets/:file") { _, context in renderer.asset(context.parameters.get("file") ?? "") }
        SignInPages(dashboard: self).register(on: router)
        ConnectionListPages(dashboard: self).register(on: router)
        ConnectionFormPages(dashboard: self).register(on: router)
        ConnectionDeletePages(dashboard: self).register(on: router)
        LeasePages(dashboard: self).register(on: router)
        InventoryPages(dashboard: self).register(on: router)
        AuditPages(dashboard: self).register(on: router)
        // Any other page under /ui: a page that says so, not the API's JSON.
        router.get("/ui/**") { request, context in
            try await page(request, context: context) { _ in throw HitchError(.notFound, "there is no such page") }
        }
    }

    /// The visitor of a request whose session cookie holds a live token; nil for anyone else.
    func visitor(of request: Request, context: HitchRequestContext) async throws -> DashboardVisitor? {
        guard let secret = request.cookies[DashboardSession.cookieName]?.value, !secret.isEmpty else { return nil }
        do {
            let principal = try await runtime.authenticator.principal(bearer: secret, logger: context.logger)
            AccessRecord.current?.actor = principal.name
            return DashboardVisitor(session: DashboardSession(principal: principal, secret: secret), dashboard: self)
        } catch let error as HitchError where error.code == .unauthenticated {
            return nil
        }
    }

    /// Runs a page for a signed-in visitor and shows its failure as a page; anyone else is sent to sign in.
    func page(
        _ request: Request, context: HitchRequestContext, _ render: (DashboardVisitor) async throws -> Response
    ) async throws -> Response {
        guard let visitor = try await visitor(of: request, context: context) else { return signInRedirect(request) }
        do {
            return try await render(visitor)
        } catch {
            return try failure(error, request: request, visitor: visitor)
        }
    }

    /// Runs a form's post for a signed-in visitor, once the form's CSRF token matches the session's.
    func post(
        _ request: Request, context: HitchRequestContext, _ handle: (DashboardVisitor, FormBody) async throws -> Response
    ) async throws -> Response {
        guard let visitor = try await visitor(of: request, context: context) else { return signInRedirect(request) }
        do {
            let form = try await FormBody.read(request)
            guard DashboardSession.matches(form["csrf"], visitor.session.csrfToken) else {
                throw HitchError(.forbidden, "the form has expired or did not come from this dashboard: reload the page and try again")
            }
            return try await handle(visitor, form)
        } catch {
            return try failure(error, request: request, visitor: visitor)
        }
    }

    private func failure(_ error: any Error, request: Request, visitor: DashboardVisitor) throws -> Response {
        let failure = ErrorBody.hitchError(for: error)
        if failure.code == .unauthenticated { return signInRedirect(request) }
        if failure.code == .internal {
            logger.error("dashboard page failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
        }
        let view = ErrorPageView(chrome: visitor.chrome(title: "Not possible"), message: failure.message)
        return try renderer.page("error", view, status: ErrorBody.status(for: failure.code))
    }

    private func signInRedirect(_ request: Request) -> Response {
        let path = request.uri.path
        let next = request.method == .get && path.hasPrefix("/ui/") ? "?next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") : ""
        return DashboardRenderer.redirect("/ui/login" + next)
    }

    package init(
        runtime: HitchRuntime,
        handlers: APIHandlers,
        gate: AccessGate,
        renderer: DashboardRenderer,
        secureCookies: Bool,
        logger: Logger
    ) {
        self.runtime = runtime
        self.handlers = handlers
        self.gate = gate
        self.renderer = renderer
        self.secureCookies = secureCookies
        self.logger = logger
    }
}

/// A signed-in visitor: its session, and the API operations it may call.
struct DashboardVisitor: Sendable {
    let session: DashboardSession
    let dashboard: Dashboard

    var principal: Principal { session.principal }

    /// Calls one API operation as this visitor, through the access gate.
    func call<Result: Sendable>(
        _ operationID: String, target: String? = nil, _ operation: (APIHandlers) async throws -> Result
    ) async throws -> Result {
        try await dashboard.gate.perform(operationID, as: .principal(principal), target: target) {
            try await operation(dashboard.handlers)
        }
    }

    func may(_ operationID: String) -> Bool { AccessGate.allows(operationID, role: principal.role) }

    func chrome(title: String) -> PageChrome {
        PageChrome(
            title: title, user: principal.name, role: principal.role.rawValue, csrf: session.csrfToken,
            mayReadAudit: may("listAuditEvents"))
    }
}

/// What every page's layout shows: the title, who is signed in, and the form token for sign-out.
struct PageChrome: Sendable {
    let title: String
    let user: String?
    let role: String?
    let csrf: String?
    let mayReadAudit: Bool

    static func signedOut(title: String) -> PageChrome {
        PageChrome(title: title, user: nil, role: nil, csrf: nil, mayReadAudit: false)
    }
}

struct ErrorPageView: Sendable {
    let chrome: PageChrome
    let message: String
}
