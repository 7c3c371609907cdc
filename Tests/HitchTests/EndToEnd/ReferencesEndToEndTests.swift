import Foundation
import Testing

/// The built `hitch` against a running server, as an operator meets the deletion guard: a migration job and an
/// assignment block the delete (exit 4, each listed), `connection show` lists them, and once the job is finished and
/// the assignment removed the delete goes through.
@Suite struct ReferencesEndToEndTests {
    @Test(arguments: TestBackend.all)
    func deleteWaitsForJobsAndAssignments(backend: TestBackend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            let started = try await SignedInServer(configuration)
            let server = started.server
            defer { server.stop() }
            let signedIn = started.environment
            func hitch(_ arguments: [String], stdin: String? = nil, expect status: Int32) async throws -> HitchBinary.Result {
                let result = try await HitchBinary.run(arguments, stdin: stdin, environment: signedIn)
                #expect(result.status == status, "hitch \(arguments.joined(separator: " ")): \(result.output)")
                return result
            }

            _ = try await hitch(
                ["connection", "create", "azure", "azure-im-prod", "--tenant-id", "11111111-2222-3333-4444-555555555555",
                 "--client-id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "--client-secret-stdin", "--subscription-id",
                 "99999999-8888-7777-6666-555555555555"],
                stdin: "e2e-azure-secret", expect: 0)
            let job = try await hitch(["job", "start", "--connection", "azure-im-prod", "--kind", "migration", "--ref", "plan-42"], expect: 0)
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!job.isEmpty)
            let assigned = try await hitch(["assignment", "add", "azure-im-prod", "--kind", "image", "--ref", "win11-golden", "-o", "json"], expect: 0)
            let assignment = try #require(
                (try JSONSerialization.jsonObject(with: Data(assigned.stdout.utf8)) as? [String: Any])?["id"] as? String)
            _ = try await hitch(["assignment", "add", "azure-im-prod", "--kind", "nope", "--ref", "x"], expect: 2)

            let refused = try await hitch(["connection", "delete", "azure-im-prod"], expect: 4)
            #expect(refused.stderr.contains("job \(job) (migration, running, ref plan-42)"), "\(refused.output)")
            #expect(refused.stderr.contains("assignment image 'win11-golden'"), "\(refused.output)")
            let shown = try await hitch(["connection", "show", "azure-im-prod"], expect: 0).stdout
            #expect(shown.contains("used by") && shown.contains("plan-42") && shown.contains("win11-golden"), "\(shown)")
            let running = try await hitch(["job", "list", "--state", "running"], expect: 0).stdout
            #expect(running.contains(job) && running.contains("azure-im-prod"))

            _ = try await hitch(["job", "finish", job, "--state", "succeeded"], expect: 0)
            _ = try await hitch(["job", "finish", job, "--state", "failed"], expect: 4)
            _ = try await hitch(["assignment", "remove", assignment], expect: 0)
            _ = try await hitch(["connection", "delete", "azure-im-prod"], expect: 0)
            #expect(try await hitch(["job", "show", job], expect: 0).stdout.contains("succeeded"), "the job outlives its connection")
        }
    }
}
