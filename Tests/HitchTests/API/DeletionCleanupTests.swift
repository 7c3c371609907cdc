import Foundation
import HTTPTypes
import HitchDomain
import HitchPlatforms
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

/// What a delete leaves behind: no vSphere session still logged in on vCenter, and no `via` reference made at the
/// same moment that would dangle.
@Suite struct DeletionCleanupTests {
    @Test(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"), arguments: TestBackend.all)
    func deletingLogsOutTheHeldSession(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [DiscoveryAPITests.user], arguments: ["-vms", "2"])
        defer { simulator.stop() }
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: DiscoveryAPITests.connection("lab", simulator, DiscoveryAPITests.user)).status == .created)
            let id = try #require(try await client.call(.post, "/v1/connections/lab/discovery").json["id"] as? String)
            let done = try await DiscoveryAPITests.job(id, client)
            #expect(done["state"] as? String == "succeeded", "\(done)")
            let record = try await runtime.connections.get(name: "lab", logger: TestBackend.logger)
            let held = await runtime.sessions.held(connectionId: record.id, credentialVersion: 1)
            let cookie = try #require(held?.sessionCookie)
            #expect(try await PlatformSessionTests.isActive(cookie, url: simulator.url, thumbprint: simulator.thumbprint) == true)
            #expect(try await client.call(.delete, "/v1/connections/lab").status == .noContent)
            #expect(await runtime.sessions.held(connectionId: record.id, credentialVersion: 1) == nil)
            #expect(try await PlatformSessionTests.isActive(cookie, url: simulator.url, thumbprint: simulator.thumbprint) == false, "logged out on vCenter")
        }
    }

    /// A connection that starts to go through a key while that key is being deleted: the reference holds its
    /// target until it commits, so the delete then sees it and is refused; nothing dangles.
    @Test(arguments: TestBackend.all)
    func aNewViaAndADeleteNeverCross(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: DestinationBindingTests.accessKey(
                "key", keyId: "AKIAVIALOCK000000001", secret: DestinationBindingTests.victimKey)).status == .created)
            let now = Date()
            let dependent = ConnectionRecord(
                id: "dependent", name: "role", kind: .awsAssumeRole, description: "", tags: [],
                fields: ["roleArn": .string("arn:aws:iam::210987654321:role/hitch"), "via": .string("key")],
                credentialVersion: 1, revision: 1, status: .untested, createdAt: now, createdBy: "admin", updatedAt: now,
                updatedBy: "admin", secretFields: [])
            let (checked, checkedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            async let referenced: Void = runtime.store.write(logger: TestBackend.logger) { session in
                try await ReferenceCheck.requireTargets(of: dependent, in: session)
                try await session.connections.insert(
                    dependent, secrets: [],
                    version: CredentialVersionRecord(version: 1, createdAt: now, actorId: "a", actorName: "admin", changedFields: []))
                checkedSignal.yield()
                var waiting = release.makeAsyncIterator()
                _ = await waiting.next()
            }
            var iterator = checked.makeAsyncIterator()
            _ = await iterator.next()
            async let deleted = client.call(.delete, "/v1/connections/key")
            try await Task.sleep(for: .milliseconds(300))
            releaseSignal.yield()
            try await referenced
            let answer = try await deleted
            #expect(answer.status == .conflict && answer.text.contains("role"), "\(answer.text)")
            #expect(try await client.call(.get, "/v1/connections/key").status == .ok)
        }
    }
}
