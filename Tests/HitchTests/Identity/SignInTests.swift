import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Sign-in, throttling, tokens' expiry and revocation, disabled users, the last admin (S5).
@Suite struct SignInTests {
    static let password = "correct horse battery"

    func createUser(_ client: any TestClientProtocol, _ name: String, role: String = "operator") async throws {
        let created = try await client.call(.post, "/v1/users", json: ["name": name, "role": role, "password": Self.password])
        #expect(created.status == .created, "\(created.text)")
        #expect(created.json["hasPassword"] as? Bool == true)
        #expect(!created.text.contains(Self.password))
    }

    func login(_ client: any TestClientProtocol, _ name: String, _ password: String = SignInTests.password)
        async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String)
    {
        try await client.call(.post, "/v1/login", json: ["username": name, "password": password], token: nil)
    }

    @Test(arguments: TestBackend.all)
    func signInIssuesAWorkingToken(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            try await createUser(client, "alice")
            let signedIn = try await login(client, "alice")
            #expect(signedIn.status == .ok, "\(signedIn.text)")
            let token = try #require(signedIn.json["secret"] as? String)
            #expect(token.hasPrefix("hitch_") && token.count > 40)
            let whoami = try await client.call(.get, "/v1/whoami", token: token)
            #expect(whoami.json["name"] as? String == "alice" && whoami.json["role"] as? String == "operator")
            #expect(whoami.json["tokenExpiresAt"] != nil, "a sign-in token expires")

            let listed = try await client.call(.get, "/v1/tokens", token: token)
            let tokens = try #require(listed.json["tokens"] as? [[String: Any]])
            #expect(tokens.count == 1 && tokens[0]["name"] as? String == "login")
            #expect(!listed.text.contains(token), "a listed token never shows its value")

            #expect(try await client.call(.post, "/v1/logout", token: token).status == .noContent)
            #expect(try await client.call(.get, "/v1/whoami", token: token).status == .unauthorized)
        }
    }

    @Test(arguments: TestBackend.all)
    func failuresLookAlikeAndAreAudited(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            try await createUser(client, "alice")
            let wrongPassword = try await login(client, "alice", "not the password")
            let unknownUser = try await login(client, "nobody", Self.password)
            #expect(wrongPassword.status == .unauthorized && unknownUser.status == .unauthorized)
            #expect(wrongPassword.text == unknownUser.text)
            #expect(try await login(client, "admin", Self.password).status == .unauthorized, "admin has no password yet")

            let events = try await client.call(.get, "/v1/audit?action=auth.login")
            let logged = try #require(events.json["events"] as? [[String: Any]])
            #expect(logged.count == 3)
            #expect(logged.allSatisfy { $0["outcome"] as? String == "failed" && $0["failureCode"] as? String == "auth-failed" })
            #expect(Set(logged.compactMap { ($0["actor"] as? [String: Any])?["name"] as? String }) == ["alice", "nobody", "admin"])
            #expect(!events.text.contains(Self.password) && !events.text.contains("not the password"))
        }
    }

    @Test(arguments: TestBackend.all)
    func repeatedFailuresAreThrottled(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, _ in
            try await createUser(client, "alice")
            for _ in 1...5 { #expect(try await login(client, "alice", "wrong password!").status == .unauthorized) }
            let throttled = try await login(client, "alice")
            #expect(throttled.status == .tooManyRequests, "even the right password waits: \(throttled.text)")
            clock.advance(by: 1.5)
            #expect(try await login(client, "alice", "wrong password!").status == .unauthorized)
            clock.advance(by: 1.5)
            #expect(try await login(client, "alice").status == .tooManyRequests, "the delay doubles: 2 s after the 6th")
            clock.advance(by: 1)
            #expect(try await login(client, "alice").status == .ok)
            #expect(try await login(client, "alice", "wrong password!").status == .unauthorized, "a success clears the count")
            #expect(try await login(client, "alice").status == .ok)
            let events = try await client.call(.get, "/v1/audit?action=auth.login&limit=1000")
            let codes = (events.json["events"] as? [[String: Any]] ?? []).compactMap { $0["failureCode"] as? String }
            // Two throttled attempts within a minute: one event (LoadSheddingTests counts the rest of a flood).
            #expect(codes.filter { $0 == "throttled" }.count == 1)
        }
    }

    @Test(arguments: TestBackend.all)
    func tokensExpireAndAreRevoked(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, _ in
            try await createUser(client, "alice", role: "viewer")
            let aliceToken = try #require(try await login(client, "alice").json["secret"] as? String)
            let created = try await client.call(.post, "/v1/tokens", json: ["name": "ci", "expiresInSeconds": 3600], token: aliceToken)
            #expect(created.status == .created, "\(created.text)")
            let ci = try #require(created.json["secret"] as? String)
            let ciId = try #require((created.json["token"] as? [String: Any])?["id"] as? String)
            #expect(try await client.call(.get, "/v1/connections", token: ci).status == .ok)
            clock.advance(by: 3601)
            #expect(try await client.call(.get, "/v1/connections", token: ci).status == .unauthorized, "expired")

            let other = try #require(try await client.call(.post, "/v1/tokens", json: [:], token: aliceToken).json["secret"] as? String)
            let tokens = try await client.call(.get, "/v1/tokens", token: aliceToken).json["tokens"] as? [[String: Any]] ?? []
            let otherId = try #require(tokens.first { $0["name"] as? String == "token" }?["id"] as? String)
            #expect(try await client.call(.delete, "/v1/tokens/\(otherId)", token: aliceToken).status == .noContent)
            #expect(try await client.call(.get, "/v1/connections", token: other).status == .unauthorized, "revoked")
            #expect(try await client.call(.delete, "/v1/tokens/\(otherId)", token: aliceToken).status == .conflict)

            // Another user's token is not alice's to see or revoke; an admin may do both.
            let adminTokens = try await client.call(.get, "/v1/tokens?user=admin", token: aliceToken)
            #expect(adminTokens.status == .forbidden)
            let bootstrapId = try #require(
                (try await client.call(.get, "/v1/tokens").json["tokens"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await client.call(.delete, "/v1/tokens/\(bootstrapId)", token: aliceToken).status == .notFound)
            #expect(try await client.call(.post, "/v1/tokens", json: ["user": "admin"], token: aliceToken).status == .forbidden)
            #expect(try await client.call(.delete, "/v1/tokens/\(ciId)").status == .noContent)
            let forAlice = try await client.call(.post, "/v1/tokens", json: ["user": "alice", "name": "svc"])
            #expect(forAlice.status == .created)
        }
    }

    @Test(arguments: TestBackend.all)
    func disabledUsersAndTheLastAdmin(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            try await createUser(client, "alice")
            let token = try #require(try await login(client, "alice").json["secret"] as? String)
            let users = try #require(try await client.call(.get, "/v1/users").json["users"] as? [[String: Any]])
            let passwords = Dictionary(uniqueKeysWithValues: users.compactMap { user in
                (user["name"] as? String).map { ($0, user["hasPassword"] as? Bool) }
            })
            #expect(passwords == ["admin": false, "alice": true])
            #expect(try await client.call(.patch, "/v1/users/alice", json: ["enabled": false]).status == .ok)
            #expect(try await client.call(.get, "/v1/whoami", token: token).status == .unauthorized, "a disabled user's token stops")
            #expect(try await login(client, "alice").status == .unauthorized)
            #expect(try await client.call(.patch, "/v1/users/alice", json: ["enabled": true]).status == .ok)
            #expect(try await client.call(.get, "/v1/whoami", token: token).status == .ok)

            let demote = try await client.call(.patch, "/v1/users/admin", json: ["role": "viewer"])
            #expect(demote.status == .conflict, "\(demote.text)")
            #expect(try await client.call(.patch, "/v1/users/admin", json: ["enabled": false]).status == .conflict)
            #expect(try await client.call(.patch, "/v1/users/alice", json: ["role": "admin"]).status == .ok)
            // An admin with a password now exists, so the bootstrap token is spent; and alice's role changed, so her
            // earlier token is revoked: she signs in again.
            #expect(try await client.call(.get, "/v1/whoami").status == .unauthorized, "the bootstrap token is spent")
            #expect(try await client.call(.get, "/v1/whoami", token: token).status == .unauthorized, "a new role ends old tokens")
            let adminToken = try #require(try await login(client, "alice").json["secret"] as? String)
            #expect(try await client.call(.patch, "/v1/users/admin", json: ["role": "viewer"], token: adminToken).status == .ok, "alice is an admin now")

            let service = try await client.call(.post, "/v1/users", json: ["name": "ci-bot", "role": "operator", "kind": "service", "password": Self.password], token: adminToken)
            #expect(service.status == .badRequest, "a service identity has no password")
            #expect(try await client.call(.post, "/v1/users", json: ["name": "bob", "role": "root"], token: adminToken).status == .badRequest)
            #expect(try await client.call(.post, "/v1/users", json: ["name": "bob", "role": "viewer", "password": "short"], token: adminToken).status == .badRequest)
            #expect(try await client.call(.post, "/v1/users", json: ["name": "alice", "role": "viewer"], token: adminToken).status == .conflict)
        }
    }

    @Test(arguments: TestBackend.all)
    func auditListFiltersAndPages(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            for index in 1...3 {
                #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "vc-\(index)")).status == .created)
            }
            #expect(try await client.call(.patch, "/v1/connections/vc-2", json: ["secrets": ["password": "rotated-password"]]).status == .ok)
            let viewer = try await client.call(.post, "/v1/users", json: ["name": "val", "role": "viewer", "kind": "service"])
            #expect(viewer.status == .created)
            let viewerToken = try #require(try await client.call(.post, "/v1/tokens", json: ["user": "val"]).json["secret"] as? String)
            #expect(try await client.call(.delete, "/v1/connections/vc-1", token: viewerToken).status == .forbidden)
            #expect(try await client.call(.get, "/v1/audit", token: viewerToken).status == .forbidden)

            let vc2 = try await client.call(.get, "/v1/audit?connection=vc-2")
            let vc2Events = try #require(vc2.json["events"] as? [[String: Any]])
            #expect(vc2Events.map { $0["action"] as? String } == ["connection.rotate", "connection.create"])
            #expect(vc2Events.first?["changedFields"] as? [String] == ["password"])

            let denied = try #require(try await client.call(.get, "/v1/audit?actor=val").json["events"] as? [[String: Any]])
            #expect(denied.count == 1 && denied[0]["outcome"] as? String == "denied" && denied[0]["action"] as? String == "connection.delete")

            let family = try #require(try await client.call(.get, "/v1/audit?action=connection").json["events"] as? [[String: Any]])
            #expect(family.count == 5)

            let first = try await client.call(.get, "/v1/audit?limit=2")
            let next = try #require(first.json["next"] as? Int)
            let second = try #require(try await client.call(.get, "/v1/audit?limit=2&before=\(next)").json["events"] as? [[String: Any]])
            #expect(second.map { $0["sequence"] as? Int } == [next - 1, next - 2])

            let exported = try await client.call(.get, "/v1/audit/export")
            #expect(exported.status == .ok)
            let lines = exported.text.split(separator: "\n")
            #expect(lines.count == next + 1)
            let sequences = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["sequence"] as? Int }
            #expect(sequences == Array(1...(next + 1)))
            #expect(!exported.text.contains("rotated-password") && !exported.text.contains("canary-vsphere-pw"))

            let verified = try await client.call(.get, "/v1/audit/verify")
            #expect(verified.json["intact"] as? Bool == true && verified.json["verified"] as? Int == next + 1)
        }
    }
}
