import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServer
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// Platform sessions against VMware's simulator: pooled per connection and credential version and reused; a
/// rotation logs the old version's session out on the simulator (its session key no longer works there) and the next
/// use opens a session of the new version. Both backends.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct PlatformSessionTests {
    /// Whether the simulator still honours a session cookie, asked on a connection of its own.
    static func isActive(_ cookie: SecretValue, at peer: VCSimPeer) async throws -> Bool {
        try await isActive(cookie, url: peer.url, thumbprint: peer.thumbprint)
    }

    /// The check is two calls (a view, then a read through it). When another party logs the session out between
    /// them, the view goes with the session and the read finds no such object; the check is then asked again, and the
    /// next one sees the session's end.
    static func isActive(_ cookie: SecretValue, url: URL, thumbprint: String) async throws -> Bool {
        do {
            return try await isActiveOnce(cookie, url: url, thumbprint: thumbprint)
        } catch let fault as VSphereFault where fault.type == "ManagedObjectNotFound" {
            return try await isActiveOnce(cookie, url: url, thumbprint: thumbprint)
        }
    }

    private static func isActiveOnce(_ cookie: SecretValue, url: URL, thumbprint: String) async throws -> Bool {
        var stages: [StageResult] = []
        let connection = try await EndpointProbe(
            host: url.host!, port: url.port!, policy: .pinned(thumbprint: thumbprint), timeout: .seconds(10)
        ).open(into: &stages)
        let session = VSphereSession(connection: connection, cookie: cookie.exposedValue)
        defer { session.shutdown() }
        let content = try await session.retrieveServiceContent()
        do {
            _ = try await session.names(of: "Datacenter", under: content.rootFolder, content)
            return true
        } catch let fault as VSphereFault where fault.type == "NotAuthenticated" {
            return false
        }
    }

    @Test(arguments: TestBackend.all)
    func rotationClosesTheOldSession(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try await withAPI(backend) { client, runtime in
            let created = try await client.call(.post, "/v1/connections", json: [
                "kind": "vsphere", "name": "lab",
                "fields": ["vcenter": peer.hostPort, "username": peer.username, "thumbprint": peer.thumbprint],
                "secrets": ["password": peer.password],
            ])
            #expect(created.status == .created)
            func current() async throws -> (ConnectionRecord, [String: SecretValue]) {
                let record = try await runtime.connections.get(name: "lab", logger: TestBackend.logger)
                return (record, try await runtime.connections.openSecrets(of: record, logger: TestBackend.logger))
            }
            let (first, firstSecrets) = try await current()
            let session = try await runtime.sessions.vsphereSession(for: first, secrets: firstSecrets)
            #expect(try await runtime.sessions.vsphereSession(for: first, secrets: firstSecrets) === session, "reused")
            let oldCookie = try #require(session.sessionCookie)
            #expect(try await Self.isActive(oldCookie, at: peer))

            // The same password given again is still a rotation: a new credential version.
            let rotated = try await client.call(.patch, "/v1/connections/lab", json: ["secrets": ["password": peer.password]])
            #expect((rotated.json["connection"] as? [String: Any])?["credentialVersion"] as? Int == 2)
            #expect(try await Self.isActive(oldCookie, at: peer) == false, "logged out on the simulator")

            let (second, secondSecrets) = try await current()
            let renewed = try await runtime.sessions.vsphereSession(for: second, secrets: secondSecrets)
            #expect(renewed !== session)
            let newCookie = try #require(renewed.sessionCookie)
            let newIsActive = try await Self.isActive(newCookie, at: peer)
            #expect(newCookie != oldCookie && newIsActive)

            var wrong = secondSecrets
            wrong["password"] = SecretValue("not-the-vcsim-password")
            var stale = second
            stale.credentialVersion = 3
            await #expect(throws: PlatformSessionError.self) { try await runtime.sessions.vsphereSession(for: stale, secrets: wrong) }
            await runtime.sessions.closeAll()
            #expect(try await Self.isActive(newCookie, at: peer) == false)
        }
    }

    /// Two servers on one PostgreSQL: a rotation through one closes the session the other holds, told by NOTIFY
    /// when the rotation commits. On SQLite, the only server, there is nothing to follow.
    @Test(arguments: TestBackend.all)
    func rotationReachesEveryServer(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try await backend.withConfiguration(environment: TestBackend.environment) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { first in
                let one = try await HitchRuntime.start(backend: first, configuration: configuration, logger: TestBackend.logger)
                guard backend == .postgres else {
                    return await one.followRotations(logger: TestBackend.logger)
                }
                try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { second in
                    let two = try await HitchRuntime.start(backend: second, configuration: configuration, logger: TestBackend.logger)
                    let follower = Task { await two.followRotations(logger: TestBackend.logger) }
                    defer { follower.cancel() }
                    try await Self.waitForListener(on: two)
                    let app = try buildApplication(runtime: one, configuration: configuration, logger: TestBackend.logger)
                    try await app.test(.router) { client in
                        #expect(try await client.call(.post, "/v1/connections", json: [
                            "kind": "vsphere", "name": "lab",
                            "fields": ["vcenter": peer.hostPort, "username": peer.username, "thumbprint": peer.thumbprint],
                            "secrets": ["password": peer.password],
                        ]).status == .created)
                        let record = try await two.connections.get(name: "lab", logger: TestBackend.logger)
                        let secrets = try await two.connections.openSecrets(of: record, logger: TestBackend.logger)
                        let held = try #require(try await two.sessions.vsphereSession(for: record, secrets: secrets).sessionCookie)
                        #expect(try await Self.isActive(held, at: peer))

                        #expect(try await client.call(.patch, "/v1/connections/lab", json: ["secrets": ["password": peer.password]]).status == .ok)
                        var closed = false
                        for _ in 0..<300 where !closed {
                            closed = try await !Self.isActive(held, at: peer)
                            if !closed { try await Task.sleep(for: .milliseconds(100)) }
                        }
                        #expect(closed, "the other server logged its session out")
                    }
                    await two.sessions.closeAll()
                }
            }
        }
    }

    /// Until some connection of the test database listens on the rotation channel.
    static func waitForListener(on runtime: HitchRuntime) async throws {
        for _ in 0..<600 {
            let listening = try await runtime.store.backend.read(logger: TestBackend.logger) { database in
                try await database.raw("""
                    SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            if listening > 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no server listened for rotations")
    }
}
