import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A local server shaped like Prism Central's session mechanism: a request with the right basic credentials answers
/// with session cookies (`NTNX_IGW_SESSION`, `JSESSIONID`, `Max-Age` 900), which then authenticate the v3 API in
/// their place. It records the sessions it issued, and what authenticated each request.
final class PrismSessionServer: Sendable {
    static let username = "svc-hitch"
    static let password = "prism-session-pw-3f9"
    static let sessionSeconds = 900
    private let sessions = Mutex<Set<String>>([])
    /// Runs before each sign-in is answered: what happens while Hitch waits for Prism.
    private let beforeSignIn: @Sendable () async -> Void

    init(beforeSignIn: @escaping @Sendable () async -> Void = {}) {
        self.beforeSignIn = beforeSignIn
    }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.get("/api/nutanix/v3/users/me") { request, _ in
            await self.beforeSignIn()
            return self.me(request)
        }
        router.post("/api/nutanix/v3/clusters/list") { request, _ in self.clusters(request) }
        return router
    }

    private func me(_ request: Request) -> Response {
        let expected = "Basic " + Data("\(Self.username):\(Self.password)".utf8).base64EncodedString()
        guard request.headers[.authorization] == expected else { return NutanixTesterTests.json(.unauthorized, #"{"state":"ERROR","code":401}"#) }
        let session = UUID().uuidString
        sessions.withLock { _ = $0.insert(session) }
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(.init(name: .setCookie, value: "NTNX_IGW_SESSION=\(session); Path=/; Max-Age=\(Self.sessionSeconds); Secure; HttpOnly"))
        headers.append(.init(name: .setCookie, value: "JSESSIONID=j-\(session); Path=/; Secure"))
        headers.append(.init(name: .setCookie, value: "unrelated=1; Path=/"))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":{"name":"\#(Self.username)"}}"#)))
    }

    /// Accepts a session cookie this server issued, and nothing else.
    private func clusters(_ request: Request) -> Response {
        let cookies = (request.headers[.cookie] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let session = cookies.first { $0.hasPrefix("NTNX_IGW_SESSION=") }.map { String($0.dropFirst("NTNX_IGW_SESSION=".count)) }
        guard let session, sessions.withLock({ $0.contains(session) }) else {
            return NutanixTesterTests.json(.unauthorized, #"{"state":"ERROR","code":401}"#)
        }
        return NutanixTesterTests.json(.ok, #"{"metadata":{"total_matches":0},"entities":[]}"#)
    }

    /// Whether `cookie` (a Cookie header's value) reads Prism's API, sent alone.
    static func reads(_ cookie: SecretValue, port: Int, thumbprint: String) async throws -> Bool {
        var stages: [StageResult] = []
        let connection = try await EndpointProbe(host: "127.0.0.1", port: port, policy: .pinned(thumbprint: thumbprint), timeout: .seconds(10))
            .open(into: &stages)
        defer { connection.close() }
        var headers = HTTPHeaders()
        headers.add(name: "Cookie", value: cookie.exposedValue)
        headers.add(name: "Content-Type", value: "application/json")
        let answer = try await connection.send(
            .POST, path: "/api/nutanix/v3/clusters/list", headers: headers, body: ByteBuffer(string: #"{"kind":"cluster"}"#))
        return answer.status == .ok
    }
}

@Suite struct NutanixLeaseSessionTests {
    func target(port: Int, thumbprint: String?, password: String = PrismSessionServer.password) -> NutanixTarget {
        NutanixTarget(
            endpoint: "127.0.0.1:\(port)", username: PrismSessionServer.username, password: SecretValue(password),
            clusterName: nil, insecure: false, thumbprint: thumbprint)
    }

    @Test func theSessionCookiesAloneReadPrism() async throws {
        let prism = PrismSessionServer()
        try await LocalTLSServer.run(prism.router) { server in
            let now = Date()
            let opened = try await NutanixLeaseSession.open(target(port: server.port, thumbprint: server.thumbprint), now: now)
            #expect(opened.cookie.exposedValue.hasPrefix("NTNX_IGW_SESSION=") && opened.cookie.exposedValue.contains("; JSESSIONID=j-"))
            #expect(!opened.cookie.exposedValue.contains("unrelated"), "only Prism's session cookies")
            #expect(!opened.cookie.exposedValue.contains(PrismSessionServer.password))
            #expect(opened.url == "https://127.0.0.1:\(server.port)" && opened.thumbprint == server.thumbprint)
            #expect(opened.expiresAt == now.addingTimeInterval(TimeInterval(PrismSessionServer.sessionSeconds)), "Max-Age is the session's expiry")
            #expect(try await PrismSessionServer.reads(opened.cookie, port: server.port, thumbprint: server.thumbprint))
            #expect(try await PrismSessionServer.reads(SecretValue("NTNX_IGW_SESSION=forged"), port: server.port, thumbprint: server.thumbprint) == false)

            await #expect(throws: PlatformSessionError.self, "a wrong password gets no session") {
                _ = try await NutanixLeaseSession.open(target(port: server.port, thumbprint: server.thumbprint, password: "wrong-password-1"))
            }
            await #expect(throws: PlatformSessionError.self, "an unverified certificate is never sent the password") {
                _ = try await NutanixLeaseSession.open(target(port: server.port, thumbprint: nil))
            }
        }
    }

    @Test func expiresIsReadWhenMaxAgeIsAbsent() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let cookie = try #require(NutanixLeaseSession.SetCookie("NTNX_IGW_SESSION=abc; Expires=Wed, 15 Nov 2023 00:00:00 GMT; Path=/", now: now))
        #expect(cookie.name == "NTNX_IGW_SESSION" && cookie.value == "abc")
        #expect(cookie.expiresAt == Date(timeIntervalSince1970: 1_700_006_400))
        let both = try #require(NutanixLeaseSession.SetCookie("JSESSIONID=x=y; Max-Age=60; Expires=Wed, 15 Nov 2023 00:00:00 GMT", now: now))
        #expect(both.value == "x=y" && both.expiresAt == now.addingTimeInterval(60), "Max-Age wins")
        #expect(NutanixLeaseSession.SetCookie("novalue", now: now) == nil && NutanixLeaseSession.SetCookie("a=", now: now) == nil)
    }
}
