import Foundation
import HitchDomain
@testable import HitchServices
import Testing

/// The built `hitch` against a running server and a simulator with a read-only user granted on the datacenter, as
/// a user registers with a read-only account first: discovery with --wait, inventory browsing, preflight (exit 3
/// for migration, 0 for discovery), the migration job refused; and the password in no output, log or data file.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct DiscoveryEndToEndTests {
    static let readOnly = VCSimInstance.User(
        username: "ro@vsphere.local", password: "CANARYvcsimReadOnly-9c2", role: "ReadOnly", entity: "datacenter")

    @Test(arguments: TestBackend.all)
    func readOnlyAccountDiscoversAndIsPreflighted(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [Self.readOnly], arguments: ["-vms", "3"])
        defer { simulator.stop() }
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            let started = try await SignedInServer(configuration)
            let server = started.server
            defer { server.stop() }
            let signedIn = started.environment
            var outputs: [String] = []
            func hitch(_ arguments: [String], stdin: String? = nil, expect status: Int32) async throws -> HitchBinary.Result {
                let result = try await HitchBinary.run(arguments, stdin: stdin, environment: signedIn)
                #expect(result.status == status, "hitch \(arguments.joined(separator: " ")): \(result.output)")
                outputs.append(result.output)
                return result
            }

            _ = try await hitch(
                ["connection", "create", "vsphere", "lab", "--vcenter", simulator.hostPort, "--username", Self.readOnly.username,
                 "--password-stdin", "--datacenter", "DC0", "--thumbprint", simulator.thumbprint, "--test"],
                stdin: Self.readOnly.password, expect: 0)

            let discovered = try await hitch(["discovery", "run", "lab", "--wait"], expect: 0)
            #expect(discovered.stdout.contains("discovery of lab succeeded"), "\(discovered.output)")
            for (type, count) in simulator.counts {
                #expect(discovered.stdout.range(of: "\(type) +\(count)\n", options: .regularExpression) != nil, "\(type) \(count) in \(discovered.stdout)")
            }

            let vms = try await hitch(["inventory", "show", "lab", "--type", "vm", "--filter", "h0_vm"], expect: 0)
            #expect(vms.stdout.contains("DC0_H0_VM2") && vms.stdout.contains("/DC0/vm/DC0_H0_VM0") && !vms.stdout.contains("RP0"), "\(vms.stdout)")
            let json = try await hitch(["inventory", "show", "lab", "--type", "host", "-o", "json"], expect: 0)
            let page = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect((page?["objects"] as? [Any])?.count == simulator.counts["host"])
            _ = try await hitch(["inventory", "show", "lab", "--type", "vms"], expect: 2)

            let migration = try await hitch(["preflight", "lab"], expect: 3)
            #expect(migration.stdout.contains("capability: discovery") && migration.stdout.contains("govc role.create HitchMigration"))
            #expect(migration.stdout.contains("VirtualMachine.Interact.PowerOff") && migration.stdout.contains("missing"))
            let discovery = try await hitch(["preflight", "lab", "--scope", "discovery", "-o", "json"], expect: 0)
            let report = try JSONSerialization.jsonObject(with: Data(discovery.stdout.utf8)) as? [String: Any]
            #expect(report?["capability"] as? String == "discovery" && report?["missing"] as? [String] == [])

            let shown = try await hitch(["connection", "show", "lab"], expect: 0)
            #expect(shown.stdout.contains("capability discovery") && shown.stdout.contains("\(simulator.counts["vm"] ?? 0) VMs read"), "\(shown.stdout)")

            let refused = try await hitch(["job", "start", "--connection", "lab", "--kind", "migration", "--ref", "plan-7"], expect: 4)
            #expect(refused.stderr.contains("may only be used for discovery"), "\(refused.output)")
            let jobs = try await hitch(["job", "list", "--connection", "lab"], expect: 0)
            #expect(jobs.stdout.contains("discovery") && jobs.stdout.contains("preflight"))

            let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
            server.stop()
            let everything = outputs.map { Data($0.utf8) } + [Data(server.log.utf8)] + files.map(\.1)
            for bytes in everything {
                #expect(bytes.range(of: Data(Self.readOnly.password.utf8)) == nil)
            }
        }
    }
}
