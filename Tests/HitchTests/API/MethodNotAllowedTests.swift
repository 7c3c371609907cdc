import Foundation
import HTTPTypes
import HitchDomain
import HummingbirdTesting
import Testing

/// A method a path does not take is 405 with `Allow`, on the API, the probes and the dashboard; a path no route has
/// stays 404, and so does a handler's own 404.
@Suite struct MethodNotAllowedTests {
    @Test(arguments: TestBackend.all)
    func methodsAPathDoesNotTake(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let put = try await client.call(.put, "/v1/connections", json: [String: Any]())
            #expect(put.status == .methodNotAllowed && put.json["error"].map { ($0 as? [String: Any])?["code"] as? String } == "method-not-allowed")
            #expect(put.headers[.allow] == "GET, HEAD, POST", "\(put.headers)")
            let trace = try await client.call(.init("TRACE")!, "/healthz", token: nil)
            #expect(trace.status == .methodNotAllowed && trace.headers[.allow] == "GET, HEAD")
            let named = try await client.call(.post, "/v1/connections/some-name", json: [String: Any]())
            #expect(named.status == .methodNotAllowed && named.headers[.allow]?.contains("PATCH") == true, "\(named.headers)")
            let literal = try await client.call(.init("OPTIONS")!, "/v1/connections/test")
            #expect(literal.status == .methodNotAllowed && literal.headers[.allow] == "POST", "not the {name} route's methods: \(literal.headers)")
            let ui = try await client.call(.delete, "/ui/connections", token: nil)
            #expect(ui.status == .methodNotAllowed && ui.headers[.allow]?.contains("GET") == true)

            #expect(try await client.call(.get, "/v1/nothing-here").status == .notFound)
            let missing = try await client.call(.get, "/v1/connections/no-such-connection")
            #expect(missing.status == .notFound && missing.text.contains("no-such-connection"), "a handler's 404 stays")
        }
    }
}
