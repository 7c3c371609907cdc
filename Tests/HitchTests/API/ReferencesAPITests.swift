import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

/// Jobs, assignments and the deletion guard (S7), and the jobs a rotation ends, on both backends.
@Suite struct ReferencesAPITests {
    static var vsphere: [String: Any] { [
        "kind": "vsphere", "name": "prod-vcenter",
        "fields": ["vcenter": "vc01.corp.example", "username": "svc@vsphere.local", "datacenter": "DC1"],
        "secrets": ["password": "canary-vc-pw-1"],
    ] }

    @Test(arguments: TestBackend.all)
    func deleteIsRefusedWhileUsedThenAllowed(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            let created = try await client.call(.post, "/v1/connections", json: Self.vsphere)
            let connectionId = try #require((created.json["connection"] as? [String: Any])?["id"] as? String)
            let ungated = try await client.call(.post, "/v1/jobs", json: ["connection": "prod-vcenter", "kind": "migration"])
            #expect(ungated.status == .conflict && ungated.text.contains("no preflight of its current credential"), "\(ungated.text)")
            try await runtime.recordFullPreflight(of: "prod-vcenter")
            let started = try await client.call(
                .post, "/v1/jobs", json: ["connection": "prod-vcenter", "kind": "migration", "ref": "plan-42"])
            #expect(started.status == .created && started.json["state"] as? String == "running", "\(started.text)")
            let jobId = try #require(started.json["id"] as? String)
            let assigned = try await client.call(
                .post, "/v1/assignments", json: ["connection": "prod-vcenter", "kind": "image", "ref": "win11-golden"])
            #expect(assigned.status == .created, "\(assigned.text)")
            let assignmentId = try #require(assigned.json["id"] as? String)

            let refused = try await client.call(.delete, "/v1/connections/prod-vcenter")
            #expect(refused.status == .conflict)
            let blockers = ((refused.json["error"] as? [String: Any])?["details"] as? [String: Any])?["blockers"] as? [String]
            #expect(blockers == ["job \(jobId) (migration, running, ref plan-42)", "assignment image 'win11-golden'"], "\(refused.text)")
            let references = try await client.call(.get, "/v1/connections/prod-vcenter/references")
            #expect((references.json["jobs"] as? [[String: Any]])?.count == 1)
            #expect((references.json["assignments"] as? [[String: Any]])?.first?["ref"] as? String == "win11-golden")

            let finished = try await client.call(.post, "/v1/jobs/\(jobId)/finish", json: ["state": "succeeded"])
            #expect(finished.json["state"] as? String == "succeeded" && finished.json["finishedAt"] != nil)
            #expect(try await client.call(.post, "/v1/jobs/\(jobId)/finish", json: ["state": "failed"]).status == .conflict)
            let stillAssigned = try await client.call(.delete, "/v1/connections/prod-vcenter")
            #expect(stillAssigned.status == .conflict && !stillAssigned.text.contains(jobId), "a finished job blocks nothing")

            #expect(try await client.call(.delete, "/v1/assignments/\(assignmentId)").status == .noContent)
            #expect(try await client.call(.delete, "/v1/connections/prod-vcenter").status == .noContent)
            let secrets = try await runtime.store.read(logger: TestBackend.logger) {
                try await $0.connections.secrets(connectionIds: [connectionId])
            }
            #expect(secrets.isEmpty)
            let history = try await client.call(.get, "/v1/jobs?state=succeeded")
            #expect((history.json["jobs"] as? [[String: Any]])?.first?["connection"] as? String == "prod-vcenter", "jobs outlive the connection")
            let ofDeleted = try await client.call(.get, "/v1/jobs?connection=prod-vcenter")
            #expect(ofDeleted.status == .ok && (ofDeleted.json["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [jobId], "\(ofDeleted.text)")
            let noneRunning = try await client.call(.get, "/v1/jobs?connection=prod-vcenter&state=running")
            #expect(noneRunning.status == .ok && (noneRunning.json["jobs"] as? [Any])?.isEmpty == true, "\(noneRunning.text)")
            let unknown = try await client.call(.get, "/v1/jobs?connection=never-was")
            #expect(unknown.status == .notFound && unknown.text.contains("never-was"), "\(unknown.text)")
            let actions = (try await client.call(.get, "/v1/audit?limit=20").json["events"] as? [[String: Any]] ?? [])
                .compactMap { $0["action"] as? String }
            #expect(Array(actions.prefix(6)) == [
                "connection.delete", "assignment.remove", "connection.delete", "job.finish", "job.finish", "connection.delete",
            ], "newest first: \(actions)")
        }
    }

    @Test(arguments: TestBackend.all)
    func assignmentsFollowTheKind(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere).status == .created)
            #expect(try await client.call(
                .post, "/v1/connections", json: ["kind": "api-key", "name": "agents", "fields": ["tokenType": "connector"]]
            ).status == .created)
            let refused = try await client.call(.post, "/v1/assignments", json: ["connection": "agents", "kind": "image", "ref": "x"])
            #expect(refused.status == .badRequest)
            let reason = (((refused.json["error"] as? [String: Any])?["details"] as? [String: Any])?["fields"] as? [String: String])?["kind"]
            #expect(reason?.contains("cannot serve image") == true, "\(refused.text)")

            let body = ["connection": "prod-vcenter", "kind": "scripted-action", "ref": "install-agent"]
            #expect(try await client.call(.post, "/v1/assignments", json: body).status == .created)
            #expect(try await client.call(.post, "/v1/assignments", json: body).status == .conflict)
            #expect(try await client.call(.post, "/v1/assignments", json: ["connection": "nope", "kind": "image", "ref": "x"]).status == .notFound)
            #expect(try await client.call(.post, "/v1/assignments", json: ["connection": "prod-vcenter", "kind": "image", "ref": ""]).status == .badRequest)
            let listed = try await client.call(.get, "/v1/assignments?connection=prod-vcenter")
            #expect((listed.json["assignments"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["scripted-action"])
            #expect(try await client.call(.post, "/v1/jobs", json: ["connection": "prod-vcenter", "kind": "discovery"]).status == .badRequest)
        }
    }

    /// A rotation ends the discovery and preflight jobs reading with the old credential, in its own transaction;
    /// an external engine's migration job is its own to finish.
    @Test(arguments: TestBackend.all)
    func rotationInvalidatesHitchJobs(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Self.vsphere).status == .created)
            let record = try #require(try await runtime.store.read(logger: TestBackend.logger) { try await $0.connections.find(name: "prod-vcenter") })
            let discovery = JobRecord(
                id: "discovery-1", connectionId: record.id, connectionName: record.name, kind: .discovery, state: .running,
                ref: nil, credentialVersion: 1, createdAt: Date(), createdBy: "test")
            try await runtime.store.write(logger: TestBackend.logger) { try await $0.jobs.insert(discovery) }
            try await runtime.recordFullPreflight(of: "prod-vcenter")
            let migration = try await client.call(.post, "/v1/jobs", json: ["connection": "prod-vcenter", "kind": "migration"])
            let migrationId = try #require(migration.json["id"] as? String)

            #expect(try await client.call(.patch, "/v1/connections/prod-vcenter", json: ["description": "no rotation"]).status == .ok)
            #expect(try await client.call(.get, "/v1/jobs/discovery-1").json["state"] as? String == "running")

            #expect(try await client.call(.patch, "/v1/connections/prod-vcenter", json: ["secrets": ["password": "canary-vc-pw-2"]]).status == .ok)
            let ended = try await client.call(.get, "/v1/jobs/discovery-1")
            #expect(ended.json["state"] as? String == "invalidated")
            #expect(ended.json["detail"] as? String == "credential rotated: re-run discovery")
            #expect(try await client.call(.get, "/v1/jobs/\(migrationId)").json["state"] as? String == "running")
            let events = try await client.call(.get, "/v1/audit?action=job.invalidate")
            #expect((events.json["events"] as? [[String: Any]])?.count == 1)
        }
    }
}
