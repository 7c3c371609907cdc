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
            let server = try await ServerProcess(
                arguments: ["--data-dir", directory.path + "/data"] + arguments,
                environment: CanaryEndToEndTests.baseEnvironment.merging(environment) { $1 }, logPath: directory.path + "/log")
            defer { server.stop() }
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server.address + "/ui/login"), timeout: .seconds(30))
            let cookie = try #require(response.headers["Set-Cookie"].first { $0.hasPrefix("hitch_signin=") })
            #expect(cookie.contains("; Secure") == secure, "\(arguments) \(environment): \(cookie)")
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        }
    }

    /// A client that never finishes its headers is cut off at HITCH_HTTP_HEADER_SECONDS; a keep-alive connection
    /// that completes its requests takes a second one afterwards.
    @Test func aSlowClientIsCutOff() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await ServerProcess(
            arguments: ["--data-dir", directory.path + "/data"],
            environment: CanaryEndToEndTests.baseEnvironment.merging(["HITCH_HTTP_HEADER_SECONDS": "2"]) { $1 },
            logPath: directory.path + "/log")
        defer { server.stop() }
        let port = try #require(server.address.split(separator: ":").last.map(String.init))
        let script = """
            import socket, sys, time
            port = int(sys.argv[1])
            slow = socket.create_connection(("127.0.0.1", port), timeout=10)
            slow.sendall(b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n")
            start = time.time()
            closed = slow.recv(100) == b""
            print("slow-closed" if closed and time.time() - start < 8 else "slow-open")
            import http.client
            kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            kept.request("GET", "/healthz")
            first = kept.getresponse()
            first.read()
            time.sleep(1)
            kept.request("GET", "/healthz")
            second = kept.getresponse()
            print("kept-ok" if first.status == 200 and second.status == 200 else "kept-broken %d %d" % (first.status, second.status))
            """
        let ran = try await HitchBinary.runTool("/usr/bin/env", ["python3", "-c", script, port], environment: CanaryEndToEndTests.baseEnvironment)
        #expect(ran.stdout.contains("slow-closed") && ran.stdout.contains("kept-ok"), "\(ran.output)")
    }

    @Test func anUnreadableSettingIsRefusedBeforeAnythingStarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var environment = CanaryEndToEndTests.baseEnvironment
        environment["HITCH_DASHBOARD_SECURE_COOKIES"] = "yes please"
        let refused = try await HitchBinary.run(["serve", "--data-dir", directory.path + "/data", "--bind", "127.0.0.1:0"], environment: environment)
        #expect(refused.status != 0 && refused.stderr.contains("HITCH_DASHBOARD_SECURE_COOKIES must be 1, 0, true or false, not 'yes please'"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"), "nothing was created")

        // A proxy password is never taken from the arguments, where other users of the machine can read it.
        let withPassword = try await HitchBinary.run(
            ["serve", "--data-dir", directory.path + "/data", "--bind", "127.0.0.1:0", "--https-proxy", "http://u:proxy-pw@127.0.0.1:3128"],
            environment: CanaryEndToEndTests.baseEnvironment)
        #expect(withPassword.status != 0 && withPassword.stderr.contains("put the credentials in HTTPS_PROXY"), "\(withPassword.output)")
        #expect(!withPassword.output.contains("proxy-pw") && !FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}
