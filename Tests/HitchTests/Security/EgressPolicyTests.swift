import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServices
import HummingbirdTesting
import Testing

/// Test Connection reaches only what the egress policy allows, checked on the resolved address before connecting:
/// link-local and cloud metadata addresses by default, the server's deny and allow lists, and plain HTTP only to a
/// loopback IP literal on a server with the developer setting.
@Suite struct EgressPolicyTests {
    @Test func rangesMatchByPrefix() throws {
        let metadata = try #require(IPRange("169.254.0.0/16"))
        #expect(metadata.contains(try #require(IPRange.bytes(ofLiteral: "169.254.169.254"))))
        #expect(metadata.contains(try #require(IPRange.bytes(ofLiteral: "::ffff:169.254.169.254"))), "an IPv4-mapped address")
        #expect(!metadata.contains(try #require(IPRange.bytes(ofLiteral: "169.255.0.1"))))
        #expect(try #require(IPRange("fd00::/8")).contains(try #require(IPRange.bytes(ofLiteral: "fd12::1"))))
        for bad in ["10.0.0.0/33", "example.com", "10.0.0/8", "::1/129", ""] { #expect(IPRange(bad) == nil, "\(bad)") }
        #expect(IPRange.isLoopbackLiteral("127.0.0.5") && IPRange.isLoopbackLiteral("[::1]"))
        #expect(!IPRange.isLoopbackLiteral("127.attacker.example") && !IPRange.isLoopbackLiteral("localhost"))
    }

    @Test func plainHTTPIsOnlyForLoopbackLiterals() {
        func problem(_ url: String) -> String? {
            ConnectionValidator.validate(
                ConnectionDraft(
                    kind: .gcp, name: "g", fields: ["projectId": .string("my-project"), "apiEndpoint": .string(url)])
            ).errors["apiEndpoint"]
        }
        for accepted in ["http://127.0.0.1:4566", "http://127.1.2.3", "http://[::1]:8080", "https://api.example.com"] {
            #expect(problem(accepted) == nil, "\(accepted)")
        }
        for refused in ["http://127.attacker.example", "http://localhost:4566", "http://10.0.0.1", "http://127.0.0.1.nip.io", "http://[::2]"] {
            #expect(problem(refused) != nil, "\(refused)")
        }
    }

    static func nutanix(_ endpoint: String, thumbprint: String? = nil) -> [String: Any] {
        var fields: [String: Any] = ["endpoint": endpoint, "username": "svc"]
        if let thumbprint { fields["thumbprint"] = thumbprint }
        return ["kind": "nutanix", "name": "prism", "fields": fields, "secrets": ["password": "egress-canary-pw"]]
    }

    static func failedStage(_ answer: (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String)) -> [String: Any]? {
        (answer.json["stages"] as? [[String: Any]])?.last
    }

    @Test(arguments: TestBackend.all)
    func metadataAddressesAreDeniedByDefault(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            #expect(try await client.call(.post, "/v1/connections", json: Self.nutanix("169.254.169.254:80")).status == .created)
            let tested = try await client.call(.post, "/v1/connections/prism/test", json: [String: Any]())
            let stage = Self.failedStage(tested)
            #expect(stage?["stage"] as? String == "connect" && stage?["code"] as? String == "egress-denied", "\(tested.text)")
            let saved = try await client.call(.get, "/v1/connections/prism")
            #expect((saved.json["status"] as? [String: Any])?["state"] as? String == "egress-denied")
        }
    }

    @Test(arguments: TestBackend.all)
    func theServersDenyAndAllowListsApply(backend: TestBackend) async throws {
        let capture = CaptureServer()
        try await LocalTLSServer.run(capture.router) { server in
            for setting in [["HITCH_EGRESS_DENY": "127.0.0.1/32"], ["HITCH_EGRESS_ALLOW": "10.0.0.0/8, fd00::/8"]] {
                let environment = TestBackend.environment.merging(setting) { $1 }
                try await withAPI(backend, environment: environment) { client, _ in
                    let values = Self.nutanix("127.0.0.1:\(server.port)", thumbprint: server.thumbprint)
                    #expect(try await client.call(.post, "/v1/connections", json: values).status == .created)
                    let tested = try await client.call(.post, "/v1/connections/prism/test", json: [String: Any]())
                    #expect(Self.failedStage(tested)?["code"] as? String == "egress-denied", "\(setting): \(tested.text)")
                    var candidate = values
                    candidate["name"] = "candidate"
                    let unsaved = try await client.call(.post, "/v1/connections/test", json: candidate)
                    #expect(Self.failedStage(unsaved)?["code"] as? String == "egress-denied", "\(setting): \(unsaved.text)")
                }
            }
            #expect(capture.requests.isEmpty, "nothing connected: \(capture.requests)")
        }
    }

    /// Without the developer setting a plain HTTP endpoint is refused on save, and at its use.
    @Test(arguments: TestBackend.all)
    func plainHTTPNeedsTheDeveloperSetting(backend: TestBackend) async throws {
        var environment = TestBackend.environment
        environment["HITCH_ALLOW_LOOPBACK_HTTP"] = nil
        try await withAPI(backend, environment: environment) { client, _ in
            let key: [String: Any] = [
                "kind": "aws-access-key", "name": "local",
                "fields": ["accountId": "123456789012", "accessKeyId": "AKIALOCAL00000000001", "stsEndpoint": "http://127.0.0.1:1"],
                "secrets": ["secretAccessKey": "localSecretKey000000000000000000000000000".prefix(40).description],
            ]
            let saved = try await client.call(.post, "/v1/connections", json: key)
            #expect(saved.status == .badRequest && saved.text.contains("HITCH_ALLOW_LOOPBACK_HTTP"), "\(saved.text)")
            let tested = try await client.call(.post, "/v1/connections/test", json: key)
            #expect(Self.failedStage(tested)?["code"] as? String == "egress-denied", "\(tested.text)")
        }
    }

    @Test func aMalformedSettingStopsTheStart() throws {
        #expect(throws: HitchError.self) { try EgressSettings.policy(from: ["HITCH_EGRESS_DENY": "10.0.0.0/8,bogus"]) }
        #expect(throws: HitchError.self) { try EgressSettings.policy(from: ["HITCH_ALLOW_LOOPBACK_HTTP": "yes"]) }
    }
}
