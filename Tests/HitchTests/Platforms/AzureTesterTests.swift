import Foundation
import HitchDomain
import HitchPlatforms
import Hummingbird
import NIOCore
import Testing

/// Test Connection for azure against a local server that answers like Entra ID and Resource Manager: it checks
/// the client-credentials form it is sent and the bearer token, and fails with Entra ID's error codes.
@Suite struct AzureTesterTests {
    static let tenant = "11111111-2222-3333-4444-555555555555"
    static let client = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    static let secret = "azure-secret~7Q8"
    static let subscription = "99999999-8888-7777-6666-555555555555"
    static let forbiddenSubscription = "99999999-8888-7777-6666-000000000403"
    /// Resource Manager refuses the token itself for this one (a token for another audience, say).
    static let refusedTokenSubscription = "99999999-8888-7777-6666-000000000401"
    static let accessToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.local-test-token"

    static func router(port: @escaping @Sendable () -> Int) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/:tenant/oauth2/v2.0/token") { request, context -> Response in
            let tenant = context.parameters.get("tenant") ?? ""
            let body = try await request.body.collect(upTo: 1 << 16)
            let form = FormFields.dictionary(String(buffer: body))
            guard request.headers[.contentType] == "application/x-www-form-urlencoded",
                form["grant_type"] == "client_credentials", form["scope"] == "https://127.0.0.1:\(port())/.default"
            else { return entraError(400, "invalid_request", 900144) }
            guard tenant == Self.tenant else { return entraError(400, "invalid_request", 90002) }
            guard form["client_id"] == Self.client else { return entraError(400, "unauthorized_client", 700016) }
            guard form["client_secret"] == Self.secret else { return entraError(401, "invalid_client", 7000215) }
            return json(.ok, #"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"\#(accessToken)"}"#)
        }
        router.get("/subscriptions/:id") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(accessToken)" else {
                return json(.unauthorized, #"{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}"#)
            }
            guard request.uri.queryParameters["api-version"] == "2022-12-01" else {
                return json(.badRequest, #"{"error":{"code":"MissingApiVersionParameter"}}"#)
            }
            switch context.parameters.get("id") {
            case Self.subscription:
                return json(.ok, #"{"id":"/subscriptions/\#(subscription)","subscriptionId":"\#(subscription)","displayName":"Prod","state":"Enabled","tenantId":"\#(tenant)"}"#)
            case Self.refusedTokenSubscription:
                return json(.unauthorized, #"{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}"#)
            case Self.forbiddenSubscription:
                return json(.forbidden, #"{"error":{"code":"AuthorizationFailed","message":"does not have authorization"}}"#)
            default:
                return json(.notFound, #"{"error":{"code":"SubscriptionNotFound","message":"not found"}}"#)
            }
        }
        return router
    }

    static func entraError(_ status: Int, _ error: String, _ code: Int) -> Response {
        json(.init(code: status), #"{"error":"\#(error)","error_description":"AADSTS\#(code): described here.","error_codes":[\#(code)],"timestamp":"2026-11-30 10:00:00Z"}"#)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Test func everyCase() async throws {
        let port = PortBox()
        try await LocalTLSServer.run(Self.router(port: { port.value })) { server in
            port.value = server.port
            let local = URL(string: "https://127.0.0.1:\(server.port)")!
            func target(tenant: String = Self.tenant, client: String = Self.client, secret: String = Self.secret, subscription: String = Self.subscription) -> AzureTarget {
                AzureTarget(
                    tenantId: tenant, clientId: client, clientSecret: SecretValue(secret), subscriptionId: subscription,
                    cloud: "public", authorityHost: local, armEndpoint: local, tlsPolicy: .pinned(thumbprint: server.thumbprint))
            }
            let passed = await AzureTester.test(target())
            #expect(passed.passed, "\(passed)")
            #expect(passed.stages.map(\.stage) == TestStage.direct)

            let wrongSecret = await AzureTester.test(target(secret: "not-the-secret"))
            #expect(wrongSecret.failedStage?.failure == .authFailed)
            #expect(wrongSecret.failedStage?.message.contains("AADSTS7000215") == true)

            let unknownTenant = await AzureTester.test(target(tenant: "00000000-0000-0000-0000-000000000000"))
            #expect(unknownTenant.failedStage?.failure == .notFound && unknownTenant.failedStage?.message.contains("AADSTS90002") == true)

            let forbidden = await AzureTester.test(target(subscription: Self.forbiddenSubscription))
            #expect(forbidden.failedStage?.stage == .authorize && forbidden.failedStage?.failure == .insufficientPrivileges)

            let refused = await AzureTester.test(target(subscription: Self.refusedTokenSubscription))
            #expect(refused.failedStage?.stage == .authenticate && refused.failedStage?.failure == .authFailed, "a 401 is not a privilege")

            let missing = await AzureTester.test(target(subscription: "12345678-1234-1234-1234-123456789012"))
            #expect(missing.failedStage?.stage == .objects && missing.failedStage?.failure == .notFound)

            for report in [passed, wrongSecret, unknownTenant, forbidden, missing] {
                let text = "\(report)"
                #expect(!text.contains(Self.secret) && !text.contains(Self.accessToken) && !text.contains("described here"))
            }
        }
    }
}

/// The server's port, known once it listens.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port = 0
    var value: Int {
        get { lock.withLock { port } }
        set { lock.withLock { port = newValue } }
    }
}
