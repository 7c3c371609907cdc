import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `hitch serve`'s own settings, given as a user gives them: flags, their environment variables, and a clear
/// refusal of a value it cannot read. The dashboard's cookies carry `Secure` only when asked to.
@Suite struct ServeOptionsEndToEndTests {
    @Test func secureCookiesFromTheFlagOrTheEnvironment() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let cases: [(arguments: [String], environment: [String: String], secure: Bool)] = [
            ([], [:], false),
            (["--secure-cookies"], [:], true),
            ([], ["HITCH_DASHBOARD_SECURE_COOKIES": "1"], true),
            ([], ["HITCH_DASHBOARD_SECURE_COOKIES": "0"], false),
        ]
        for (arguments, environment, secure) in cases {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let server = try ServerProcess(
                arguments: ["--data-dir", directory.path + "/data"] + arguments,
                environment: CanaryEndToEndTests.baseEnvironment.merging(environment) { $1 }, logPath: directory.path + "/log")
            defer { server.stop() }
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server.address + "/ui/login"), timeout: .seconds(30))
            let cookie = try #require(response.headers["Set-Cookie"].first { $0.hasPrefix("hitch_signin=") })
            #expect(cookie.contains("; Secure") == secure, "\(arguments) \(environment): \(cookie)")
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        }
    }

    @Test func anUnreadableSettingIsRefusedBeforeAnythingStarts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var environment = CanaryEndToEndTests.baseEnvironment
        environment["HITCH_DASHBOARD_SECURE_COOKIES"] = "yes please"
        let refused = try HitchBinary.run(["serve", "--data-dir", directory.path + "/data", "--bind", "127.0.0.1:0"], environment: environment)
        #expect(refused.status != 0 && refused.stderr.contains("HITCH_DASHBOARD_SECURE_COOKIES must be 1, 0, true or false, not 'yes please'"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"), "nothing was created")
    }
}
