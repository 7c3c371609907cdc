import Foundation
import HTTPTypes
import HitchAPI
import HitchDomain
@testable import HitchHTTP
import HummingbirdTesting
import Testing

/// What the document states about request bodies holds on the server: no null, no property an operation does not
/// take, the kinds and job kinds it lists, passwords by the characters it counts.
@Suite struct RequestContractTests {
    @Test func theNullScanFindsNullsOutsideStringsOnly() {
        #expect(JSONNullScan.containsNull(Array(#"{"a": null}"#.utf8)))
        #expect(JSONNullScan.containsNull(Array(#"[1, [true, null]]"#.utf8)))
        #expect(JSONNullScan.containsNull(Array(#"{"a\"": null}"#.utf8)), "an escaped quote does not end the string")
        #expect(!JSONNullScan.containsNull(Array(#"{"null": "nothing \"null\" here", "n": [true, false, 1]}"#.utf8)))
        #expect(!JSONNullScan.containsNull(Array(#"{"a": "\\", "b": "no"}"#.utf8)), "an escaped backslash ends the escape")
    }

    @Test func theDocumentListsEveryKind() {
        #expect(Set(Components.Schemas.ConnectionKindName.allCases.map(\.rawValue)) == Set(ConnectionKind.allCases.map(\.rawValue)))
    }

    @Test(arguments: TestBackend.all)
    func nullsAndUnknownPropertiesAreRefusedAndChangeNothing(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            var create = Sample.vsphere()
            create["description"] = NSNull()
            let withNull = try await client.call(.post, "/v1/connections", json: create)
            #expect(withNull.status == .badRequest && withNull.text.contains("null"), "\(withNull.text)")
            create["description"] = "prod vCenter"
            create["desription"] = "a typo"
            let unknown = try await client.call(.post, "/v1/connections", json: create)
            #expect(unknown.status == .badRequest, "\(unknown.text)")
            #expect(!unknown.text.contains("canary-vsphere-pw"))
            let listed = try await client.call(.get, "/v1/connections")
            #expect((listed.json["connections"] as? [Any])?.isEmpty == true, "nothing was created")

            let tokens = try await client.call(.post, "/v1/tokens", json: ["name": "ci", "user": NSNull()])
            #expect(tokens.status == .badRequest)
            let tests = try await client.call(.post, "/v1/connection-tests", json: ["kind": NSNull()])
            #expect(tests.status == .badRequest)
        }
    }

    @Test(arguments: TestBackend.all)
    func kindsOutsideTheDocumentsEnumsAreRefused(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            var create = Sample.vsphere()
            create["kind"] = ""
            let emptyKind = try await client.call(.post, "/v1/connections", json: create)
            #expect(emptyKind.status == .badRequest && emptyKind.text.contains("kind"), "\(emptyKind.text)")
            #expect(try await client.call(.post, "/v1/connection-tests", json: ["kind": "vcenter"]).status == .badRequest)
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere()).status == .created)
            let discovery = try await client.call(.post, "/v1/jobs", json: ["connection": "prod-vcenter", "kind": "discovery"])
            #expect(discovery.status == .badRequest, "discovery jobs are Hitch's own: \(discovery.text)")
            let jobs = try await client.call(.get, "/v1/jobs")
            #expect((jobs.json["jobs"] as? [Any])?.isEmpty == true)
        }
    }

    /// bcrypt reads 72 bytes: a longer password is hashed with SHA-256 first, so every character counts.
    @Test(arguments: TestBackend.all)
    func longPasswordsCountInFull(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let long = String(repeating: "é", count: 40) + "-the-end-matters"
            let created = try await client.call(.post, "/v1/users", json: ["name": "alice", "role": "operator", "password": long])
            #expect(created.status == .created, "\(created.text)")
            let signedIn = try await client.call(.post, "/v1/login", json: ["username": "alice", "password": long], token: nil)
            #expect(signedIn.status == .ok, "\(signedIn.text)")
            let samePrefix = String(repeating: "é", count: 40) + "-the-end-differs"
            let refused = try await client.call(.post, "/v1/login", json: ["username": "alice", "password": samePrefix], token: nil)
            #expect(refused.status == .unauthorized, "the first 72 bytes alone do not sign in")
            let tooLong = try await client.call(
                .post, "/v1/users", json: ["name": "bob", "role": "viewer", "password": String(repeating: "x", count: 257)])
            #expect(tooLong.status == .badRequest && tooLong.text.contains("256"), "\(tooLong.text)")
            let short = try await client.call(.post, "/v1/users", json: ["name": "carol", "role": "viewer", "password": "ééééééé"])
            #expect(short.status == .badRequest, "7 characters are too few, though they are 14 bytes")
        }
    }
}
