import Foundation
import HTTPTypes
import HitchDomain
import Synchronization
import Testing

/// A nutanix lease through the API, against a local server shaped like Prism Central's session mechanism: the
/// consumer gets session cookies that read Prism alone, never the password; the lease ends no later than the
/// session's own expiry and says that Prism offers no early end; the cookies are stored nowhere.
@Suite struct NutanixLeaseAPITests {
    @Test(arguments: TestBackend.all)
    func aNutanixLeaseIsPrismsSession(backend: TestBackend) async throws {
        let prism = PrismSessionServer()
        try await LocalTLSServer.run(prism.router) { server in
            try await withAPI(backend) { client, runtime in
                let created = try await client.call(.post, "/v1/connections", json: [
                    "kind": "nutanix", "name": "pc",
                    "fields": ["endpoint": "127.0.0.1:\(server.port)", "username": PrismSessionServer.username, "thumbprint": server.thumbprint],
                    "secrets": ["password": PrismSessionServer.password],
                ])
                #expect(created.status == .created, "\(created.text)")
                let consumer = try await TestIdentities.token(role: "consumer", in: runtime, name: "engine").token

                let issued = try await client.call(.post, "/v1/connections/pc/leases", json: ["ttlSeconds": 3600], token: consumer)
                #expect(issued.status == .created, "\(issued.text)")
                let credentials = try #require(issued.json["credentials"] as? [String: Any])
                let cookie = try #require(credentials["sessionCookie"] as? String)
                #expect(credentials["apiUrl"] as? String == "https://127.0.0.1:\(server.port)")
                #expect((credentials["note"] as? String)?.contains("no way to end this session early") == true, "\(issued.text)")
                #expect(try await PrismSessionServer.reads(SecretValue(cookie), port: server.port, thumbprint: server.thumbprint))
                #expect(!issued.text.contains(PrismSessionServer.password), "never the password")

                // Asked for an hour; Prism's session lasts 15 minutes, so the lease does too.
                let lease = try #require(issued.json["lease"] as? [String: Any])
                let issuedAt = try #require((lease["issuedAt"] as? String).flatMap(Timestamps.date))
                let expiresAt = try #require((lease["expiresAt"] as? String).flatMap(Timestamps.date))
                #expect(abs(expiresAt.timeIntervalSince(issuedAt) - TimeInterval(PrismSessionServer.sessionSeconds)) < 5, "\(issued.text)")

                let id = try #require(lease["id"] as? String)
                let shown = try await client.call(.get, "/v1/leases/\(id)", token: consumer)
                #expect(try await client.call(.delete, "/v1/leases/\(id)", token: consumer).status == .noContent)
                let audit = try await client.call(.get, "/v1/audit/export")
                let value = try #require(cookie.split(separator: ";").first?.split(separator: "=").last.map(String.init))
                for output in [shown.text, audit.text] { #expect(!output.contains(value), "a leased cookie leaked") }
                #expect(try await LeaseStorageScan.contains(value, in: runtime) == false, "a leased cookie is stored")
            }
        }
    }

    /// A rotation that commits while a lease is being issued (Hitch waiting for Prism's sign-in, with the old
    /// password) refuses the lease: no lease of the old credential version is left active past the rotation.
    @Test(arguments: TestBackend.all)
    func aRotationDuringIssueRefusesTheLease(backend: TestBackend) async throws {
        let rotate = Mutex<(@Sendable () async -> Void)?>(nil)
        let prism = PrismSessionServer(beforeSignIn: { await rotate.withLock { $0 }?() })
        try await LocalTLSServer.run(prism.router) { server in
            try await withAPI(backend) { client, runtime in
                #expect(try await client.call(.post, "/v1/connections", json: [
                    "kind": "nutanix", "name": "pc",
                    "fields": ["endpoint": "127.0.0.1:\(server.port)", "username": PrismSessionServer.username, "thumbprint": server.thumbprint],
                    "secrets": ["password": PrismSessionServer.password],
                ]).status == .created)
                let consumer = try await TestIdentities.token(role: "consumer", in: runtime, name: "engine").token
                rotate.withLock {
                    $0 = {
                        let rotated = try? await client.call(.patch, "/v1/connections/pc", json: ["secrets": ["password": PrismSessionServer.password]])
                        #expect(rotated?.status == .ok)
                    }
                }
                let issued = try await client.call(.post, "/v1/connections/pc/leases", json: ["ttlSeconds": 600], token: consumer)
                #expect(issued.status == .conflict, "\(issued.text)")
                rotate.withLock { $0 = nil }

                let leases = try await client.call(.get, "/v1/leases?connection=pc&active=true")
                #expect((leases.json["leases"] as? [[String: Any]])?.isEmpty == true, "\(leases.text)")
                let again = try await client.call(.post, "/v1/connections/pc/leases", json: ["ttlSeconds": 600], token: consumer)
                #expect(again.status == .created, "\(again.text)")
                #expect((again.json["lease"] as? [String: Any])?["credentialVersion"] as? Int == 2, "\(again.text)")
            }
        }
    }
}
