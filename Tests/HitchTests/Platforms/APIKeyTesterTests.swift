import Foundation
import HTTPTypes
import HitchDomain
import HitchPlatforms
import HitchSecrets
import Testing

@Suite struct APIKeyTesterTests {
    @Test func issuedKeyPassesAndOthersFail() {
        let issued = SecretGenerator.token(prefix: "hitch_ak_")
        #expect(APIKeyTester.test(tokenType: "connector", key: issued).passed)
        #expect(APIKeyTester.test(tokenType: "connector", key: nil).failedStage?.failure == .authFailed)
        #expect(APIKeyTester.test(tokenType: "connector", key: SecretValue("hitch_ak_short")).failedStage?.failure == .authFailed)
        #expect(APIKeyTester.test(tokenType: "root", key: issued).failedStage?.stage == .authorize)
    }
}

/// An api-key's optional expiry: the test fails once it has passed, and the rotation state is due by then.
@Suite struct APIKeyExpiryTests {
    @Test func anExpiredKeyFailsItsTest() {
        let key = SecretValue("hitch_ak_" + String(repeating: "A", count: 43))
        let now = Date()
        let valid = APIKeyTester.test(tokenType: "connector", key: key, expiresAt: now.addingTimeInterval(60), now: now)
        #expect(valid.passed && valid.stages.last?.message.hasPrefix("valid until") == true)
        let expired = APIKeyTester.test(tokenType: "connector", key: key, expiresAt: now.addingTimeInterval(-60), now: now)
        #expect(!expired.passed && expired.failedStage?.failure == .authFailed, "\(expired)")
    }

    @Test(arguments: TestBackend.all)
    func theExpiryIsValidatedTestedAndListedAsDue(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, _ in
            let bad = try await client.call(.post, "/v1/connections", json: [
                "kind": "api-key", "name": "agents", "fields": ["tokenType": "connector", "expiresAt": "next tuesday"],
            ])
            #expect(bad.status == .badRequest && bad.text.contains("expiresAt"), "\(bad.text)")
            let expiry = Timestamps.text(clock.now.addingTimeInterval(86_400))
            let created = try await client.call(.post, "/v1/connections", json: [
                "kind": "api-key", "name": "agents", "fields": ["tokenType": "connector", "expiresAt": expiry],
            ])
            #expect(created.status == .created, "\(created.text)")
            #expect(try await client.call(.post, "/v1/connections/agents/test", json: [String: Any]()).json["passed"] as? Bool == true)
            clock.advance(by: 2 * 86_400)
            let due = try await client.call(.get, "/v1/connections?status=due").json["connections"] as? [[String: Any]] ?? []
            #expect(due.map { $0["name"] as? String } == ["agents"], "an expired key is due for a new one")
        }
    }
}
