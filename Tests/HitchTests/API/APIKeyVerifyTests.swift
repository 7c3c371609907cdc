import Foundation
import HTTPTypes
import HitchDomain
import HummingbirdTesting
import Testing

/// An enrollment service checks an agent's key: valid keys name their connection and token type, an unknown,
/// revoked-by-rotation or expired key is not valid, every check is audited without the key, and a client that
/// keeps guessing is throttled.
@Suite struct APIKeyVerifyTests {
    @Test(arguments: TestBackend.all)
    func keysAreCheckedWithoutBeingShown(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, runtime in
            let created = try await client.call(.post, "/v1/connections", json: ["kind": "api-key", "name": "agents", "fields": ["tokenType": "connector"]])
            let key = try #require((created.json["issuedSecrets"] as? [String: String])?["key"], "\(created.text)")
            let enrollment = try await TestIdentities.token(role: "consumer", in: runtime, name: "enrollment").token
            func verify(_ key: String) async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String) {
                try await client.call(.post, "/v1/api-keys/verify", json: ["key": key], token: enrollment)
            }
            let valid = try await verify(key)
            #expect(valid.json["valid"] as? Bool == true && valid.json["connection"] as? String == "agents" && valid.json["tokenType"] as? String == "connector", "\(valid.text)")
            #expect(try await verify(key + "x").json["valid"] as? Bool == false)

            let operatorToken = try await TestIdentities.token(role: "operator", in: runtime).token
            #expect(try await client.call(.post, "/v1/api-keys/verify", json: ["key": key], token: operatorToken).status == .forbidden)

            // A new key replaces the old one.
            let rotated = try await client.call(.patch, "/v1/connections/agents", json: ["generate": ["key"]])
            let newKey = try #require((rotated.json["issuedSecrets"] as? [String: String])?["key"], "\(rotated.text)")
            #expect(try await verify(key).json["valid"] as? Bool == false, "the old key no longer verifies")
            #expect(try await verify(newKey).json["valid"] as? Bool == true)
            // An expired key is not valid.
            #expect(try await client.call(.patch, "/v1/connections/agents", json: ["fields": ["expiresAt": Timestamps.text(clock.now.addingTimeInterval(60))]]).status == .ok)
            clock.advance(by: 120)
            #expect(try await verify(newKey).json["valid"] as? Bool == false, "expired")

            let events = try await client.call(.get, "/v1/audit/export")
            #expect(events.text.contains("api-key.verify") && !events.text.contains(key) && !events.text.contains(newKey))

            // Guessing is throttled per client, like sign-in.
            for _ in 0..<5 { _ = try await verify("hitch_ak_guess") }
            #expect(try await verify("hitch_ak_guess").status == .tooManyRequests)
        }
    }
}
