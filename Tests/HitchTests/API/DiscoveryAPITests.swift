import Foundation
import HTTPTypes
import HitchDomain
import HitchPlatforms
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

/// Discovery jobs, inventory browsing, cancellation, a rotation during a discovery, and preflight with the
/// migration gate, through the API against simulators of the tests' own, on both backends.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct DiscoveryAPITests {
    static let user = VCSimInstance.User(username: "hitch@vsphere.local", password: "vcsim-pw-one", role: "Admin", entity: "root")

    static func connection(_ name: String, _ simulator: VCSimInstance, _ user: VCSimInstance.User) -> [String: Any] {
        [
            "kind": "vsphere", "name": name,
            "fields": ["vcenter": simulator.hostPort, "username": user.username, "datacenter": "DC0", "thumbprint": simulator.thumbprint],
            "secrets": ["password": user.password],
        ]
    }

    /// Polls the job until `done` holds for it (at most about a minute).
    static func job(
        _ id: String, _ client: any TestClientProtocol, until done: ([String: Any]) -> Bool = { $0["state"] as? String != "running" }
    ) async throws -> [String: Any] {
        var job: [String: Any] = [:]
        for _ in 0..<600 {
            job = try await client.call(.get, "/v1/jobs/\(id)").json
            if done(job) { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("job \(id) did not get there in time: \(job)")
        return job
    }

    @Test(arguments: TestBackend.all)
    func discoveryStoresTheInventory(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [Self.user])
        defer { simulator.stop() }
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Self.connection("lab", simulator, Self.user)).status == .created)
            let none = try await client.call(.get, "/v1/connections/lab/inventory")
            #expect(none.status == .ok && none.json["snapshot"] == nil && (none.json["objects"] as? [Any])?.isEmpty == true)

            let started = try await client.call(.post, "/v1/connections/lab/discovery")
            #expect(started.status == .accepted && started.json["kind"] as? String == "discovery", "\(started.text)")
            let id = try #require(started.json["id"] as? String)
            let ended = try await Self.job(id, client)
            #expect(ended["state"] as? String == "succeeded", "\(ended)")
            #expect(ended["detail"] as? String == "datacenter 1, cluster 1, host 3, resource-pool 2, datastore 1, folder 4, network 3, vm 4")

            let all = try await client.call(.get, "/v1/connections/lab/inventory?limit=1000")
            let snapshot = try #require(all.json["snapshot"] as? [String: Any])
            #expect(snapshot["jobId"] as? String == id && snapshot["credentialVersion"] as? Int == 1)
            #expect(snapshot["counts"] as? [String: Int] == simulator.counts)
            #expect((all.json["objects"] as? [[String: Any]])?.count == simulator.counts.values.reduce(0, +))

            let vms = try await client.call(.get, "/v1/connections/lab/inventory?type=vm")
            let names = (vms.json["objects"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"], "by name")
            let vm = try #require((vms.json["objects"] as? [[String: Any]])?.first)
            #expect(vm["path"] as? String == "/DC0/vm/DC0_C0_RP0_VM0" && vm["cpus"] as? Int != nil && (vm["disks"] as? [Any])?.isEmpty == false)

            let filtered = try await client.call(.get, "/v1/connections/lab/inventory?filter=dc0_h0_")
            #expect((filtered.json["objects"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["DC0_H0_VM0", "DC0_H0_VM1"])
            let wildcard = try await client.call(.get, "/v1/connections/lab/inventory?filter=%25")
            #expect((wildcard.json["objects"] as? [Any])?.isEmpty == true, "% matches itself, not everything")
            let first = try await client.call(.get, "/v1/connections/lab/inventory?type=host&limit=2")
            #expect((first.json["objects"] as? [Any])?.count == 2 && first.json["nextOffset"] as? Int == 2)
            let rest = try await client.call(.get, "/v1/connections/lab/inventory?type=host&limit=2&offset=2")
            #expect((rest.json["objects"] as? [Any])?.count == 1 && rest.json["nextOffset"] == nil)
            #expect(try await client.call(.get, "/v1/connections/lab/inventory?type=vms").status == .badRequest)
            #expect(try await client.call(.get, "/v1/connections/lab/inventory?limit=0").status == .badRequest)
            #expect(try await client.call(.get, "/v1/connections/nope/inventory").status == .notFound)

            // A second discovery replaces the snapshot whole.
            let again = try #require(try await client.call(.post, "/v1/connections/lab/discovery").json["id"] as? String)
            #expect(try await Self.job(again, client)["state"] as? String == "succeeded")
            let replaced = try await client.call(.get, "/v1/connections/lab/inventory?limit=1000")
            #expect((replaced.json["snapshot"] as? [String: Any])?["jobId"] as? String == again)
            #expect((replaced.json["objects"] as? [Any])?.count == simulator.counts.values.reduce(0, +))

            #expect(try await client.call(
                .post, "/v1/connections", json: ["kind": "api-key", "name": "agents", "fields": ["tokenType": "connector"]]
            ).status == .created)
            let wrongKind = try await client.call(.post, "/v1/connections/agents/discovery")
            #expect(wrongKind.status == .badRequest && wrongKind.text.contains("discovery reads vSphere connections"))
            #expect(try await client.call(.post, "/v1/connections/lab/discovery?timeout=5").status == .badRequest)
            let audited = try await client.call(.get, "/v1/audit?action=job.finish")
            #expect((audited.json["events"] as? [[String: Any]])?.first?["detail"] as? String == "discovery job \(again) succeeded: datacenter 1, cluster 1, host 3, resource-pool 2, datastore 1, folder 4, network 3, vm 4")
        }
    }

    /// One discovery at a time per connection; a cancelled one stores nothing and frees the connection. The
    /// simulator holds every read until the test opens its gate, so the steps do not race the discovery.
    @Test(arguments: TestBackend.all)
    func oneAtATimeAndCancel(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [Self.user], holding: ["RetrievePropertiesEx"])
        defer { simulator.stop() }
        let reads = simulator.gate("RetrievePropertiesEx")
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.connection("slow", simulator, Self.user)).status == .created)
            let id = try #require(try await client.call(.post, "/v1/connections/slow/discovery").json["id"] as? String)
            let second = try await client.call(.post, "/v1/connections/slow/discovery")
            #expect(second.status == .conflict && second.text.contains("already running (job \(id))"), "\(second.text)")
            let refused = try await client.call(.delete, "/v1/connections/slow")
            #expect(refused.status == .conflict && refused.text.contains(id), "a running discovery holds its connection")

            let cancelled = try await client.call(.post, "/v1/jobs/\(id)/cancel")
            #expect(cancelled.status == .ok && cancelled.json["state"] as? String == "cancelled", "\(cancelled.text)")
            #expect((cancelled.json["detail"] as? String)?.hasPrefix("cancelled by") == true)
            #expect(try await client.call(.post, "/v1/jobs/\(id)/cancel").status == .conflict)
            reads.open()
            for _ in 0..<600 where await runtime.runningJobs.count > 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(await runtime.runningJobs.count == 0, "the task stopped")
            #expect(try await client.call(.get, "/v1/jobs/\(id)").json["state"] as? String == "cancelled", "kept its end")
            #expect(try await client.call(.get, "/v1/connections/slow/inventory").json["snapshot"] == nil, "nothing stored")

            try await runtime.recordFullPreflight(of: "slow")
            let migration = try #require(try await client.call(
                .post, "/v1/jobs", json: ["connection": "slow", "kind": "migration"]).json["id"] as? String)
            #expect(try await client.call(.post, "/v1/jobs/\(migration)/cancel").status == .badRequest)

            // A server that stops ends its running discovery, and records so.
            reads.close()
            let rerun = try #require(try await client.call(.post, "/v1/connections/slow/discovery").json["id"] as? String, "free again")
            await runtime.runningJobs.cancelAll()
            reads.open()
            await runtime.shutDownJobs()
            let stopped = try await client.call(.get, "/v1/jobs/\(rerun)").json
            #expect(stopped["state"] as? String == "failed" && stopped["detail"] as? String == "stopped: the server shut down", "\(stopped)")
        }
    }

    /// Issue 5's case: a rotation during a discovery ends it as invalidated and stores nothing, the session of
    /// the old password is logged out on the simulator, and a re-run reads with the new password.
    @Test(arguments: TestBackend.all)
    func rotationDuringDiscovery(backend: TestBackend) async throws {
        // 600 VMs: the simulator holds the second page of VMs until the rotation has landed.
        let simulator = try VCSimInstance.start(users: [Self.user], arguments: ["-vms", "300"], holding: ["ContinueRetrievePropertiesEx"])
        defer { simulator.stop() }
        let secondPage = simulator.gate("ContinueRetrievePropertiesEx")
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.connection("lab", simulator, Self.user)).status == .created)
            let id = try #require(try await client.call(.post, "/v1/connections/lab/discovery").json["id"] as? String)
            let reading = try await Self.job(id, client) {
                $0["detail"] as? String == "reading vm: 500 read" || $0["state"] as? String != "running"
            }
            try #require(reading["state"] as? String == "running", "the discovery ended before its second page of VMs: \(reading)")
            let record = try await runtime.connections.get(name: "lab", logger: TestBackend.logger)
            let held = await runtime.sessions.held(connectionId: record.id, credentialVersion: 1)
            let oldCookie = try #require(held?.sessionCookie)

            // The administrator changes the password in vCenter, then in Hitch. The rotation ends the job when it
            // commits; it then logs the old session out, which waits for the held page to be answered.
            var changed = Self.user
            changed.password = "vcsim-pw-two"
            try simulator.replaceUsers([changed])
            async let rotated = client.call(.patch, "/v1/connections/lab", json: ["secrets": ["password": changed.password]])
            let ended = try await Self.job(id, client)
            secondPage.open()
            #expect(try await rotated.status == .ok)
            #expect(ended["state"] as? String == "invalidated" && ended["detail"] as? String == "credential rotated: re-run discovery", "\(ended)")
            #expect(try await PlatformSessionTests.isActive(oldCookie, url: simulator.url, thumbprint: simulator.thumbprint) == false, "the old session is logged out")
            for _ in 0..<600 where await runtime.runningJobs.count > 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(await runtime.runningJobs.count == 0, "the task stopped")
            #expect(try await client.call(.get, "/v1/jobs/\(id)").json["state"] as? String == "invalidated")
            #expect(try await client.call(.get, "/v1/connections/lab/inventory").json["snapshot"] == nil, "partial results dropped")

            let rerun = try #require(try await client.call(.post, "/v1/connections/lab/discovery").json["id"] as? String)
            let done = try await Self.job(rerun, client)
            #expect(done["state"] as? String == "succeeded" && done["credentialVersion"] as? Int == 2, "\(done)")
            let snapshot = try await client.call(.get, "/v1/connections/lab/inventory").json["snapshot"] as? [String: Any]
            #expect(snapshot?["credentialVersion"] as? Int == 2 && snapshot?["counts"] as? [String: Int] == simulator.counts)
        }
    }

    @Test(arguments: TestBackend.all)
    func preflightGatesMigrationJobs(backend: TestBackend) async throws {
        let readOnly = VCSimInstance.User(username: "ro@vsphere.local", password: "vcsim-ro-pw", role: "ReadOnly", entity: "datacenter")
        let dedicated = VCSimInstance.User(
            username: "mig@vsphere.local", password: "vcsim-mig-pw", role: "HitchMigration",
            privileges: PrivilegeRequirement.recommended.map(\.id), entity: "datacenter")
        let simulator = try VCSimInstance.start(users: [readOnly, dedicated])
        defer { simulator.stop() }
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Self.connection("ro", simulator, readOnly)).status == .created)
            #expect(try await client.call(.post, "/v1/connections", json: Self.connection("mig", simulator, dedicated)).status == .created)
            #expect(try await client.call(.get, "/v1/connections/ro/preflight").status == .notFound)

            let limited = try await client.call(.post, "/v1/connections/ro/preflight")
            #expect(limited.status == .ok && limited.json["capability"] as? String == "discovery", "\(limited.text)")
            let missing = PrivilegeRequirement.recommended.filter { $0.need == .migration }.map(\.id)
            #expect(limited.json["missing"] as? [String] == missing)
            #expect((limited.json["remedy"] as? [String])?.count == 4)
            let discoveryScope = try await client.call(.post, "/v1/connections/ro/preflight?scope=discovery")
            #expect(discoveryScope.json["missing"] as? [String] == [] && discoveryScope.json["capability"] as? String == "discovery")
            #expect(try await client.call(.get, "/v1/connections/ro/preflight").json["scope"] as? String == "discovery", "the last is kept")

            let gated = try await client.call(.post, "/v1/jobs", json: ["connection": "ro", "kind": "migration", "ref": "plan-1"])
            #expect(gated.status == .conflict, "\(gated.text)")
            #expect(gated.text.contains("may only be used for discovery") && gated.text.contains("VirtualMachine.Config.ChangeTracking"))

            let full = try await client.call(.post, "/v1/connections/mig/preflight")
            #expect(full.json["capability"] as? String == "migration" && full.json["warnings"] as? [String] == [])
            #expect(try await client.call(.post, "/v1/jobs", json: ["connection": "mig", "kind": "migration"]).status == .created)

            // A new credential needs its own preflight.
            #expect(try await client.call(.patch, "/v1/connections/mig", json: ["secrets": ["password": dedicated.password]]).status == .ok)
            let stale = try await client.call(.post, "/v1/jobs", json: ["connection": "mig", "kind": "migration"])
            #expect(stale.status == .conflict && stale.text.contains("no preflight of its current credential (version 2)"), "\(stale.text)")
            let jobs = try await client.call(.get, "/v1/jobs?connection=ro").json["jobs"] as? [[String: Any]]
            #expect(jobs?.map { $0["kind"] as? String } == ["preflight", "preflight"] && jobs?.allSatisfy { $0["state"] as? String == "succeeded" } == true)
            let events = try await client.call(.get, "/v1/audit?action=preflight.run").json["events"] as? [[String: Any]]
            #expect(events?.count == 3)
        }
    }
}
