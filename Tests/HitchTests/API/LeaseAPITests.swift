import Foundation
import HTTPTypes
import HitchDomain
import HitchPlatforms
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import SQLKit
import Testing

/// Leases against VMware's simulator (S10): a consumer gets a vCenter session, never the password; the session is
/// logged out when the lease is revoked, expires, its job finishes, or the connection rotates; an active lease
/// blocks deletion; only consumers and admins may lease, a tag-limited consumer only its tags; the cookie appears in
/// the answer and nowhere else.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct LeaseAPITests {
    static func vsphere(_ name: String, _ simulator: VCSimInstance, tags: [String] = ["team-a"]) -> [String: Any] {
        var values = DiscoveryAPITests.connection(name, simulator, DiscoveryAPITests.user)
        values["tags"] = tags
        return values
    }

    static func cookie(_ answer: (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String)) throws -> SecretValue {
        SecretValue(try #require((answer.json["credentials"] as? [String: Any])?["sessionCookie"] as? String, "\(answer.text)"))
    }

    static func id(_ answer: (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String)) throws -> String {
        try #require((answer.json["lease"] as? [String: Any])?["id"] as? String, "\(answer.text)")
    }

    @Test(arguments: TestBackend.all)
    func aVSphereLeaseIsASessionThatEnds(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [DiscoveryAPITests.user], arguments: ["-vms", "2"])
        defer { simulator.stop() }
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, runtime in
            func active(_ cookie: SecretValue) async throws -> Bool {
                try await PlatformSessionTests.isActive(cookie, url: simulator.url, thumbprint: simulator.thumbprint)
            }
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("lab", simulator)).status == .created)
            let consumer = try await TestIdentities.token(role: "consumer", in: runtime, name: "engine").token
            var outputs: [String] = []

            let issued = try await client.call(.post, "/v1/connections/lab/leases", json: ["ttlSeconds": 900], token: consumer)
            #expect(issued.status == .created, "\(issued.text)")
            let first = try Self.cookie(issued)
            let firstId = try Self.id(issued)
            #expect(((issued.json["credentials"] as? [String: Any])?["sdkUrl"] as? String)?.hasSuffix("/sdk") == true)
            #expect(try await active(first), "the leased cookie reads vCenter")
            #expect(!issued.text.contains(DiscoveryAPITests.user.password), "never the password")

            let shown = try await client.call(.get, "/v1/leases/\(firstId)", token: consumer)
            let listed = try await client.call(.get, "/v1/leases?connection=lab&active=true")
            #expect(shown.json["state"] as? String == "active" && (listed.json["leases"] as? [Any])?.count == 1, "\(listed.text)")
            let refused = try await client.call(.delete, "/v1/connections/lab")
            #expect(refused.status == .conflict && refused.text.contains("lease \(firstId)"), "\(refused.text)")
            outputs += [shown.text, listed.text, refused.text]

            #expect(try await client.call(.delete, "/v1/leases/\(firstId)", token: consumer).status == .noContent)
            #expect(try await active(first) == false, "revoked: logged out on vCenter")
            #expect(try await client.call(.delete, "/v1/leases/\(firstId)", token: consumer).status == .conflict)

            // Expiry, with nobody asking: the server's sweep logs it out.
            let short = try await client.call(.post, "/v1/connections/lab/leases", json: ["ttlSeconds": 60], token: consumer)
            let expiring = try Self.cookie(short)
            clock.advance(by: 120)
            #expect(try await runtime.leases.endExpired(logger: TestBackend.logger) == 1)
            #expect(try await active(expiring) == false, "expired: logged out")
            let ended = try await client.call(.get, "/v1/leases/\(try Self.id(short))")
            #expect(ended.json["endReason"] as? String == "expired")

            // A job's lease ends with the job.
            try await runtime.recordFullPreflight(of: "lab")
            let job = try #require(try await client.call(.post, "/v1/jobs", json: ["connection": "lab", "kind": "migration"]).json["id"] as? String)
            let forJob = try await client.call(.post, "/v1/connections/lab/leases", json: ["jobId": job], token: consumer)
            let jobCookie = try Self.cookie(forJob)
            #expect(try await client.call(.post, "/v1/jobs/\(job)/finish", json: ["state": "succeeded"]).status == .ok)
            #expect(try await active(jobCookie) == false, "the job finished: logged out")

            // A rotation supersedes the leases of the old credential.
            let beforeRotation = try await client.call(.post, "/v1/connections/lab/leases", json: [String: Any](), token: consumer)
            let oldCookie = try Self.cookie(beforeRotation)
            #expect(try await client.call(.patch, "/v1/connections/lab", json: ["secrets": ["password": DiscoveryAPITests.user.password]]).status == .ok)
            #expect(try await active(oldCookie) == false, "rotated: logged out")
            let superseded = try await client.call(.get, "/v1/leases/\(try Self.id(beforeRotation))")
            #expect(superseded.json["endReason"] as? String == "superseded")

            let audit = try await client.call(.get, "/v1/audit/export")
            #expect(audit.text.contains("lease.issue") && audit.text.contains("lease.end"))
            outputs.append(audit.text)
            for cookie in [first, expiring, jobCookie, oldCookie] {
                let value = cookie.exposedValue.split(separator: "=").last.map(String.init) ?? cookie.exposedValue
                for output in outputs { #expect(!output.contains(value), "a leased cookie leaked") }
                let stored = try await LeaseStorageScan.contains(value, in: runtime)
                #expect(!stored, "a leased cookie is stored in the clear")
            }
        }
    }

    /// A server that stops after a lease was marked ended, before it logged the session out, leaves the handle:
    /// the next sweep of any server claims it and logs the session out, once.
    @Test(arguments: TestBackend.all)
    func theSweepLogsOutWhatAStoppedServerLeft(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [DiscoveryAPITests.user], arguments: ["-vms", "1"])
        defer { simulator.stop() }
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("lab", simulator)).status == .created)
            let consumer = try await TestIdentities.token(role: "consumer", in: runtime, name: "engine").token
            let issued = try await client.call(.post, "/v1/connections/lab/leases", json: [String: Any](), token: consumer)
            let cookie = try Self.cookie(issued)
            let id = try Self.id(issued)
            // The row is ended as a revoke's transaction ends it; the server stops before the logout.
            let ended = try await runtime.store.write(logger: TestBackend.logger) {
                try await $0.leases.end(id: id, reason: .revoked, at: Date())
            }
            #expect(ended?.handle != nil, "the ended row keeps its sealed handle until a server claims it")
            #expect(try await PlatformSessionTests.isActive(cookie, url: simulator.url, thumbprint: simulator.thumbprint))

            #expect(try await runtime.leases.endExpired(logger: TestBackend.logger) == 0, "nothing expired")
            #expect(try await PlatformSessionTests.isActive(cookie, url: simulator.url, thumbprint: simulator.thumbprint) == false,
                "the sweep logged the session out")
            let left = try await runtime.store.read(logger: TestBackend.logger) { try await $0.leases.find(id: id) }
            #expect(left?.handle == nil && left?.endReason == .revoked, "the handle is gone once the session ended")
            let again = try await runtime.store.write(logger: TestBackend.logger) { try await $0.leases.claimHandles(ids: nil, limit: 10) }
            #expect(again.isEmpty, "claimed once")
        }
    }

    /// The drawer lists active leases, `connection show`'s references route too, and offers Revoke to operators.
    @Test(arguments: TestBackend.all)
    func theDrawerRevokesALease(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [DiscoveryAPITests.user], arguments: ["-vms", "1"])
        defer { simulator.stop() }
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("lab", simulator)).status == .created)
            let consumer = try await TestIdentities.token(role: "consumer", in: runtime, name: "engine").token
            let issued = try await client.call(.post, "/v1/connections/lab/leases", json: [String: Any](), token: consumer)
            let leaseId = try Self.id(issued)
            let references = try await client.call(.get, "/v1/connections/lab/references")
            #expect((references.json["leases"] as? [[String: Any]])?.first?["id"] as? String == leaseId, "\(references.text)")

            for (name, role) in [("vic", "viewer"), ("otto", "operator")] {
                #expect(try await client.call(.post, "/v1/users", json: ["name": name, "role": role, "password": "dashboard-pw-\(name)-1234"]).status == .created)
            }
            let viewer = try #require(try await client.signIn("vic", "dashboard-pw-vic-1234").session)
            let seen = try await client.page("/ui/connections/lab", cookie: viewer)
            #expect(seen.text.contains("lease \(leaseId) for engine") && !seen.text.contains("revoke-\(leaseId)"), "a viewer sees no Revoke")
            let operatorSession = try #require(try await client.signIn("otto", "dashboard-pw-otto-1234").session)
            let drawer = try await client.page("/ui/connections/lab", cookie: operatorSession)
            #expect(drawer.text.contains("id=\"revoke-\(leaseId)\""), "\(drawer.text)")
            let csrf = try #require(DashboardAccessTests.formToken(in: drawer.text))
            let revoked = try await client.form("/ui/leases/\(leaseId)/revoke?connection=lab", ["csrf": csrf], cookie: operatorSession)
            #expect(revoked.status == .seeOther || revoked.status == .found, "\(revoked.status)")
            #expect(try await client.call(.get, "/v1/leases/\(leaseId)").json["endReason"] as? String == "revoked")
            #expect(try await PlatformSessionTests.isActive(try Self.cookie(issued), url: simulator.url, thumbprint: simulator.thumbprint) == false)
        }
    }

    @Test(arguments: TestBackend.all)
    func whoMayTakeALease(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [DiscoveryAPITests.user], arguments: ["-vms", "1"])
        defer { simulator.stop() }
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("lab", simulator)).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere("other", simulator, tags: ["team-b"])).status == .created)
            for role in ["viewer", "operator", "auditor"] {
                let token = try await TestIdentities.token(role: role, in: runtime).token
                let refused = try await client.call(.post, "/v1/connections/lab/leases", json: [String: Any](), token: token)
                #expect(refused.status == .forbidden, "\(role): \(refused.text)")
            }
            for role in ["consumer", "admin"] {
                let token = try await TestIdentities.token(role: role, in: runtime).token
                let issued = try await client.call(.post, "/v1/connections/lab/leases", json: [String: Any](), token: token)
                #expect(issued.status == .created, "\(role): \(issued.text)")
            }

            // A consumer limited to team-a: not team-b's connection, nor a role connection carrying team-a that goes
            // through team-b's key.
            let created = try await client.call(.post, "/v1/users", json: ["name": "tf-ci", "role": "consumer", "kind": "service", "allowedTags": ["team-a"]])
            #expect(created.status == .created, "\(created.text)")
            let limited = try #require(try await client.call(.post, "/v1/tokens", json: ["user": "tf-ci", "name": "ci"]).json["secret"] as? String)
            #expect(try await client.call(.post, "/v1/connections/lab/leases", json: [String: Any](), token: limited).status == .created)
            #expect(try await client.call(.post, "/v1/connections/other/leases", json: [String: Any](), token: limited).status == .forbidden)
            #expect(try await client.call(.get, "/v1/connections/other", token: limited).status == .forbidden, "nor read it")
            let visible = try await client.call(.get, "/v1/connections", token: limited).json["connections"] as? [[String: Any]] ?? []
            #expect(visible.compactMap { $0["name"] as? String } == ["lab"], "the list shows its tags' connections only")
            #expect(try await client.call(.post, "/v1/connections", json: DestinationBindingTests.accessKey(
                "b-key", keyId: "AKIATEAMB00000000001", secret: DestinationBindingTests.victimKey)).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: [
                "kind": "aws-assume-role", "name": "wrapped", "tags": ["team-a"],
                "fields": ["roleArn": "arn:aws:iam::210987654321:role/x", "via": "b-key"],
            ]).status == .created)
            let wrapped = try await client.call(.post, "/v1/connections/wrapped/leases", json: [String: Any](), token: limited)
            #expect(wrapped.status == .forbidden && wrapped.text.contains("b-key"), "\(wrapped.text)")

            let events = try await client.call(.get, "/v1/audit?action=lease.issue").json["events"] as? [[String: Any]] ?? []
            #expect(events.filter { $0["outcome"] as? String == "denied" }.count == 5, "every refusal is audited")
            #expect(events.filter { $0["outcome"] as? String == "ok" }.count == 3)
        }
    }
}

/// Reads every table a lease touches, as text, to look for a value stored in the clear.
enum LeaseStorageScan {
    static func contains(_ value: String, in runtime: HitchRuntime) async throws -> Bool {
        try await runtime.store.backend.read(logger: TestBackend.logger) { database in
            for table in ["leases", "audit_events", "connection_secrets", "connections"] {
                let rows = try await database.raw("SELECT * FROM \(unsafeRaw: table)").all()
                for row in rows {
                    for column in row.allColumns {
                        if let text = try? row.decode(column: column, as: String.self), text.contains(value) { return true }
                    }
                }
            }
            return false
        }
    }
}
