import Foundation
@testable import HitchServices
import Testing

/// The capture of issue 14 as a user runs it with the built `hitch`: an operator repoints a working vCenter
/// connection at their own TLS endpoint (pinned by its thumbprint) and tests it. Every attempt exits 2 naming the
/// password, the connection still works against the real vCenter, and the attacker's endpoint, the outputs, the
/// server's trace log and the data files never hold the password.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct DestinationCaptureEndToEndTests {
    @Test(arguments: TestBackend.all)
    func anOperatorCannotRepointAndCapture(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let capture = CaptureServer()
        try await LocalTLSServer.run(capture.router) { attacker in
            try await backend.withConfiguration { configuration in
                let started = try await SignedInServer(configuration)
                let server = started.server
                defer { server.stop() }
                let cli = CLIRecorder()
                let admin = started.environment
                try await cli.run(
                    ["connection", "create", "vsphere", "victim", "--vcenter", peer.hostPort, "--username", peer.username,
                     "--password-stdin", "--datacenter", "DC0", "--thumbprint", peer.thumbprint],
                    as: admin, stdin: peer.password, expect: 0)
                let mallory = try await started.environment(ofService: "mallory", role: "operator")

                let repoint = ["--vcenter", "127.0.0.1:\(attacker.port)", "--thumbprint", attacker.thumbprint]
                let saved = try await cli.run(["connection", "update", "victim"] + repoint, as: mallory, expect: 2).output
                #expect(saved.contains("re-enter the password"), "\(saved)")
                let tested = try await cli.run(["connection", "update", "victim", "--test"] + repoint, as: mallory, expect: 2).output
                #expect(tested.contains("re-enter the password"), "\(tested)")
                let insecure = try await cli.run(["connection", "update", "victim", "--insecure"], as: mallory, expect: 2).output
                #expect(insecure.contains("insecure"), "\(insecure)")
                try await cli.run(["connection", "test", "victim"], as: mallory, expect: 0)
                let types = try await cli.run(["connection", "types"], as: mallory, expect: 0).output
                #expect(types.contains("vcenter [required, destination: changing it needs the secret re-entered]"), "\(types)")
                let audit = try await cli.run(["audit", "list", "--connection", "victim", "-o", "json"], as: admin, expect: 0).output
                #expect(audit.components(separatedBy: "\"denied\"").count - 1 == 3, "\(audit)")

                #expect(capture.requests.isEmpty, "the attacker's endpoint was reached: \(capture.requests)")
                let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
                server.stop()
                let everything = cli.outputs.map { Data($0.utf8) } + [Data(server.log.utf8)] + files.map(\.1)
                for bytes in everything { #expect(bytes.range(of: Data(peer.password.utf8)) == nil) }
            }
        }
    }
}
