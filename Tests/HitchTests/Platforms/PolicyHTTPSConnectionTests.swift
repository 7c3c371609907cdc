import Foundation
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing

/// The one keep-alive connection a platform session holds: requests from concurrent callers go out one after
/// another, each gets its own answer, and one that can no longer be written fails at once.
struct PolicyHTTPSConnectionTests {
    /// Generous: the full suite loads a 2-core machine, and this test is about order, not speed.
    static let timeout = TimeAmount.seconds(30)

    /// A rotation logs a session out while a discovery's page is still being answered: the logout waits behind the
    /// page. Completing the page's answer writes the next request at once; that request must still get its answer
    /// (it used to be dropped, and the logout timed out with the old session still open on vCenter).
    @Test func requestsQueuedBehindOneInFlightGetTheirOwnAnswers() async throws {
        let router = Router()
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .milliseconds(300))
            return "slow"
        }
        router.get("/echo/:word") { _, context in context.parameters.get("word") ?? "" }
        try await LocalTLSServer.run(router) { server in
            var stages: [StageResult] = []
            let connection = try await EndpointProbe(
                host: "127.0.0.1", port: server.port, policy: .pinned(thumbprint: server.thumbprint), timeout: Self.timeout
            ).open(into: &stages)
            defer { connection.close() }
            async let slow = connection.send(.GET, path: "/slow", headers: [:], body: nil)
            // The slow answer takes 300 ms: the next two are queued while it is in flight.
            try await Task.sleep(for: .milliseconds(100))
            async let first = connection.send(.GET, path: "/echo/first", headers: [:], body: nil)
            async let second = connection.send(.GET, path: "/echo/second", headers: [:], body: nil)
            #expect(String(buffer: try await slow.body) == "slow")
            #expect(String(buffer: try await first.body) == "first")
            #expect(String(buffer: try await second.body) == "second")
            let after = try await connection.send(.GET, path: "/echo/after", headers: [:], body: nil)
            #expect(after.status == .ok && String(buffer: after.body) == "after", "the connection stays usable")

            // A request whose turn comes after the connection closed (a logout shuts it while a discovery still
            // reads) fails at once rather than waiting out its timeout.
            connection.close()
            do {
                _ = try await connection.send(.GET, path: "/echo/closed", headers: [:], body: nil)
                Issue.record("a closed connection answered")
            } catch let error as ChannelError {
                #expect(error != .connectTimeout(Self.timeout), "failed at once: \(error)")
            }
        }
    }
}
