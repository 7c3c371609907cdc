import Foundation
import HTTPTypes
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

@Suite struct ConnectionsAPITests {
    @Test(arguments: TestBackend.all)
    func everyV1RouteNeedsAToken(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/v1/connection-kinds"), (.get, "/v1/connections"), (.post, "/v1/connections"),
                (.get, "/v1/connections/x"), (.patch, "/v1/connections/x"), (.delete, "/v1/connections/x"),
                (.get, "/v1/connections/x/versions"), (.get, "/v1/unknown"),
            ]
            for (method, uri) in routes {
                for token in [nil, "wrong-token"] {
                    let response = try await client.call(method, uri, json: method == .get ? nil : [:], token: token)
                    #expect(response.status == .unauthorized, "\(method) \(uri)")
                    #expect((response.json["error"] as? [String: Any])?["code"] as? String == "unauthenticated")
                }
            }
            #expect(try await client.call(.get, "/healthz", token: nil).status == .ok)
            #expect(try await client.call(.get, "/readyz", token: nil).status == .ok)
            let spec = try await client.call(.get, "/openapi.yaml", token: nil)
            #expect(spec.status == .ok)
            #expect(spec.text.contains("operationId: createConnection"))
        }
    }

    @Test(arguments: TestBackend.all)
    func createShowListUpdateDelete(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let created = try await client.call(.post, "/v1/connections", json: Sample.vsphere())
            #expect(created.status == .created)
            #expect(!created.text.contains("canary"))
            let shown = try await client.call(.get, "/v1/connections/prod-vcenter")
            #expect(shown.status == .ok)
            #expect(!shown.text.contains("canary"))
            let secrets = try #require(shown.json["secrets"] as? [String: [String: Any]])
            #expect(secrets["password"]?["value"] as? String == "********")
            #expect(secrets["password"]?["set"] as? Bool == true)
            #expect((shown.json["fields"] as? [String: Any])?["insecure"] as? Bool == false)
            #expect(shown.json["endpoint"] as? String == "vc01.corp.example")
            let etag = try #require(shown.headers[.eTag])

            let listed = try await client.call(.get, "/v1/connections?kind=vsphere&tag=prod&tag=migration&q=PROD")
            #expect((listed.json["connections"] as? [[String: Any]])?.count == 1)
            let none = try await client.call(.get, "/v1/connections?tag=prod&tag=other")
            #expect((none.json["connections"] as? [[String: Any]])?.count == 0)

            let renamed = try await client.call(
                .patch, "/v1/connections/prod-vcenter", json: ["description": "changed", "fields": ["cluster": "Prod2"]],
                headers: [.ifMatch: etag])
            #expect(renamed.status == .ok)
            let afterDescription = try #require(renamed.json["connection"] as? [String: Any])
            #expect(afterDescription["credentialVersion"] as? Int == 1)

            let stale = try await client.call(
                .patch, "/v1/connections/prod-vcenter", json: ["description": "lost"], headers: [.ifMatch: etag])
            #expect(stale.status == .preconditionFailed)

            let rotated = try await client.call(
                .patch, "/v1/connections/prod-vcenter", json: ["secrets": ["password": "canary-rotated-pw"]])
            #expect(rotated.status == .ok)
            #expect((rotated.json["connection"] as? [String: Any])?["credentialVersion"] as? Int == 2)
            #expect(!rotated.text.contains("canary"))

            let versions = try await client.call(.get, "/v1/connections/prod-vcenter/versions")
            let list = try #require(versions.json["versions"] as? [[String: Any]])
            #expect(list.map { $0["version"] as? Int } == [1, 2])
            #expect(list.last?["changedFields"] as? [String] == ["password"])

            #expect(try await client.call(.delete, "/v1/connections/prod-vcenter").status == .noContent)
            #expect(try await client.call(.get, "/v1/connections/prod-vcenter").status == .notFound)
            #expect(try await client.call(.delete, "/v1/connections/prod-vcenter").status == .notFound)
        }
    }

    @Test(arguments: TestBackend.all)
    func rotationKeepsOtherSecretsOpenable(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            try await client.call(.post, "/v1/connections", json: Sample.vsphere())
            let changed = try await client.call(
                .patch, "/v1/connections/prod-vcenter", json: ["fields": ["username": "svc2@vsphere.local"]])
            #expect((changed.json["connection"] as? [String: Any])?["credentialVersion"] as? Int == 2)
            let record = try await runtime.store.read(logger: TestBackend.logger) {
                try await $0.connections.find(name: "prod-vcenter")
            }
            let secrets = try await runtime.store.read(logger: TestBackend.logger) {
                try await $0.connections.secrets(connectionId: record!.id)
            }
            #expect(secrets.map(\.credentialVersion) == [2])
            #expect(!secrets.contains { String(decoding: $0.ciphertext, as: UTF8.self).contains("canary") })
        }
    }

    @Test(arguments: TestBackend.all)
    func validationErrorsAreFieldLevel(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            var bad = Sample.vsphere(name: "Bad_Name")
            bad["fields"] = ["vcenter": "https://vc01", "username": "u"]
            bad["tags"] = ["1", "2", "3", "4", "5", "6"]
            let response = try await client.call(.post, "/v1/connections", json: bad)
            #expect(response.status == .badRequest)
            let error = try #require(response.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "validation-failed")
            let fields = try #require((error["details"] as? [String: Any])?["fields"] as? [String: String])
            #expect(fields.keys.sorted() == ["name", "tags", "vcenter"])
            #expect(!response.text.contains("canary"))

            let unknownKind = try await client.call(.post, "/v1/connections", json: ["kind": "vmware", "name": "abc"])
            #expect(unknownKind.status == .badRequest)

            let malformed = try await client.call(.post, "/v1/connections", json: ["name": "abc"])
            #expect(malformed.status == .badRequest)
            #expect((malformed.json["error"] as? [String: Any])?["code"] as? String == "bad-request")

            try await client.call(.post, "/v1/connections", json: Sample.vsphere())
            let duplicate = try await client.call(.post, "/v1/connections", json: Sample.vsphere())
            #expect(duplicate.status == .conflict)
        }
    }

    @Test(arguments: TestBackend.all)
    func apiKeyIsReturnedOnceOnCreate(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let created = try await client.call(
                .post, "/v1/connections", json: ["kind": "api-key", "name": "agents", "fields": ["tokenType": "connector"]])
            #expect(created.status == .created)
            let key = try #require((created.json["issuedSecrets"] as? [String: String])?["key"])
            #expect(key.hasPrefix("hitch_ak_"))
            let shown = try await client.call(.get, "/v1/connections/agents")
            #expect(!shown.text.contains(key))
            let listed = try await client.call(.get, "/v1/connections")
            #expect(!listed.text.contains(key))
        }
    }

    @Test(arguments: TestBackend.all)
    func viaMustNameAnAccessKeyAndGuardsIt(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let role: [String: Any] = [
                "kind": "aws-assume-role", "name": "aws-role",
                "fields": ["roleArn": "arn:aws:iam::123456789012:role/r", "via": "aws-main"],
            ]
            let missing = try await client.call(.post, "/v1/connections", json: role)
            #expect(missing.status == .badRequest)
            try await client.call(
                .post, "/v1/connections",
                json: ["kind": "aws-access-key", "name": "aws-main",
                       "fields": ["accountId": "123456789012", "accessKeyId": "AKIAIOSFODNN7EXAMPLE"],
                       "secrets": ["secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]])
            #expect(try await client.call(.post, "/v1/connections", json: role).status == .created)
            let refused = try await client.call(.delete, "/v1/connections/aws-main")
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("aws-role"))
        }
    }

    @Test(arguments: TestBackend.all)
    func kindsAreServed(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            let response = try await client.call(.get, "/v1/connection-kinds")
            let kinds = try #require(response.json["kinds"] as? [[String: Any]])
            #expect(kinds.compactMap { $0["name"] as? String }.sorted() == [
                "api-key", "aws-access-key", "aws-assume-role", "aws-cross-account", "azure", "gcp", "nutanix", "vsphere",
            ])
        }
    }
}
