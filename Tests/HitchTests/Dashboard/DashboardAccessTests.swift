import Foundation
import HTTPTypes
@testable import HitchDashboard
import HitchDomain
@testable import HitchServices
import HitchStorage
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The dashboard's doors, below the browser: every page and form needs a session (S5), the session cookie is
/// HttpOnly and SameSite=Strict and opens no API route, every post needs its form token, sign-out ends the session,
/// and a viewer's post is refused and audited like the API's.
@Suite struct DashboardAccessTests {
    static let pages = [
        "/ui/connections", "/ui/connections/lab", "/ui/new", "/ui/new?kind=vsphere", "/ui/connections/lab/edit",
        "/ui/connections/lab/delete", "/ui/connections/lab/inventory", "/ui/connections/lab/preflight", "/ui/audit",
    ]
    static let forms = [
        "/ui/new", "/ui/connections/lab/edit", "/ui/connections/lab/delete", "/ui/connections/lab/test",
        "/ui/connections/lab/discovery", "/ui/connections/lab/preflight", "/ui/logout",
    ]

    @Test(arguments: TestBackend.all)
    func everyPageAndFormNeedsASession(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "lab")).status == .created)
            for path in Self.pages {
                let anonymous = try await client.call(.get, path, token: nil)
                #expect(anonymous.status == .seeOther && anonymous.headers[.location]?.hasPrefix("/ui/login") == true, "\(path)")
                // A bearer token is the API's credential, not the dashboard's.
                let bearer = try await client.call(.get, path)
                #expect(bearer.status == .seeOther, "\(path) with a bearer token")
            }
            for path in Self.forms {
                let posted = try await client.form(path, ["csrf": "guess", "intent": "save", "kind": "vsphere"], cookie: nil)
                #expect(posted.status == .seeOther && posted.headers[.location]?.hasPrefix("/ui/login") == true, "\(path)")
            }
            #expect(try await client.call(.get, "/v1/connections/lab").status == .ok, "nothing was deleted")
            let login = try await client.call(.get, "/ui/login", token: nil)
            #expect(login.status == .ok && login.text.contains("id=\"login-form\""))
            #expect(try await client.call(.get, "/ui/assets/dashboard.js", token: nil).status == .ok)
        }
    }

    @Test(arguments: TestBackend.all)
    func signInMakesAStrictCookieThatFormsAndSignOutRespect(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let password = "operator-password-3141"
            #expect(try await client.call(.post, "/v1/users", json: ["name": "olga", "role": "operator", "password": password]).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "lab")).status == .created)

            let refused = try await client.signIn("olga", password, formToken: "forged")
            #expect(refused.status == .forbidden && refused.session == nil)
            let wrong = try await client.signIn("olga", "not-the-password")
            #expect(wrong.status == .unauthorized && wrong.session == nil && wrong.text.contains("invalid username or password"))
            let signedIn = try await client.signIn("olga", password)
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/ui/connections")
            let cookie = try #require(signedIn.setCookie)
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"))
            #expect(cookie.contains("Max-Age=28800") && !cookie.contains("Secure"))
            let session = try #require(signedIn.session)

            let page = try await client.page("/ui/connections", cookie: session)
            #expect(page.status == .ok && page.text.contains("olga · operator"))
            #expect(page.headers[.cacheControl] == "no-store" && page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            let csrf = try #require(Self.formToken(in: page.text))

            // The cookie opens no API route, and a post without the form's token changes nothing.
            let api = try await client.execute(uri: "/v1/connections", method: .get, headers: [.cookie: session]) { $0.status }
            #expect(api == .unauthorized)
            let forgedToken = (csrf.first == "0" ? "1" : "0") + csrf.dropFirst()
            let forged = try await client.form("/ui/connections/lab/delete", ["csrf": forgedToken], cookie: session)
            #expect(forged.status == .forbidden && forged.text.contains("did not come from this dashboard"))
            #expect(try await client.call(.get, "/v1/connections/lab").status == .ok)

            let deleted = try await client.form("/ui/connections/lab/delete", ["csrf": csrf], cookie: session)
            #expect(deleted.status == .seeOther && deleted.headers[.location] == "/ui/connections?notice=deleted")
            #expect(try await client.call(.get, "/v1/connections/lab").status == .notFound)

            let out = try await client.form("/ui/logout", ["csrf": csrf], cookie: session)
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            let after = try await client.page("/ui/connections", cookie: session)
            #expect(after.status == .seeOther, "the signed-out session's token is revoked")
        }
    }

    @Test(arguments: TestBackend.all)
    func aViewersPostIsRefusedAndAudited(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let password = "viewer-password-2718"
            #expect(try await client.call(.post, "/v1/users", json: ["name": "vera", "role": "viewer", "password": password]).status == .created)
            let session = try #require(try await client.signIn("vera", password).session)
            let page = try await client.page("/ui/connections", cookie: session)
            #expect(!page.text.contains("id=\"new-connection\""), "no New Connection for a viewer")
            let csrf = try #require(Self.formToken(in: page.text))
            let form = ["csrf": csrf, "intent": "save", "kind": "api-key", "name": "sneaky", "field.tokenType": "admin"]
            let posted = try await client.form("/ui/new", form, cookie: session)
            #expect(posted.status == .forbidden && posted.text.contains("the role viewer may not"))
            #expect(try await client.call(.get, "/v1/connections/sneaky").status == .notFound)
            let events = try await client.call(.get, "/v1/audit?actor=vera&action=connection.create").json["events"] as? [[String: Any]]
            #expect(events?.first?["outcome"] as? String == "denied")
            #expect(try await client.page("/ui/new", cookie: session).status == .forbidden)
            #expect(try await client.page("/ui/audit", cookie: session).status == .forbidden)
        }
    }

    /// Without JavaScript a form posts as a plain form and the page comes back whole: the error beside its field,
    /// the other values kept, and the secret typed in no part of it.
    @Test(arguments: TestBackend.all)
    func aFormPostedWithoutScriptShowsErrorsAndNoSecret(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let password = "operator-password-1618"
            #expect(try await client.call(.post, "/v1/users", json: ["name": "otto", "role": "operator", "password": password]).status == .created)
            let session = try #require(try await client.signIn("otto", password).session)
            let form = try await client.page("/ui/new?kind=vsphere", cookie: session)
            #expect(form.text.contains("case sensitive: enter it exactly as in vCenter") && !form.text.contains("f-clientSecret"))
            let csrf = try #require(Self.formToken(in: form.text))
            let secret = "CANARYformSecret-7e1"
            let fields = [
                "csrf": csrf, "intent": "save", "kind": "vsphere", "name": "Bad Name", "field.vcenter": "vc01.corp.example",
                "field.username": "svc@vsphere.local", "secret.password": secret, "tags": "a, b, c, d, e, f",
            ]
            let answer = try await client.form("/ui/new", fields, cookie: session)
            #expect(answer.status == .badRequest)
            #expect(answer.text.contains("id=\"e-name\" data-region>must be") && answer.text.contains("id=\"e-tags\" data-region>"))
            #expect(answer.text.contains("value=\"vc01.corp.example\""), "the other values are kept")
            #expect(!answer.text.contains(secret), "the secret is not sent back")
            let tested = try await client.form("/ui/new", fields.merging(["intent": "test"]) { $1 }, cookie: session)
            #expect(!tested.text.contains(secret))
            let missing = try await client.page("/ui/no-such-page", cookie: session)
            #expect(missing.status == .notFound && missing.text.contains("there is no such page"))
        }
    }

    /// The preflight table shows granted and missing rows, and the remedy, from the saved report; a viewer sees it
    /// without the Run button.
    @Test(arguments: TestBackend.all)
    func preflightPageShowsGrantedAndMissingRows(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "lab")).status == .created)
            try await runtime.store.write(logger: TestBackend.logger) { session in
                let record = try #require(try await session.connections.find(name: "lab"))
                let checks = PrivilegeRequirement.recommended.map {
                    PrivilegeCheck(id: $0.id, need: $0.need, usedFor: $0.usedFor, granted: $0.need == .discovery)
                }
                var report = PreflightReport(scope: .migration, datacenter: "DC1", username: "svc", privileges: checks, warnings: [])
                report.remedy = ["govc role.create HitchMigration VirtualMachine.Interact.PowerOff"]
                try await session.preflights.save(
                    PreflightRecord(connectionId: record.id, credentialVersion: record.credentialVersion, checkedAt: Date(), report: report))
            }
            let password = "viewer-password-1414"
            #expect(try await client.call(.post, "/v1/users", json: ["name": "val", "role": "viewer", "password": password]).status == .created)
            let session = try #require(try await client.signIn("val", password).session)
            let page = try await client.page("/ui/connections/lab/preflight", cookie: session)
            #expect(page.status == .ok && page.text.contains(">discovery</span>"))
            #expect(page.text.contains("<tr class=\"granted\"><td><code>System.Read</code>"))
            #expect(page.text.contains("<tr class=\"missing\"><td><code>VirtualMachine.Interact.PowerOff</code>"))
            #expect(page.text.contains("govc role.create HitchMigration") && !page.text.contains("id=\"run-preflight\""))
        }
    }

    @Test func secureCookiesWhenReachedThroughTLS() {
        let cookie = DashboardSession.cookie(DashboardSession.cookieName, value: "v", maxAge: 60, secure: true)
        #expect(cookie.description.contains("Secure") && cookie.description.contains("SameSite=Strict"))
    }

    static func formToken(in html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}

