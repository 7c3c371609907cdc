import Crypto
import Foundation
import HTTPTypes
import HitchServices
import HummingbirdTesting
import Testing
import _CryptoExtras

/// S9: an operator who may change connections but not see their secrets points a victim connection's destination
/// at their own endpoint and tests it. Every such change that does not carry the secret again is refused (400,
/// audited as denied) through PATCH, the candidate test and the dashboard's edit form, and the attacker's endpoint
/// receives nothing at all; with the secret re-entered the change is a rotation.
@Suite struct DestinationCaptureTests {
    /// One way to capture a kind's secret: the victim's values, the change that repoints it, the secrets the
    /// refusal must name, and the stored secret values that must never reach the capture server.
    /// Immutable JSON values, only read.
    struct Attack: @unchecked Sendable {
        let label: String
        let victim: [String: Any]
        let change: [String: Any]
        let missing: [String]
        let storedSecrets: [String]
        /// Secrets the attacker knows (their own), with which the change is a rotation.
        let reentered: [String: String]
        /// What the attacker's endpoint receives once the rotation is tested, when the kind's tester will talk to
        /// it (azure's authority must be https under system trust, which no local server has).
        var sentAfterRotation: String? = nil
    }

    static let victimPassword = "VICTIM-pw-5c1d-e7a9"
    static let victimClientSecret = "VICTIM~azure~secret~0b3f"
    static let victimAWSSecret = "VICTIMawsSecretKey0000000000000000000000"
    static let victimExternalId = "VICTIM-external-id-77"

