import Foundation
@testable import HitchServices
import Testing

/// The body limit against the built server, with bodies as an attacker sends them: a declared length beyond the
/// limit, and a chunked body with no length at all that is counted as it streams in. Both get 413 on the
/// unauthenticated sign-in.
@Suite struct BodyLimitEndToEndTests {
    @Test func declaredAndStreamedBodiesAreCapped() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await TestBackend.sqlite.withConfiguration { configuration in
            let started = try await SignedInServer(configuration)
            defer { started.server.stop() }
            let body = configuration.dataDirectory + ".body"
            defer { try? FileManager.default.removeItem(atPath: body) }
            _ = FileManager.default.createFile(atPath: body, contents: Data(repeating: UInt8(ascii: "a"), count: 2 << 20))
            let url = started.server.address + "/v1/login"
            for extra in [[], ["-H", "Transfer-Encoding: chunked"]] {
                let curl = try await HitchBinary.runTool(
                    "/usr/bin/curl",
                    ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json"]
                        + extra + ["--data-binary", "@" + body, url])
                #expect(curl.stdout == "413", "\(extra): \(curl.output)")
            }
        }
    }
}
