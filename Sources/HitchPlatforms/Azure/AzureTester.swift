import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// What an Azure test needs from a connection.
public struct AzureTarget: Sendable {
    public var tenantId: String
    public var clientId: String
    public var clientSecret: SecretValue
    public var subscriptionId: String
    public var cloud: String
    /// Overrides of the cloud's Entra ID authority and Resource Manager endpoints (https URLs).
    public var authorityHost: URL?
    public var armEndpoint: URL?
    /// Overrides the cloud's Microsoft Graph endpoint (for rotating the client secret).
    public var graphEndpoint: URL?
    /// System trust for Azure's own endpoints; tests against a local server pin its certificate.
    public var tlsPolicy: TLSPolicy

    public init(
        tenantId: String, clientId: String, clientSecret: SecretValue, subscriptionId: String, cloud: String,
        authorityHost: URL? = nil, armEndpoint: URL? = nil, graphEndpoint: URL? = nil, tlsPolicy: TLSPolicy = .systemTrust
    ) {
        self.graphEndpoint = graphEndpoint
        self.tenantId = tenantId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.subscriptionId = subscriptionId
        self.cloud = cloud
        self.authorityHost = authorityHost
        self.armEndpoint = armEndpoint
        self.tlsPolicy = tlsPolicy
    }
}

/// Tests a service principal: OAuth2 client credentials at `{authority}/{tenant}/oauth2/v2.0/token` with the scope
/// `{arm}/.default`, then `GET {arm}/subscriptions/{id}?api-version=2022-12-01`. Failures name Entra ID's AADSTS
/// code, never its description or any body.
public enum AzureTester {
    static let clouds: [String: (authority: String, arm: String, graph: String)] = [
        "public": ("https://login.microsoftonline.com", "https://management.azure.com", "https://graph.microsoft.com"),
        "usgov": ("https://login.microsoftonline.us", "https://management.usgovcloudapi.net", "https://graph.microsoft.us"),
        "china": ("https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
    ]

    public static func test(_ target: AzureTarget, timeout: TimeAmount = .seconds(15)) async -> TestReport {
        await TestReport.run { report in
            let endpoints = clouds[target.cloud] ?? clouds["public"]!
            let authority = target.authorityHost ?? URL(string: endpoints.authority)!
            let arm = target.armEndpoint ?? URL(string: endpoints.arm)!
            let authorityHost = try HTTPSLocation(authority)
            let connection = try await EndpointProbe(
                host: authorityHost.host, port: authorityHost.port, policy: target.tlsPolicy, timeout: timeout
            ).open(into: &report.stages)
            defer { connection.close() }
            let token = try await requestToken(
                target, at: authorityHost, over: connection, scope: Self.defaultScope(arm: arm), timeout: timeout)
            report.stages.append(.ok(.authenticate, "Entra ID issued a token to client \(target.clientId)"))
            try await readSubscription(target, token: token, arm: try HTTPSLocation(arm), timeout: timeout, into: &report.stages)
            if let end = await AzureSecretRotation.secretEnd(target) {
                report.expiries.append(PlatformExpiry(what: "client secret", at: end))
            }
        }
    }

    /// Resource Manager's `.default` scope.
    static func defaultScope(arm: URL) -> String {
        arm.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/.default"
    }

    static func requestToken(
        _ target: AzureTarget, at authority: HTTPSLocation, over connection: PolicyHTTPSConnection?, scope: String,
        timeout: TimeAmount
    ) async throws -> SecretValue {
        let form = [
            ("client_id", target.clientId), ("client_secret", target.clientSecret.exposedValue),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ].map { "\($0.0)=\(FormEncoding.escape($0.1))" }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let path = authority.path + "/" + FormEncoding.escape(target.tenantId) + "/oauth2/v2.0/token"
        let response = try await authority.send(
            .POST, path: path, headers: headers, body: form, policy: target.tlsPolicy, timeout: timeout, stage: .authenticate,
            over: connection)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        if response.status == .ok, let token = object?["access_token"] as? String {
            return SecretValue(token)
        }
        let codes = (object?["error_codes"] as? [Int]) ?? []
        let code = codes.first.map { "AADSTS\($0)" } ?? "HTTP \(response.status.code)"
        switch codes.first {
        case 90002: throw StageFailure(.authenticate, .notFound, "tenant '\(target.tenantId)' not found (\(code))")
        case 7000215, 7000222: throw StageFailure(.authenticate, .authFailed, "Entra ID refused the client secret (\(code)); not retried")
        case 700016: throw StageFailure(.authenticate, .authFailed, "client \(target.clientId) is not in the tenant (\(code))")
        default: throw StageFailure(.authenticate, .authFailed, "Entra ID refused the credentials (\(code)); not retried")
        }
    }

    private static func readSubscription(
        _ target: AzureTarget, token: SecretValue, arm: HTTPSLocation, timeout: TimeAmount, into stages: inout [StageResult]
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.exposedValue)")
        headers.add(name: "Accept", value: "application/json")
        let path = arm.path + "/subscriptions/" + FormEncoding.escape(target.subscriptionId) + "?api-version=2022-12-01"
        let response = try await arm.send(.GET, path: path, headers: headers, body: nil, policy: target.tlsPolicy, timeout: timeout, stage: .authorize)
        switch response.status.code {
        case 200: break
        case 401: throw StageFailure(.authenticate, .authFailed, "Resource Manager refused the principal's access token")
        case 403: throw StageFailure(.authorize, .insufficientPrivileges, "the principal may not read subscription \(target.subscriptionId)")
        case 404: throw StageFailure(.objects, .notFound, "subscription \(target.subscriptionId) not found")
        default: throw StageFailure(.authorize, .error, "Resource Manager answered \(response.status.code)")
        }
        stages.append(.ok(.authorize, "read subscription \(target.subscriptionId)"))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        let state = object?["state"] as? String ?? "unknown"
        guard state == "Enabled" else {
            throw StageFailure(.objects, .error, "subscription \(target.subscriptionId) is \(state)")
        }
        stages.append(.ok(.objects, "subscription '\(object?["displayName"] as? String ?? target.subscriptionId)' is Enabled"))
    }
}

/// `application/x-www-form-urlencoded` values and URL path segments.
enum FormEncoding {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
