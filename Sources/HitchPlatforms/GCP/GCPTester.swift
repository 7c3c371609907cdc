import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1
import _CryptoExtras

/// What a Google Cloud test needs from a connection.
public struct GCPTarget: Sendable {
    public var projectId: String
    /// The service account's JSON key file.
    public var serviceAccountKey: SecretValue
    /// Overrides https://cloudresourcemanager.googleapis.com.
    public var apiEndpoint: URL?
    public var tlsPolicy: TLSPolicy

    public init(projectId: String, serviceAccountKey: SecretValue, apiEndpoint: URL? = nil, tlsPolicy: TLSPolicy = .systemTrust) {
        self.projectId = projectId
        self.serviceAccountKey = serviceAccountKey
        self.apiEndpoint = apiEndpoint
        self.tlsPolicy = tlsPolicy
    }
}

/// Tests a service account key: a JWT signed RS256 with the key's private key (iss = client_email, scope
/// cloud-platform, aud = token_uri) exchanged at token_uri for an access token (grant type jwt-bearer), then
/// `GET {api}/v1/projects/{projectId}`.
public enum GCPTester {
    static let defaultAPI = URL(string: "https://cloudresourcemanager.googleapis.com")!
    static let scope = "https://www.googleapis.com/auth/cloud-platform"

    public static func test(_ target: GCPTarget, timeout: TimeAmount = .seconds(15), now: Date = Date()) async -> TestReport {
        await TestReport.run { report in
            let key = try ServiceAccountKey(target.serviceAccountKey)
            let tokenLocation = try HTTPSLocation(key.tokenURI)
            let connection = try await EndpointProbe(
                host: tokenLocation.host, port: tokenLocation.port, policy: target.tlsPolicy, timeout: timeout
            ).open(into: &report.stages)
            defer { connection.close() }
            let assertion = try key.assertion(now: now)
            let token = try await exchange(assertion, at: tokenLocation, over: connection, policy: target.tlsPolicy, timeout: timeout)
            report.stages.append(.ok(.authenticate, "Google issued a token to \(key.clientEmail)"))
            try await readProject(target, token: token, timeout: timeout, into: &report.stages)
            if let end = await keyValidBefore(target, key: key, token: token, timeout: timeout) {
                report.expiries.append(PlatformExpiry(what: "service account key", at: end))
            }
        }
    }

    static let defaultIAM = URL(string: "https://iam.googleapis.com")!

    /// The key's `validBeforeTime` from IAM (`projects.serviceAccounts.keys.get`); nil when the key does not expire
    /// (Google writes year 9999) or IAM will not say. An overridden API endpoint (a local or private one) serves IAM
    /// too.
    static func keyValidBefore(_ target: GCPTarget, key: ServiceAccountKey, token: SecretValue, timeout: TimeAmount) async -> Date? {
        guard let keyId = key.privateKeyId, let iam = try? HTTPSLocation(target.apiEndpoint ?? defaultIAM) else { return nil }
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.exposedValue)")
        headers.add(name: "Accept", value: "application/json")
        let path = iam.path + "/v1/projects/-/serviceAccounts/" + FormEncoding.escape(key.clientEmail) + "/keys/" + FormEncoding.escape(keyId)
        guard let response = try? await iam.send(.GET, path: path, headers: headers, body: nil, policy: target.tlsPolicy, timeout: timeout, stage: .objects),
            response.status == .ok,
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any],
            let text = object["validBeforeTime"] as? String, !text.hasPrefix("9999-")
        else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func exchange(
        _ assertion: String, at location: HTTPSLocation, over connection: PolicyHTTPSConnection, policy: TLSPolicy,
        timeout: TimeAmount
    ) async throws -> SecretValue {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = "grant_type=" + FormEncoding.escape("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + assertion
        let response = try await location.send(
            .POST, path: location.path.isEmpty ? "/" : location.path, headers: headers, body: form, policy: policy,
            timeout: timeout, stage: .authenticate, over: connection)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        if response.status == .ok, let token = object?["access_token"] as? String { return SecretValue(token) }
        let code = (object?["error"] as? String).map { "error \($0)" } ?? "HTTP \(response.status.code)"
        throw StageFailure(.authenticate, .authFailed, "Google refused the service account key (\(code)); not retried")
    }

    private static func readProject(
        _ target: GCPTarget, token: SecretValue, timeout: TimeAmount, into stages: inout [StageResult]
    ) async throws {
        let api = try HTTPSLocation(target.apiEndpoint ?? defaultAPI)
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.exposedValue)")
        headers.add(name: "Accept", value: "application/json")
        let response = try await api.send(
            .GET, path: api.path + "/v1/projects/" + FormEncoding.escape(target.projectId), headers: headers, body: nil,
            policy: target.tlsPolicy, timeout: timeout, stage: .authorize)
        switch response.status.code {
        case 200: break
        case 401: throw StageFailure(.authenticate, .authFailed, "Resource Manager refused the service account's access token")
        // Google answers 403 alike for a project that does not exist and for one the account may not read.
        case 403, 404:
            throw StageFailure(
                .objects, .notFound,
                "project '\(target.projectId)' not found, or the service account may not read it (Google answers the same): "
                    + "check the project ID, and that the account holds resourcemanager.projects.get on it")
        default: throw StageFailure(.authorize, .error, "Resource Manager answered \(response.status.code)")
        }
        stages.append(.ok(.authorize, "read project \(target.projectId)"))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        let state = object?["lifecycleState"] as? String ?? "unknown"
        guard state == "ACTIVE" else { throw StageFailure(.objects, .error, "project \(target.projectId) is \(state)") }
        stages.append(.ok(.objects, "project '\(target.projectId)' is ACTIVE"))
    }
}

/// The parts of a service account's JSON key that a token request needs.
struct ServiceAccountKey {
    let clientEmail: String
    let privateKeyId: String?
    let tokenURI: URL
    private let privateKey: _RSA.Signing.PrivateKey

    init(_ secret: SecretValue) throws(StageFailure) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(secret.exposedValue.utf8)) as? [String: Any],
            let email = object["client_email"] as? String, let pem = object["private_key"] as? String,
            let uri = (object["token_uri"] as? String).flatMap(URL.init(string:))
        else { throw StageFailure(.authenticate, .authFailed, "the stored key is not a service account key") }
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else {
            throw StageFailure(.authenticate, .authFailed, "the key's private_key is not an RSA private key")
        }
        clientEmail = email
        privateKeyId = object["private_key_id"] as? String
        tokenURI = uri
        privateKey = key
    }

    /// `header.claims.signature`, each base64url without padding; valid for an hour from `now`.
    func assertion(now: Date, scope: String = GCPTester.scope) throws -> String {
        let issued = Int(now.timeIntervalSince1970)
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let privateKeyId { header["kid"] = privateKeyId }
        let claims: [String: Any] = [
            "iss": clientEmail, "scope": scope, "aud": tokenURI.absoluteString, "iat": issued, "exp": issued + 3600,
        ]
        let signingInput = try Self.base64URL(JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            + "." + Self.base64URL(JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
