import Foundation
import HTTPTypes
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

/// Tokens cannot outlive their reason: a default and a maximum lifetime, never beyond the token that asks (unless
/// an admin makes one for a service identity), a bootstrap token that is spent once an admin has a password, other
/// sessions ended by a new password or role, and events that name who issued the token used.
@Suite struct TokenLifetimeTests {
    static func expiry(_ answer: (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String)) -> Date? {
        ((answer.json["token"] as? [String: Any])?["expiresAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
    }

    @Test(arguments: TestBackend.all)
    func defaultMaximumAndTheAskingToken(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            let defaulted = try await client.call(.post, "/v1/tokens", json: ["name": "plain"])
            let days = try #require(Self.expiry(defaulted)).timeIntervalSinceNow / 86_400
            #expect(defaulted.status == .created && (29.9...30.1).contains(days), "\(defaulted.text)")
            let tooLong = try await client.call(.post, "/v1/tokens", json: ["name": "long", "expiresInSeconds": 366 * 86_400])
            #expect(tooLong.status == .badRequest && tooLong.text.contains("365 days"), "\(tooLong.text)")

            // An operator signed in with a token that expires within the hour.
            let operatorToken = try await TestIdentities.token(
                role: "operator", in: runtime, name: "otto", expiresAt: Date().addingTimeInterval(3600)).token
            let asked = try await client.call(.post, "/v1/tokens", json: ["name": "x", "expiresInSeconds": 30 * 86_400], token: operatorToken)
            #expect(asked.status == .badRequest && asked.text.contains("must not outlive"), "\(asked.text)")
            let clamped = try await client.call(.post, "/v1/tokens", json: ["name": "x"], token: operatorToken)
            let clampedExpiry = try #require(Self.expiry(clamped))
            #expect(clamped.status == .created && clampedExpiry <= Date().addingTimeInterval(3601), "\(clamped.text)")

            // An admin's short session may make a pipeline's token for a service identity, for longer.
            let adminToken = try await TestIdentities.token(role: "admin", in: runtime, expiresAt: Date().addingTimeInterval(3600)).token
            #expect(try await client.call(.post, "/v1/users", json: ["name": "ci-bot", "role": "operator", "kind": "service"]).status == .created)
            let pipeline = try await client.call(
                .post, "/v1/tokens", json: ["name": "pipeline", "user": "ci-bot", "expiresInSeconds": 90 * 86_400], token: adminToken)
            #expect(pipeline.status == .created, "\(pipeline.text)")
            #expect(((pipeline.json["token"] as? [String: Any])?["issuedBy"] as? String)?.hasPrefix("admin-") == true, "\(pipeline.text)")
        }
    }

    /// What an admin-issued token does is audited under its identity and names the admin who issued it.
    @Test(arguments: TestBackend.all)
    func eventsNameTheIssuer(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/users", json: ["name": "ci-bot", "role": "operator", "kind": "service"]).status == .created)
            let issued = try await client.call(.post, "/v1/tokens", json: ["name": "pipeline", "user": "ci-bot"])
            let token = try #require(issued.json["secret"] as? String)
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(), token: token).status == .created)
            let events = try await client.call(.get, "/v1/audit?action=connection.create").json["events"] as? [[String: Any]] ?? []
            let actor = try #require(events.first?["actor"] as? [String: Any])
            #expect(actor["name"] as? String == "ci-bot" && actor["tokenName"] as? String == "pipeline (issued by admin)", "\(actor)")
        }
    }

    /// A new password or role revokes the user's other tokens; the one that made the change is kept.
    @Test(arguments: TestBackend.all)
    func aNewPasswordOrRoleEndsOtherSessions(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            func signIn(_ name: String, _ password: String) async throws -> String {
                try #require(try await client.call(.post, "/v1/login", json: ["username": name, "password": password], token: nil).json["secret"] as? String)
            }
            #expect(try await client.call(.post, "/v1/users", json: ["name": "ada", "role": "operator", "password": "first-password-1234"]).status == .created)
            let laptop = try await signIn("ada", "first-password-1234")
            let stolen = try await signIn("ada", "first-password-1234")
            #expect(try await client.call(.patch, "/v1/users/ada", json: ["password": "second-password-5678"]).status == .ok)
            for token in [laptop, stolen] { #expect(try await client.call(.get, "/v1/whoami", token: token).status == .unauthorized) }
            let again = try await signIn("ada", "second-password-5678")
            #expect(try await client.call(.patch, "/v1/users/ada", json: ["role": "viewer"]).status == .ok)
            #expect(try await client.call(.get, "/v1/whoami", token: again).status == .unauthorized, "a new role ends every session")

            // An admin who changes their own password keeps the session they did it from.
            #expect(try await client.call(.post, "/v1/users", json: ["name": "root", "role": "admin", "password": "root-password-1234"]).status == .created)
            let here = try await signIn("root", "root-password-1234")
            let elsewhere = try await signIn("root", "root-password-1234")
            #expect(try await client.call(.patch, "/v1/users/root", json: ["password": "root-password-5678"], token: here).status == .ok)
            #expect(try await client.call(.get, "/v1/whoami", token: elsewhere).status == .unauthorized, "the other session ended")
            #expect(try await client.call(.get, "/v1/whoami", token: here).status == .ok, "the session that changed it stays")
        }
    }

    /// A generated bootstrap token expires in 24 hours, is spent once an admin has a password, and its file goes.
    @Test(arguments: TestBackend.all)
    func theBootstrapTokenIsSpent(backend: TestBackend) async throws {
        var environment = TestBackend.environment
        environment["HITCH_BOOTSTRAP_TOKEN"] = nil
        let started = Date()
        try await withAPI(backend, environment: environment) { client, runtime in
            let path = runtime.bootstrapTokenPath
            let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let tokens = try await client.call(.get, "/v1/tokens", token: token).json["tokens"] as? [[String: Any]] ?? []
            let expiresAt = try #require((tokens.first?["expiresAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            // Issued between the start of the server and now, whatever the load made that span.
            let issuedFrom = started.addingTimeInterval(86_400 - 1), issuedBy = Date().addingTimeInterval(86_400 + 1)
            #expect(expiresAt >= issuedFrom && expiresAt <= issuedBy, "24 hours")
            #expect(tokens.first?["issuedBy"] as? String == "hitch")

            #expect(try await client.call(.post, "/v1/users", json: ["name": "ada", "role": "operator", "password": "an-operator-password"], token: token).status == .created)
            #expect(try await client.call(.get, "/v1/whoami", token: token).status == .ok, "an operator's password spends nothing")
            #expect(try await client.call(.patch, "/v1/users/admin", json: ["password": "the-admins-own-password"], token: token).status == .ok)
            #expect(try await client.call(.get, "/v1/whoami", token: token).status == .unauthorized, "spent")
            #expect(!FileManager.default.fileExists(atPath: path), "the file is gone")
            let signedIn = try await client.call(.post, "/v1/login", json: ["username": "admin", "password": "the-admins-own-password"], token: nil)
            #expect(signedIn.status == .ok || signedIn.status == .created, "\(signedIn.text)")
        }
    }
}
