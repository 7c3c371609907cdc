import Foundation
import HTTPTypes
import HitchDomain
import Testing

/// A consumer limited to team-a reads team-a's connections through every route, and nothing of team-b's: not its
/// versions, references, test history, inventory, preflight, jobs or assignments, and its api-key is invalid to that consumer.
@Suite struct ReadScopeAPITests {
    @Test(arguments: TestBackend.all)
    func aTagLimitedConsumerReadsItsTagsOnly(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            var keys: [String: String] = [:]
            for (name, tag) in [("agents-a", "team-a"), ("agents-b", "team-b")] {
                let created = try await client.call(.post, "/v1/connections", json: [
                    "kind": "api-key", "name": name, "tags": [tag], "fields": ["tokenType": "connector"],
                ])
                keys[name] = try #require((created.json["issuedSecrets"] as? [String: String])?["key"], "\(created.text)")
                #expect(try await client.call(.post, "/v1/jobs", json: ["connection": name, "kind": "migration", "ref": "wave-\(tag)"]).status == .created)
            }
            for (name, tag, keyId) in [("aws-a", "team-a", "AKIATEAMA00000000001"), ("aws-b", "team-b", "AKIATEAMB00000000001")] {
                var values = DestinationBindingTests.accessKey(name, keyId: keyId, secret: DestinationBindingTests.victimKey)
                values["tags"] = [tag]
                #expect(try await client.call(.post, "/v1/connections", json: values).status == .created)
                #expect(try await client.call(.post, "/v1/assignments", json: ["connection": name, "kind": "image", "ref": "golden-\(tag)"]).status == .created)
            }
            #expect(try await client.call(.post, "/v1/users", json: ["name": "enroll-a", "role": "consumer", "kind": "service", "allowedTags": ["team-a"]]).status == .created)
            let limited = try #require(try await client.call(.post, "/v1/tokens", json: ["user": "enroll-a", "name": "t"]).json["secret"] as? String)

            for path in ["", "/versions", "/references", "/inventory", "/preflight", "/tests"] {
                let refused = try await client.call(.get, "/v1/connections/agents-b\(path)", token: limited)
                #expect(refused.status == .forbidden, "agents-b\(path): \(refused.status) \(refused.text)")
                let allowed = try await client.call(.get, "/v1/connections/agents-a\(path)", token: limited)
                #expect(allowed.status != .forbidden, "agents-a\(path): \(allowed.status) \(allowed.text)")
            }
            #expect(try await client.call(.get, "/v1/jobs?connection=agents-b", token: limited).status == .forbidden)
            let jobs = try await client.call(.get, "/v1/jobs", token: limited).json["jobs"] as? [[String: Any]] ?? []
            #expect(jobs.compactMap { $0["connection"] as? String } == ["agents-a"], "\(jobs)")
            let allJobs = try await client.call(.get, "/v1/jobs").json["jobs"] as? [[String: Any]] ?? []
            let otherJob = try #require(allJobs.first { $0["connection"] as? String == "agents-b" }?["id"] as? String)
            #expect(try await client.call(.get, "/v1/jobs/\(otherJob)", token: limited).status == .notFound)
            #expect(try await client.call(.get, "/v1/assignments?connection=aws-b", token: limited).status == .forbidden)
            let assignments = try await client.call(.get, "/v1/assignments", token: limited).json["assignments"] as? [[String: Any]] ?? []
            #expect(assignments.compactMap { $0["connection"] as? String } == ["aws-a"], "\(assignments)")

            let own = try await client.call(.post, "/v1/api-keys/verify", json: ["key": keys["agents-a"]!], token: limited)
            #expect(own.json["valid"] as? Bool == true, "\(own.text)")
            let other = try await client.call(.post, "/v1/api-keys/verify", json: ["key": keys["agents-b"]!], token: limited)
            #expect(other.json["valid"] as? Bool == false && !other.text.contains("agents-b"), "another team's key: \(other.text)")
            let unlimited = try await TestIdentities.token(role: "consumer", in: runtime).token
            #expect(try await client.call(.post, "/v1/api-keys/verify", json: ["key": keys["agents-b"]!], token: unlimited).json["valid"] as? Bool == true)
        }
    }
}