extension TestClientProtocol {
    /// A page as a browser with this session cookie asks for it.
    func page(_ path: String, cookie: String?) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, text: String) {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await execute(uri: path, method: .get, headers: headers) { ($0.status, $0.headers, String(buffer: $0.body)) }
    }

    /// A form post as a browser sends it.
    func form(
        _ path: String, _ fields: [String: String], cookie: String?
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, text: String) {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = cookie }
        let body = fields.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }.joined(separator: "&")
        return try await execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, $0.headers, String(buffer: $0.body))
        }
    }

    /// Signs in through the form: the sign-in cookie and its form token, then the post.
    func signIn(
        _ username: String, _ password: String, formToken: String? = nil
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, text: String, setCookie: String?, session: String?) {
        let form = try await page("/ui/login", cookie: nil)
        let pairing = try #require(form.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        let token = formToken ?? DashboardAccessTests.formToken(in: form.text) ?? ""
        let answer = try await self.form(
            "/ui/login", ["csrf": token, "username": username, "password": password, "next": "/ui/connections"], cookie: pairing)
        let sessionCookie = answer.headers[values: .setCookie].first { $0.hasPrefix(DashboardSession.cookieName + "=") }
        let session = sessionCookie.flatMap { $0.split(separator: ";").first.map(String.init) }
        return (answer.status, answer.headers, answer.text, sessionCookie, session)
    }
}
