import Foundation
import HitchDomain
import HitchPlatforms
import Hummingbird
import NIOCore
import Testing
import _CryptoExtras

/// Test Connection for gcp against a local server that answers like Google's token endpoint and Resource Manager:
/// it verifies the JWT's RS256 signature with the service account's public key and checks its claims.
@Suite struct GCPTesterTests {
    static let email = "hitch@proj-local.iam.gserviceaccount.com"
    static let accessToken = "ya29.local-test-token"

    static func router(publicKey: _RSA.Signing.PublicKey, port: PortBox) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/token") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let form = FormFields.dictionary(body)
            guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let jwt = form["assertion"] else {
                return json(.badRequest, #"{"error":"unsupported_grant_type","error_description":"Invalid grant_type"}"#)
            }
            let parts = jwt.split(separator: ".").map(String.init)
            guard parts.count == 3, let signature = decode(parts[2]),
                publicKey.isValidSignature(.init(rawRepresentation: signature), for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5),
                let claims = decode(parts[1]).flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }),
                let header = decode(parts[0]).flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }),
                header["alg"] as? String == "RS256"
            else { return json(.badRequest, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#) }
            let now = Int(Date().timeIntervalSince1970)
            guard claims["iss"] as? String == email, claims["aud"] as? String == "https://127.0.0.1:\(port.value)/token",
                claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform",
                let iat = claims["iat"] as? Int, let exp = claims["exp"] as? Int, abs(iat - now) < 300, exp - iat <= 3600
            else { return json(.badRequest, #"{"error":"invalid_grant","error_description":"Invalid JWT claims."}"#) }
            return json(.ok, #"{"access_token":"\#(accessToken)","expires_in":3599,"token_type":"Bearer"}"#)
        }
        router.get("/v1/projects/-/serviceAccounts/:email/keys/:key") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(accessToken)" else { return json(.unauthorized, #"{"error":{"code":401}}"#) }
            guard context.parameters.get("email")?.removingPercentEncoding == email, context.parameters.get("key") == "k1" else {
                return json(.notFound, #"{"error":{"code":404,"status":"NOT_FOUND"}}"#)
            }
            return json(.ok, #"{"name":"projects/proj-local/serviceAccounts/\#(email)/keys/k1","validAfterTime":"2026-01-01T00:00:00Z","validBeforeTime":"2027-01-01T00:00:00Z","keyAlgorithm":"KEY_ALG_RSA_2048","keyOrigin":"GOOGLE_PROVIDED","keyType":"USER_MANAGED"}"#)
        }
        router.get("/v1/projects/:id") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(accessToken)" else { return json(.unauthorized, #"{"error":{"code":401}}"#) }
            switch context.parameters.get("id") {
            case "proj-local": return json(.ok, #"{"projectNumber":"123456789012","projectId":"proj-local","lifecycleState":"ACTIVE","name":"Local"}"#)
            case "proj-secret": return json(.forbidden, #"{"error":{"code":403,"status":"PERMISSION_DENIED"}}"#)
            default: return json(.notFound, #"{"error":{"code":404,"status":"NOT_FOUND"}}"#)
            }
        }
        return router
    }

    static func decode(_ base64URL: String) -> Data? {
        var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func keyFile(_ key: _RSA.Signing.PrivateKey, port: Int) throws -> String {
        let object: [String: Any] = [
            "type": "service_account", "project_id": "proj-local", "private_key_id": "k1", "client_email": email,
            "private_key": key.pemRepresentation, "token_uri": "https://127.0.0.1:\(port)/token",
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func everyCase() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let port = PortBox()
        try await LocalTLSServer.run(Self.router(publicKey: key.publicKey, port: port)) { server in
            port.value = server.port
            let api = URL(string: "https://127.0.0.1:\(server.port)")!
            func target(_ signingKey: _RSA.Signing.PrivateKey = key, project: String = "proj-local") throws -> GCPTarget {
                GCPTarget(
                    projectId: project, serviceAccountKey: SecretValue(try Self.keyFile(signingKey, port: server.port)),
                    apiEndpoint: api, tlsPolicy: .pinned(thumbprint: server.thumbprint))
            }
            let passed = await GCPTester.test(try target())
            #expect(passed.passed, "\(passed)")
            #expect(passed.stages.map(\.stage) == TestStage.direct)
            #expect(passed.expiries == [PlatformExpiry(what: "service account key", at: ISO8601DateFormatter().date(from: "2027-01-01T00:00:00Z")!)])

            let wrongKey = await GCPTester.test(try target(other))
            #expect(wrongKey.failedStage?.stage == .authenticate && wrongKey.failedStage?.failure == .authFailed)

            // Google answers 403 alike for a missing project and a forbidden one: not-found, with the hint.
            let forbidden = await GCPTester.test(try target(project: "proj-secret"))
            #expect(forbidden.failedStage?.failure == .notFound && forbidden.failedStage?.message.contains("resourcemanager.projects.get") == true)

            let missing = await GCPTester.test(try target(project: "proj-gone"))
            #expect(missing.failedStage?.stage == .objects && missing.failedStage?.failure == .notFound)

            let pem = key.pemRepresentation
            for report in [passed, wrongKey, forbidden, missing] {
                let text = "\(report)"
                #expect(!text.contains(Self.accessToken) && !text.contains(String(pem.dropFirst(40).prefix(40))))
            }
        }
    }
}
