import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

/// The rotation policy: a secret older than its maximum (the server's default of 90 days, or the connection's own)
/// is due; a rotation starts its age again; `status=due` lists the due ones. Both backends.
@Suite struct RotationPolicyTests {
    static func vsphere(_ name: String, maxAge: Int? = nil) -> [String: Any] {
        var body: [String: Any] = [
            "kind": "vsphere", "name": name,
            "fields": ["vcenter": "vc01.corp.example", "username": "svc@vsphere.local"],
            "secrets": ["password": "canary-rotation-pw"],
        ]
        if let maxAge { body["maxSecretAgeDays"] = maxAge }
        return body
    }

    func due(_ client: any TestClientProtocol) async throws -> [String] {
        let listed = try await client.call(.get, "/v1/connections?status=due")
        return (listed.json["connections"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test(arguments: TestBackend.all)
    func secretsComeDueAndRotationRenewsThem(backend: TestBackend) async throws {
        let clock = TestClock()
        let day: TimeInterval = 86_400
        try await withAPI(backend, clock: clock) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("default-age")).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("short", maxAge: 10)).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: [
                "kind": "aws-access-key", "name": "key", "fields": ["accountId": "123456789012", "accessKeyId": "AKIAIOSFODNN7EXAMPLE"],
                "secrets": ["secretAccessKey": String(repeating: "k", count: 40)],
            ]).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: [
                "kind": "aws-assume-role", "name": "role", "fields": ["roleArn": "arn:aws:iam::123456789012:role/read", "via": "key"],
            ]).status == .created)
            let fresh = try await client.call(.get, "/v1/connections/short")
            let rotation = try #require(fresh.json["rotation"] as? [String: Any])
            #expect(rotation["maxAgeDays"] as? Int == 10 && rotation["ageDays"] as? Int == 0 && rotation["due"] as? Bool == false)
            #expect(try await client.call(.get, "/v1/connections/role").json["rotation"] == nil, "no secret of its own")
            #expect(try await due(client) == [])

            clock.advance(by: 11 * day)
            #expect(try await due(client) == ["short"])
            clock.advance(by: 80 * day)
            #expect(try await due(client) == ["default-age", "key", "short"])

            #expect(try await client.call(.patch, "/v1/connections/short", json: ["description": "not a rotation"]).status == .ok)
            #expect(try await due(client) == ["default-age", "key", "short"])
            #expect(try await client.call(.patch, "/v1/connections/short", json: ["secrets": ["password": "canary-rotation-pw-2"]]).status == .ok)
            #expect(try await due(client) == ["default-age", "key"])
            #expect(try await client.call(.patch, "/v1/connections/default-age", json: ["maxSecretAgeDays": 365]).status == .ok)
            #expect(try await due(client) == ["key"])
            #expect(try await client.call(.patch, "/v1/connections/default-age", json: ["maxSecretAgeDays": 0]).status == .ok)
            #expect(try await due(client) == ["default-age", "key"], "0 returns to the default")

            for bad in [-1, 3651] {
                #expect(try await client.call(.patch, "/v1/connections/key", json: ["maxSecretAgeDays": bad]).status == .badRequest)
            }
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("zero", maxAge: 0)).status == .badRequest)
        }
    }

    @Test func defaultAgeComesFromTheEnvironment() throws {
        #expect(try RotationPolicy(environment: [:]).defaultMaxAgeDays == 90)
        #expect(try RotationPolicy(environment: ["HITCH_MAX_SECRET_AGE_DAYS": "30"]).defaultMaxAgeDays == 30)
        for bad in ["0", "3651", "ninety", ""] {
            #expect(throws: HitchError.self) { try RotationPolicy(environment: ["HITCH_MAX_SECRET_AGE_DAYS": bad]) }
        }
    }

    /// Two rotations sent with the same ETag: one wins, the other gets 412, and nothing of the loser is saved.
    @Test(arguments: TestBackend.all)
    func concurrentRotationsWithOneETag(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            let created = try await client.call(.post, "/v1/connections", json: Self.vsphere("raced"))
            let etag = try #require(created.headers[.eTag])
            async let a = client.call(
                .patch, "/v1/connections/raced", json: ["secrets": ["password": "canary-race-a"], "description": "a"],
                headers: [.ifMatch: etag])
            async let b = client.call(
                .patch, "/v1/connections/raced", json: ["secrets": ["password": "canary-race-b"], "description": "b"],
                headers: [.ifMatch: etag])
            let results = try await [a, b]
            #expect(results.map(\.status.code).sorted() == [200, 412], "\(results.map(\.text))")
            let winner = results.first { $0.status == .ok }?.json["connection"] as? [String: Any]
            let record = try await runtime.connections.get(name: "raced", logger: TestBackend.logger)
            let password = try await runtime.connections.openSecrets(of: record, logger: TestBackend.logger)["password"]
            #expect(record.credentialVersion == 2 && record.description == winner?["description"] as? String)
            #expect(password?.exposedValue == "canary-race-\(record.description)", "the secret is the winner's")
            let versions = try await client.call(.get, "/v1/connections/raced/versions").json["versions"] as? [[String: Any]]
            #expect(versions?.count == 2)
        }
    }
}
