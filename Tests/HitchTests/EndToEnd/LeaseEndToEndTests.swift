import Foundation
import HitchDomain
@testable import HitchServices
import Testing

/// Leases as automation uses them, with the built `hitch` against a running server and VMware's simulator: a
/// consumer's `lease create -o env`, `hitch exec` that runs a command with the session in its environment, ends the
/// lease after it and exits with its status; and neither the password nor a leased cookie in the server's trace
/// log or its data files.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct LeaseEndToEndTests {
    @Test(arguments: TestBackend.all)
    func leaseAndExec(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            let started = try await SignedInServer(configuration)
            let server = started.server
            defer { server.stop() }
            let cli = CLIRecorder()
            let admin = started.environment
            try await cli.run(
                ["connection", "create", "vsphere", "lab", "--vcenter", peer.hostPort, "--username", peer.username,
                 "--password-stdin", "--thumbprint", peer.thumbprint, "--tag", "team-a"],
                as: admin, stdin: peer.password, expect: 0)
            let engine = try await started.environment(ofService: "engine", role: "consumer", options: ["--allow-tag", "team-a"])

            let env = try await cli.run(["lease", "create", "lab", "--ttl", "10m", "-o", "env"], as: engine, expect: 0).stdout
            #expect(env.contains("export HITCH_VSPHERE_SESSION_COOKIE='vmware_soap_session="), "\(env)")
            let cookie = try #require(env.split(separator: "\n").first { $0.contains("SESSION_COOKIE") }?.split(separator: "'").dropFirst().first.map(String.init))
            #expect(try await PlatformSessionTests.isActive(.init(cookie), at: peer))

            let ran = try await HitchBinary.run(
                ["exec", "lab", "--", "sh", "-c", "test -n \"$HITCH_VSPHERE_SESSION_COOKIE\" && test -n \"$HITCH_LEASE_ID\" && exit 7"],
                environment: engine)
            #expect(ran.status == 7, "the command's own status: \(ran.output)")
            let list = try await cli.run(["lease", "list", "--connection", "lab", "-o", "json"], as: engine, expect: 0).stdout
            let leases = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
            #expect(leases.count == 2 && leases.first?["endReason"] as? String == "revoked", "exec ended its lease: \(list)")

            let leaseId = try #require(leases.last?["id"] as? String)
            try await cli.run(["lease", "revoke", leaseId], as: engine, expect: 0)
            #expect(try await PlatformSessionTests.isActive(.init(cookie), at: peer) == false, "revoked: logged out")
            try await cli.run(["lease", "create", "lab"], as: admin, expect: 0)

            let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
            server.stop()
            let value = cookie.split(separator: "=").last.map(String.init) ?? cookie
            for bytes in [Data(server.log.utf8)] + files.map(\.1) {
                #expect(bytes.range(of: Data(value.utf8)) == nil && bytes.range(of: Data(peer.password.utf8)) == nil)
            }
        }
    }
}
