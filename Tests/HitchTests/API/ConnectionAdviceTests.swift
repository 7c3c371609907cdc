import Foundation
import HTTPTypes
import HitchDomain
import Testing

/// The seeds' advice as warnings, never refusals: a name outside provider-purpose-environment, an account shared
/// by two connections (named only to a reader who may see the other), and one connection serving both images and
/// scripted actions.
@Suite struct ConnectionAdviceTests {
    static func vsphere(_ name: String, tags: [String], username: String = "svc-hitch@vsphere.local") -> [String: Any] {
        [
            "kind": "vsphere", "name": name, "tags": tags,
            "fields": ["vcenter": "vc01.corp.example", "username": username, "datacenter": "DC1"],
            "secrets": ["password": "advice-test-password-1"],
        ]
    }

    @Test(arguments: TestBackend.all)
    func warningsNotRefusals(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let short = try await client.call(.post, "/v1/connections", json: Self.vsphere("lab", tags: ["team-b"]))
            #expect(short.status == .created)
            #expect((short.json["warnings"] as? [String])?.contains { $0.contains("does not follow the naming hint provider-purpose-environment") } == true, "\(short.text)")
            let named = try await client.call(.post, "/v1/connections", json: Self.vsphere("vcenter-migration-prod", tags: ["team-a"], username: "SVC-HITCH@vsphere.local"))
            #expect(named.status == .created && (named.json["warnings"] as? [String] ?? []).isEmpty, "\(named.text)")

            let references = try await client.call(.get, "/v1/connections/vcenter-migration-prod/references")
            let warnings = references.json["warnings"] as? [String] ?? []
            #expect(warnings.count == 1 && warnings[0].contains("also used by lab"), "the same SSO user on the same vCenter: \(warnings)")
            #expect(try await client.call(.post, "/v1/users", json: ["name": "team-a-ci", "role": "consumer", "kind": "service", "allowedTags": ["team-a"]]).status == .created)
            let limited = try #require(try await client.call(.post, "/v1/tokens", json: ["user": "team-a-ci", "name": "t"]).json["secret"] as? String)
            let seen = try await client.call(.get, "/v1/connections/vcenter-migration-prod/references", token: limited)
            #expect((seen.json["warnings"] as? [String] ?? []).isEmpty, "another team's connection is not named: \(seen.text)")

            var key = DestinationBindingTests.accessKey("aws-images-prod", keyId: "AKIAADVICE0000000001", secret: DestinationBindingTests.victimKey)
            key["tags"] = ["team-a"]
            #expect(try await client.call(.post, "/v1/connections", json: key).status == .created)
            let image = try await client.call(.post, "/v1/assignments", json: ["connection": "aws-images-prod", "kind": "image", "ref": "win11"])
            #expect(image.status == .created && image.json["warnings"] == nil, "\(image.text)")
            let script = try await client.call(.post, "/v1/assignments", json: ["connection": "aws-images-prod", "kind": "scripted-action", "ref": "patch"])
            #expect(script.status == .created, "a warning, not a refusal")
            #expect((script.json["warnings"] as? [String])?.first?.contains("serves both images and scripted actions") == true, "\(script.text)")
            let both = try await client.call(.get, "/v1/connections/aws-images-prod/references")
            #expect((both.json["warnings"] as? [String])?.contains { $0.contains("serves both") } == true)
        }
    }
}
