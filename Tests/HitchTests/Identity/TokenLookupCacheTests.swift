import Foundation
import HTTPTypes
import Testing

/// On SQLite a token's lookup is kept in memory until a write uses the identities; these change who a token is
/// between two of its requests, with writes of other records in between, and expect the change on the next request.
@Suite struct TokenLookupCacheTests {
    @Test(arguments: TestBackend.all)
    func aChangeOfWhoATokenIsTakesEffectOnItsNextRequest(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/users", json: ["name": "svc-deploy", "role": "viewer", "kind": "service"]).status == .created)
            func newToken() async throws -> String {
                try #require(try await client.call(.post, "/v1/tokens", json: ["user": "svc-deploy", "name": "t"]).json["secret"] as? String)
            }
            var filler = 0
            /// A request of the token's, then a write that does not touch identities, so that its lookup stays kept.
            func use(_ token: String, _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil) async throws -> HTTPResponse.Status {
                let status = try await client.call(method, uri, json: json, token: token).status
                filler += 1
                #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "filler-\(filler)")).status == .created)
                return status
            }
            let create = Sample.vsphere(name: "by-token", password: "canary-token-pw")
            let first = try await newToken()
            #expect(try await use(first, .get, "/v1/connections") == .ok)
            #expect(try await use(first, .post, "/v1/connections", json: create) == .forbidden)

            // A new role ends the identity's tokens; one issued after it carries the role.
            #expect(try await client.call(.patch, "/v1/users/svc-deploy", json: ["role": "operator"]).status == .ok)
            #expect(try await use(first, .get, "/v1/connections") == .unauthorized)
            let second = try await newToken()
            #expect(try await use(second, .post, "/v1/connections", json: create) == .created)

            #expect(try await client.call(.patch, "/v1/users/svc-deploy", json: ["enabled": false]).status == .ok)
            #expect(try await use(second, .get, "/v1/connections") == .unauthorized)
            #expect(try await client.call(.patch, "/v1/users/svc-deploy", json: ["enabled": true]).status == .ok)
            #expect(try await use(second, .get, "/v1/connections") == .ok)

            let tokens = try await client.call(.get, "/v1/tokens?user=svc-deploy").json["tokens"] as? [[String: Any]] ?? []
            let live = tokens.filter { $0["revokedAt"] == nil }.compactMap { $0["id"] as? String }
            #expect(live.count == 1, "\(tokens)")
            for id in live { #expect(try await client.call(.delete, "/v1/tokens/\(id)").status == .noContent) }
            #expect(try await use(second, .get, "/v1/connections") == .unauthorized)
        }
    }
}
