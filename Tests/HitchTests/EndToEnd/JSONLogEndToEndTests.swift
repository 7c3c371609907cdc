import Foundation
@testable import HitchServices
import Testing

/// `hitch serve --log-format json` at trace level: every line is a JSON object with time, level and message; each
/// request has one access line (request id, actor, operation, status, duration); no secret is in any line.
@Suite struct JSONLogEndToEndTests {
    @Test(arguments: TestBackend.all)
    func everyLineParsesAndNoSecretIsLogged(backend: TestBackend) async throws {
        let canary = "CANARYjsonLogPw-7d1e"
        try await backend.withConfiguration { configuration in
            var arguments = ["--data-dir", configuration.dataDirectory, "--log-level", "trace", "--log-format", "json"]
            if let url = configuration.databaseURL { arguments += ["--database-url", url] }
            let server = try await ServerProcess(
                arguments: arguments, environment: CanaryEndToEndTests.baseEnvironment, logPath: configuration.dataDirectory + ".log")
            defer { server.stop() }
            var environment = CanaryEndToEndTests.baseEnvironment
            environment["HITCH_ADDR"] = server.address
            environment["HITCH_TOKEN"] = try String(contentsOfFile: configuration.dataDirectory + "/bootstrap-token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let created = try await HitchBinary.run(
                ["connection", "create", "vsphere", "vc-logged", "--vcenter", "vc01.corp.example", "--username", "svc", "--password-stdin"],
                stdin: canary, environment: environment)
            #expect(created.status == 0, "\(created.output)")
            #expect(try await HitchBinary.run(["connection", "show", "vc-logged"], environment: environment).status == 0)
            var stranger = environment
            stranger["HITCH_TOKEN"] = "hitch_not_a_token_0000000000000000000000000000"
            #expect(try await HitchBinary.run(["connection", "list"], environment: stranger).status != 0)
            server.stop()

            var access: [[String: String]] = []
            for line in server.log.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                #expect(object["time"] is String && object["level"] is String && object["message"] is String, "\(line)")
                if object["message"] as? String == "request", let metadata = object["metadata"] as? [String: String] {
                    #expect(object["level"] as? String == "info")
                    access.append(metadata)
                }
            }
            let created201 = access.first { $0["operation"] == "createConnection" }
            #expect(created201?["status"] == "201" && created201?["actor"] == "admin", "\(access)")
            #expect(created201?["hb.request.id"]?.isEmpty == false && created201?["duration_ms"] != nil)
            #expect(access.contains { $0["operation"] == "getConnection" && $0["status"] == "200" })
            #expect(access.contains { $0["status"] == "401" && $0["actor"] == "-" }, "\(access)")
            #expect(!server.log.contains(canary))
        }
    }
}
