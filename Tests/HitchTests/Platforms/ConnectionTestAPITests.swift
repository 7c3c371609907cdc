import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Test Connection through the API: the result is saved on the connection and audited; unsaved values are tested
/// without saving anything; no secret appears in any answer.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct ConnectionTestAPITests {
    func candidate(_ peer: VCSimPeer, name: String, password: String) -> [String: Any] {
        [
            "kind": "vsphere", "name": name,
            "fields": ["vcenter": peer.hostPort, "username": peer.username, "datacenter": "DC0", "cluster": "DC0_C0",
                       "thumbprint": peer.thumbprint],
            "secrets": ["password": password],
        ]
    }

    @Test(arguments: TestBackend.all)
    func savedTestKeepsItsResult(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: candidate(peer, name: "lab", password: peer.password)).status == .created)
            let passed = try await client.call(.post, "/v1/connections/lab/test", json: [String: Any]())
            #expect(passed.status == .ok && passed.json["passed"] as? Bool == true, "\(passed.text)")
            #expect((passed.json["stages"] as? [[String: Any]])?.count == 6)
            let saved = try await client.call(.get, "/v1/connections/lab")
            let status = try #require(saved.json["status"] as? [String: Any])
            #expect(status["state"] as? String == "ok" && status["lastOkAt"] != nil && status["lastFailureAt"] == nil)

            let wrong = "not-the-vcsim-password"
            #expect(try await client.call(.patch, "/v1/connections/lab", json: ["secrets": ["password": wrong]]).status == .ok)
            let failed = try await client.call(.post, "/v1/connections/lab/test", json: [String: Any]())
            #expect(failed.json["passed"] as? Bool == false)
            let last = (failed.json["stages"] as? [[String: Any]])?.last
            #expect(last?["stage"] as? String == "authenticate" && last?["code"] as? String == "auth-failed")
            let after = try #require(try await client.call(.get, "/v1/connections/lab").json["status"] as? [String: Any])
            #expect(after["state"] as? String == "auth-failed" && after["stage"] as? String == "authenticate")
            #expect(after["lastOkAt"] as? String == status["lastOkAt"] as? String, "the last passing test is kept")
            #expect(after["lastFailureAt"] != nil)

            let events = try await client.call(.get, "/v1/audit?action=connection.test")
            let outcomes = (events.json["events"] as? [[String: Any]] ?? []).map { "\($0["outcome"]!)/\($0["failureCode"] ?? "-")" }
            #expect(outcomes == ["failed/auth-failed", "ok/-"])
            for text in [passed.text, failed.text, events.text] {
                #expect(!text.contains(peer.password) && !text.contains(wrong))
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func candidateValuesAreTestedWithoutSaving(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try await withAPI(backend) { client, _ in
            let tested = try await client.call(.post, "/v1/connections/test", json: candidate(peer, name: "new-lab", password: peer.password))
            #expect(tested.json["passed"] as? Bool == true, "\(tested.text)")
            #expect(try await client.call(.get, "/v1/connections/new-lab").status == .notFound)
            let invalid = try await client.call(.post, "/v1/connections/test", json: ["kind": "vsphere", "name": "x"])
            #expect(invalid.status == .badRequest)
        }
    }

    /// Many at once: only the selected connections are tested, each once, with its result saved and audited; the
    /// answer is one JSON line per connection.
    @Test(arguments: TestBackend.all)
    func manyAreTestedAndSaved(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        let wrong = "not-the-vcsim-password"
        try await withAPI(backend) { client, _ in
            for (name, password, tag) in [("lab-1", peer.password, "lab"), ("lab-2", peer.password, "lab"),
                                          ("lab-3", wrong, "lab"), ("prod-1", peer.password, "prod")] {
                var values = candidate(peer, name: name, password: password)
                values["tags"] = [tag]
                #expect(try await client.call(.post, "/v1/connections", json: values).status == .created)
            }
            let answer = try await client.call(.post, "/v1/connection-tests", json: ["tags": ["lab"], "concurrency": 2, "timeout": 30])
            #expect(answer.status == .ok && answer.headers[.contentType]?.hasPrefix("application/jsonl") == true)
            let lines = answer.text.split(separator: "\n").map {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let passed = Dictionary(uniqueKeysWithValues: lines.compactMap { line in
                (line?["name"] as? String).map { ($0, (line?["result"] as? [String: Any])?["passed"] as? Bool) }
            })
            #expect(passed == ["lab-1": true, "lab-2": true, "lab-3": false], "\(answer.text)")
            #expect(!answer.text.contains(peer.password) && !answer.text.contains(wrong))

            let states = try await client.call(.get, "/v1/connections").json["connections"] as? [[String: Any]] ?? []
            let saved = Dictionary(uniqueKeysWithValues: states.map {
                ($0["name"] as! String, ($0["status"] as? [String: Any])?["state"] as? String)
            })
            #expect(saved == ["lab-1": "ok", "lab-2": "ok", "lab-3": "auth-failed", "prod-1": "untested"])
            let events = try await client.call(.get, "/v1/audit?action=connection.test").json["events"] as? [[String: Any]] ?? []
            #expect(events.compactMap { ($0["target"] as? [String: Any])?["name"] as? String }.sorted() == ["lab-1", "lab-2", "lab-3"])

            for bad in [["concurrency": 0], ["timeout": 121], ["kind": "nope"]] as [[String: Any]] {
                #expect(try await client.call(.post, "/v1/connection-tests", json: bad).status == .badRequest)
            }
        }
    }
}
