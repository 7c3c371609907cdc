import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchHTTP
@testable import HitchPlatforms
@testable import HitchServices
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Denial of service without an account, and its cheaper cousins: bounded bodies and secrets, bcrypt that sheds
/// load instead of queueing it, one audit event per interval for a throttled flood, the client's address through a
/// trusted proxy only, and platform answers that cannot fill memory.
@Suite struct LoadSheddingTests {
    @Test(arguments: TestBackend.all)
    func bodiesAndSecretsAreBounded(backend: TestBackend) async throws {
        let environment = TestBackend.environment.merging(["HITCH_MAX_BODY_BYTES": "8192"]) { $1 }
        try await withAPI(backend, environment: environment) { client, _ in
            let big = String(repeating: "x", count: 10_000)
            let login = try await client.call(.post, "/v1/login", json: ["username": big, "password": "p"], token: nil)
            #expect(login.status == .contentTooLarge, "\(login.text)")
            #expect((login.json["error"] as? [String: Any])?["code"] as? String == "payload-too-large")
            let created = try await client.call(.post, "/v1/connections", json: Sample.vsphere(password: big))
            #expect(created.status == .contentTooLarge)
        }
        try await withAPI(backend) { client, _ in
            let created = try await client.call(.post, "/v1/connections", json: Sample.vsphere(password: String(repeating: "y", count: 17_000)))
            #expect(created.status == .badRequest && created.text.contains("at most 16384 bytes"), "\(created.text)")
        }
    }

    @Test(arguments: TestBackend.all)
    func aPasswordWithNULIsRefused(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let created = try await client.call(.post, "/v1/users", json: ["name": "nul", "role": "viewer", "password": "twelve-chars\u{0}and-more"])
            #expect(created.status == .badRequest && created.text.contains("NUL"), "\(created.text)")
        }
    }

    /// Many sign-ins at once: bcrypt admits a few per thread and refuses the rest with 429 at once.
    @Test(arguments: TestBackend.all)
    func aFloodOfSignInsIsShed(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let flood = PasswordHasher.maximumAdmitted * 5
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<flood {
                    group.addTask {
                        try await client.call(.post, "/v1/login", json: ["username": "nobody-\(index)", "password": "wrong-password-123"], token: nil).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.contains(.tooManyRequests), "\(statuses)")
            #expect(Set(statuses).isSubset(of: [.tooManyRequests, .unauthorized]), "\(statuses)")
        }
    }

    /// A throttled flood for one username and address is audited once per minute, and the next event counts the
    /// rest.
    @Test(arguments: TestBackend.all)
    func throttledAttemptsAreAuditedOncePerInterval(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, _ in
            #expect(try await client.call(.post, "/v1/users", json: ["name": "ada", "role": "viewer", "password": SignInTests.password]).status == .created)
            func attempt() async throws -> HTTPResponse.Status {
                try await client.call(.post, "/v1/login", json: ["username": "ada", "password": "wrong-password-123"], token: nil).status
            }
            for _ in 0..<LoginThrottle.freeFailures { #expect(try await attempt() == .unauthorized) }
            for _ in 0..<10 { #expect(try await attempt() == .tooManyRequests) }
            clock.advance(by: 61)
            #expect(try await attempt() == .unauthorized, "the delay has passed")
            #expect(try await attempt() == .tooManyRequests)
            let events = try await client.call(.get, "/v1/audit?action=auth.login").json["events"] as? [[String: Any]] ?? []
            let throttled = events.filter { $0["failureCode"] as? String == "throttled" }
            #expect(throttled.count == 2, "\(throttled)")
            #expect((throttled.first?["detail"] as? String)?.hasPrefix("9 more throttled attempts") == true, "\(throttled)")
        }
    }

    @Test func theClientAddressComesThroughTrustedProxiesOnly() throws {
        let middleware = RequestOriginMiddleware(trustedProxies: [try #require(IPRange("10.0.0.0/8"))])
        #expect(middleware.clientAddress(peer: "10.0.0.5", forwardedFor: ["203.0.113.9, 10.1.1.1"]) == "203.0.113.9")
        #expect(middleware.clientAddress(peer: "10.0.0.5", forwardedFor: ["198.51.100.1", "203.0.113.9"]) == "203.0.113.9", "the nearest untrusted hop")
        #expect(middleware.clientAddress(peer: "192.0.2.7", forwardedFor: ["203.0.113.9"]) == "192.0.2.7", "an untrusted peer's header is ignored")
        #expect(middleware.clientAddress(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
        #expect(middleware.clientAddress(peer: "10.0.0.5", forwardedFor: ["not-an-address, 10.2.2.2"]) == "10.2.2.2")
        #expect(RequestOriginMiddleware(trustedProxies: []).clientAddress(peer: "10.0.0.5", forwardedFor: ["203.0.113.9"]) == "10.0.0.5")
    }

    /// A test reads at most 4 MiB of an answer: a larger one fails the stage instead of filling memory.
    @Test func aTestsAnswerIsBounded() async throws {
        let router = Router()
        router.post("/api/nutanix/v3/clusters/list") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: " "), count: 5 << 20)))
        }
        try await LocalTLSServer.run(router) { server in
            let report = await NutanixTester.test(NutanixTarget(
                endpoint: "127.0.0.1:\(server.port)", username: "u", password: SecretValue("p"), clusterName: nil,
                insecure: false, thumbprint: server.thumbprint))
            #expect(!report.passed && report.failedStage?.stage == .authenticate || report.failedStage?.stage == .authorize, "\(report)")
        }
    }

    @Test func aSOAPAnswerWithTooManyElementsIsRefused() {
        let many = "<a>" + String(repeating: "<b/>", count: SOAPReader.maximumNodes) + "</a>"
        #expect(SOAPReader.parse(Data(many.utf8)) == nil)
        let fine = "<a>" + String(repeating: "<b/>", count: 1000) + "</a>"
        #expect(SOAPReader.parse(Data(fine.utf8)) != nil)
    }
}