    static func gcpKey(tokenURI: String) throws -> String {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let object: [String: Any] = [
            "type": "service_account", "project_id": "proj-victim", "private_key_id": "k1",
            "client_email": "svc@proj-victim.iam.gserviceaccount.com", "private_key": key.pemRepresentation,
            "token_uri": tokenURI,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func attacks(tls: LocalTLSServer.Running, plain: LocalTLSServer.Running, gcpKey: String) -> [Attack] {
        let capture = "http://127.0.0.1:\(plain.port)"
        let pinned: [String: Any] = ["thumbprint": tls.thumbprint]
        let azure: [String: Any] = [
            "kind": "azure", "name": "victim",
            "fields": ["tenantId": "11111111-2222-3333-4444-555555555555", "clientId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                       "subscriptionId": "99999999-8888-7777-6666-555555555555"],
            "secrets": ["clientSecret": victimClientSecret],
        ]
        return [
            Attack(
                label: "vsphere vcenter", victim: [
                    "kind": "vsphere", "name": "victim",
                    "fields": ["vcenter": "vc01.corp.example", "username": "svc@vsphere.local"],
                    "secrets": ["password": victimPassword],
                ], change: pinned.merging(["vcenter": "127.0.0.1:\(tls.port)"]) { $1 }, missing: ["password"],
                storedSecrets: [victimPassword], reentered: ["password": "attackers-own-password"],
                sentAfterRotation: "<password>attackers-own-password</password>"),
            Attack(
                label: "nutanix endpoint", victim: [
                    "kind": "nutanix", "name": "victim",
                    "fields": ["endpoint": "prism.corp.example", "username": "svc-hitch"],
                    "secrets": ["password": victimPassword],
                ], change: pinned.merging(["endpoint": "127.0.0.1:\(tls.port)"]) { $1 }, missing: ["password"],
                storedSecrets: [victimPassword], reentered: ["password": "attackers-own-password"],
                sentAfterRotation: "Basic " + Data("svc-hitch:attackers-own-password".utf8).base64EncodedString()),
            Attack(
                label: "azure authorityHost", victim: azure, change: ["authorityHost": capture], missing: ["clientSecret"],
                storedSecrets: [victimClientSecret], reentered: ["clientSecret": "attackers-own-secret"]),
            Attack(
                label: "azure armEndpoint", victim: azure, change: ["armEndpoint": capture], missing: ["clientSecret"],
                storedSecrets: [victimClientSecret], reentered: ["clientSecret": "attackers-own-secret"]),
            Attack(
                label: "azure graphEndpoint", victim: azure, change: ["graphEndpoint": capture], missing: ["clientSecret"],
                storedSecrets: [victimClientSecret], reentered: ["clientSecret": "attackers-own-secret"]),
            Attack(
                label: "aws-access-key stsEndpoint", victim: [
                    "kind": "aws-access-key", "name": "victim",
                    "fields": ["accountId": "123456789012", "accessKeyId": "AKIAVICTIM0000000001"],
                    "secrets": ["secretAccessKey": victimAWSSecret],
                ], change: ["stsEndpoint": capture], missing: ["secretAccessKey"], storedSecrets: [victimAWSSecret],
                reentered: ["secretAccessKey": "attackersOwnSecretKey0000000000000000000"],
                sentAfterRotation: "AWS4-HMAC-SHA256 Credential=AKIAVICTIM0000000001/"),
            Attack(
                label: "gcp apiEndpoint", victim: [
                    "kind": "gcp", "name": "victim", "fields": ["projectId": "proj-victim"],
                    "secrets": ["serviceAccountKey": gcpKey],
                ], change: ["apiEndpoint": capture], missing: ["serviceAccountKey"],
                storedSecrets: ["proj-victim.iam.gserviceaccount.com"], reentered: [:]),
        ]
    }

    /// Runs `body` with an attacker's TLS endpoint (pinned by its thumbprint) and plain HTTP endpoint, which share
    /// one record of what they received.
    static func withCaptureServers(
        _ body: @Sendable (CaptureServer, LocalTLSServer.Running, LocalTLSServer.Running) async throws -> Void
    ) async throws {
        let capture = CaptureServer()
        try await LocalTLSServer.run(capture.router) { tls in
            try await LocalTLSServer.run(capture.router, plainHTTP: true) { plain in
                try await body(capture, tls, plain)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func everyKindsDestinationChangeNeedsTheSecret(backend: TestBackend) async throws {
        let gcpKey = try Self.gcpKey(tokenURI: "https://oauth2.googleapis.com/token")
        try await Self.withCaptureServers { capture, tls, plain in
            for attack in Self.attacks(tls: tls, plain: plain, gcpKey: gcpKey) {
                try await withAPI(backend) { client, runtime in
                    try await Self.attempt(attack, client: client, runtime: runtime, capture: capture)
                }
            }
        }
    }

    static func attempt(
        _ attack: Attack, client: some TestClientProtocol, runtime: HitchRuntime, capture: CaptureServer,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(try await client.call(.post, "/v1/connections", json: attack.victim).status == .created, sourceLocation: sourceLocation)
        let operatorToken = try await TestIdentities.token(role: "operator", in: runtime).token
        capture.forget()

        let patched = try await client.call(.patch, "/v1/connections/victim", json: ["fields": attack.change], token: operatorToken)
        let tested = try await client.call(
            .post, "/v1/connections/victim/test", json: ["fields": attack.change], token: operatorToken)
        for answer in [patched, tested] {
            #expect(answer.status == .badRequest, "\(attack.label): \(answer.text)", sourceLocation: sourceLocation)
            let error = answer.json["error"] as? [String: Any]
            #expect(error?["code"] as? String == "secret-required", sourceLocation: sourceLocation)
            let fields = (error?["details"] as? [String: Any])?["fields"] as? [String: String] ?? [:]
            #expect(fields.keys.sorted() == attack.missing, "\(attack.label): \(answer.text)", sourceLocation: sourceLocation)
            #expect(fields.values.allSatisfy { $0.hasPrefix("re-enter the ") }, sourceLocation: sourceLocation)
        }
        // Nothing changed: the saved values and the credential version are the victim's.
        let saved = try await client.call(.get, "/v1/connections/victim")
        #expect(saved.json["credentialVersion"] as? Int == 1, sourceLocation: sourceLocation)
        let savedFields = saved.json["fields"] as? [String: Any] ?? [:]
        for name in attack.change.keys where name != "thumbprint" {
            #expect(savedFields[name] == nil || "\(savedFields[name]!)" != "\(attack.change[name]!)", sourceLocation: sourceLocation)
        }
        // A saved test still goes to the victim's own destination, never to the attacker's.
        _ = try await client.call(.post, "/v1/connections/victim/test?timeout=3", json: [String: Any](), token: operatorToken)
        #expect(capture.requests.isEmpty, "\(attack.label): the attacker's endpoint was reached: \(capture.requests)", sourceLocation: sourceLocation)

        let denied = try await client.call(.get, "/v1/audit?connection=victim")
        let events = denied.json["events"] as? [[String: Any]] ?? []
        let refusals = events.filter { $0["outcome"] as? String == "denied" }
        #expect(
            Set(refusals.compactMap { $0["action"] as? String }) == ["connection.update", "connection.test"],
            "\(attack.label): \(denied.text)", sourceLocation: sourceLocation)
        for refusal in refusals {
            let named = refusal["changedFields"] as? [String] ?? []
            #expect(attack.change.keys.allSatisfy(named.contains) && attack.missing.allSatisfy(named.contains), sourceLocation: sourceLocation)
        }
        for text in [patched.text, tested.text, denied.text] {
            #expect(!attack.storedSecrets.contains(where: text.contains), sourceLocation: sourceLocation)
        }

        guard !attack.reentered.isEmpty else { return }
        // With the attacker's own secret in the same request, the change is a rotation, and what reaches their
        // endpoint is that secret only: the capture server does receive what Hitch sends there.
        let rotated = try await client.call(
            .patch, "/v1/connections/victim", json: ["fields": attack.change, "secrets": attack.reentered], token: operatorToken)
        #expect(rotated.status == .ok, "\(attack.label): \(rotated.text)", sourceLocation: sourceLocation)
        #expect((rotated.json["connection"] as? [String: Any])?["credentialVersion"] as? Int == 2, sourceLocation: sourceLocation)
        _ = try await client.call(.post, "/v1/connections/victim/test?timeout=5", json: [String: Any](), token: operatorToken)
        if let marker = attack.sentAfterRotation {
            #expect(capture.received(marker), "\(attack.label): \(capture.requests)", sourceLocation: sourceLocation)
        }
        #expect(!attack.storedSecrets.contains(where: capture.received), sourceLocation: sourceLocation)
        capture.forget()
    }
}
