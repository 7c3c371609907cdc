import Foundation
@testable import HitchServices
import Testing

/// The built `hitch` against a running server and VMware's simulator, as a user runs Test Connection: create with
/// `--test`, test one, test all, a rotation whose candidate fails (`update --test`: exit 3, nothing saved), a
/// wrong-case datacenter; and neither password in any output, the trace-level log or any data file.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct TestConnectionEndToEndTests {
    static let wrongPassword = "CANARYwrongVcsimPw-1f3"

    @Test(arguments: TestBackend.all)
    func userSeesEachStage(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            let started = try await SignedInServer(configuration)
            let server = started.server
            defer { server.stop() }
            let signedIn = started.environment
            var outputs: [String] = []
            func hitch(_ arguments: [String], stdin: String? = nil, expect status: Int32) async throws -> String {
                let result = try await HitchBinary.run(arguments, stdin: stdin, environment: signedIn)
                #expect(result.status == status, "hitch \(arguments.joined(separator: " ")): \(result.output)")
                outputs.append(result.output)
                return result.output
            }
            func vsphere(_ name: String, datacenter: String) -> [String] {
                ["connection", "create", "vsphere", name, "--vcenter", peer.hostPort, "--username", peer.username,
                 "--password-stdin", "--datacenter", datacenter, "--cluster", "DC0_C0", "--thumbprint", peer.thumbprint]
            }

            let created = try await hitch(vsphere("lab", datacenter: "DC0") + ["--test"], stdin: peer.password, expect: 0)
            #expect(created.contains("authenticate") && created.contains("found datacenter 'DC0'"), "\(created)")

            let tested = try await hitch(["connection", "test", "lab"], expect: 0)
            for stage in ["resolve", "connect", "tls", "authenticate", "authorize", "objects"] {
                #expect(tested.contains(stage), "\(stage) in \(tested)")
            }
            let json = try await hitch(["connection", "test", "lab", "-o", "json"], expect: 0)
            let result = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            #expect(result?["passed"] as? Bool == true && (result?["stages"] as? [Any])?.count == 6)

            let refused = try await hitch(["connection", "update", "lab", "--password-stdin", "--test"], stdin: Self.wrongPassword, expect: 3)
            #expect(refused.contains("auth-failed") && refused.contains("nothing was saved"), "\(refused)")
            _ = try await hitch(["connection", "test", "lab"], expect: 0)

            _ = try await hitch(vsphere("lab-case", datacenter: "dc0"), stdin: peer.password, expect: 0)
            let wrongCase = try await hitch(["connection", "test", "lab-case"], expect: 3)
            #expect(wrongCase.contains("datacenter 'dc0' not found; did you mean 'DC0'?"), "\(wrongCase)")

            let all = try await hitch(["connection", "test", "--all", "--concurrency", "4", "--timeout", "30"], expect: 3)
            #expect(all.contains("lab-case") && all.contains("not-found") && all.contains("1 of 2 connections failed"), "\(all)")
            let listed = try await hitch(["connection", "list"], expect: 0)
            #expect(listed.contains("not-found"), "the last result is shown: \(listed)")

            let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
            server.stop()
            let everything = outputs.map { Data($0.utf8) } + [Data(server.log.utf8)] + files.map(\.1)
            for bytes in everything {
                #expect(bytes.range(of: Data(peer.password.utf8)) == nil && bytes.range(of: Data(Self.wrongPassword.utf8)) == nil)
            }
        }
    }
}
