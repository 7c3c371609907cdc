import Foundation
import HTTPTypes
import HitchDomain
import Testing

/// A display name beside the slug (set, changed, removed, searched, shown in the dashboard), and the tag filter by
/// key (`environment:` finds any environment), on both backends.
@Suite struct DisplayNameAndTagKeyTests {
    @Test(arguments: TestBackend.all)
    func displayNamesAndTagKeys(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            func create(_ name: String, display: String?, tags: [String]) async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String) {
                var body: [String: Any] = ["kind": "api-key", "name": name, "tags": tags, "fields": ["tokenType": "connector"]]
                if let display { body["displayName"] = display }
                return try await client.call(.post, "/v1/connections", json: body)
            }
            let created = try await create("agents-enroll-prod", display: "  Agent enrollment (Frankfurt) ", tags: ["environment:prod", "owner:platform"])
            #expect(created.status == .created)
            #expect((created.json["connection"] as? [String: Any])?["displayName"] as? String == "Agent enrollment (Frankfurt)", "trimmed: \(created.text)")
            #expect(try await create("agents-enroll-dev", display: nil, tags: ["environment:dev"]).status == .created)
            #expect(try await create("agents-enroll-lab", display: nil, tags: ["team-a"]).status == .created)
            let tooLong = try await create("agents-enroll-x", display: String(repeating: "x", count: 101), tags: [])
            #expect(tooLong.status == .badRequest && tooLong.text.contains("displayName"), "\(tooLong.text)")
            let control = try await create("agents-enroll-y", display: "line\nbreak", tags: [])
            #expect(control.status == .badRequest)

            let found = try await client.call(.get, "/v1/connections?q=frankfurt").json["connections"] as? [[String: Any]] ?? []
            #expect(found.compactMap { $0["name"] as? String } == ["agents-enroll-prod"], "search finds the display name")
            let byKey = try await client.call(.get, "/v1/connections?tag=environment:").json["connections"] as? [[String: Any]] ?? []
            #expect(Set(byKey.compactMap { $0["name"] as? String }) == ["agents-enroll-prod", "agents-enroll-dev"])
            let exact = try await client.call(.get, "/v1/connections?tag=environment:prod").json["connections"] as? [[String: Any]] ?? []
            #expect(exact.compactMap { $0["name"] as? String } == ["agents-enroll-prod"])

            let renamed = try await client.call(.patch, "/v1/connections/agents-enroll-dev", json: ["displayName": "Agent enrollment (dev)"])
            #expect((renamed.json["connection"] as? [String: Any])?["displayName"] as? String == "Agent enrollment (dev)")
            let cleared = try await client.call(.patch, "/v1/connections/agents-enroll-dev", json: ["displayName": ""])
            #expect(cleared.status == .ok && (cleared.json["connection"] as? [String: Any])?["displayName"] == nil, "\(cleared.text)")
            let events = try await client.call(.get, "/v1/audit?action=connection.update").text
            #expect(events.contains("displayName"), "the change is audited by field name")

            #expect(try await client.call(.post, "/v1/users", json: ["name": "vera", "role": "viewer", "password": "dashboard-pw-vera-1234"]).status == .created)
            let viewer = try #require(try await client.signIn("vera", "dashboard-pw-vera-1234").session)
            let list = try await client.page("/ui/connections/agents-enroll-prod", cookie: viewer)
            #expect(list.text.contains("Agent enrollment (Frankfurt)") && list.text.contains("id=\"drawer-display-name\""))
        }
    }
}
