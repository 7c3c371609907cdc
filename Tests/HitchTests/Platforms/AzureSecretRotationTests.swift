import Foundation
import HitchDomain
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// An azure client secret rotated through a local server that follows Microsoft's documented formats for Entra ID's
/// token endpoint, Resource Manager and Microsoft Graph (`applications(appId='...')`, `addPassword`,
/// `removePassword`): the calls come in order with a token whose scope is Graph's, the old password is removed by
/// its key id, a failure after the addition removes the new one, and the current secret's end is read.
@Suite struct AzureSecretRotationTests {
    static let tenant = AzureTesterTests.tenant
    static let client = AzureTesterTests.client
    static let objectId = "0d1a5a3b-1111-2222-3333-444455556666"

    /// Entra ID's, Resource Manager's and Graph's state: the application's passwords and the calls made.
    final class Directory: Sendable {
        struct Password: Sendable { let keyId: String; let secret: String; let endsAt: String }
        let state = Mutex<(passwords: [Password], calls: [String])>(
            ([Password(keyId: "k-old", secret: AzureTesterTests.secret, endsAt: "2027-01-15T10:00:00Z")], []))
        var passwords: [Password] { state.withLock { $0.passwords } }
        var calls: [String] { state.withLock { $0.calls } }
        func record(_ call: String) { state.withLock { $0.calls.append(call) } }
    }

    static func router(_ directory: Directory, port: @escaping @Sendable () -> Int) -> Router<BasicRequestContext> {
        let router = Router()
        let armToken = "arm-token-local", graphToken = "graph-token-local"
        router.post("/:tenant/oauth2/v2.0/token") { request, context -> Response in
            let form = FormFields.dictionary(String(buffer: try await request.body.collect(upTo: 1 << 16)))
            guard context.parameters.get("tenant") == tenant, form["client_id"] == client, form["grant_type"] == "client_credentials" else {
                return AzureTesterTests.entraError(400, "invalid_request", 900144)
            }
            guard directory.passwords.contains(where: { $0.secret == form["client_secret"] }) else {
                return AzureTesterTests.entraError(401, "invalid_client", 7000215)
            }
            let token: String
            switch form["scope"] {
            case "https://127.0.0.1:\(port())/.default": token = armToken
            case "https://127.0.0.1:\(port())/graph/.default": token = graphToken
            default: return AzureTesterTests.entraError(400, "invalid_scope", 70011)
            }
            return AzureTesterTests.json(.ok, #"{"token_type":"Bearer","expires_in":3599,"access_token":"\#(token)"}"#)
        }
        router.get("/subscriptions/:id") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer \(armToken)" else { return AzureTesterTests.json(.unauthorized, "{}") }
            return AzureTesterTests.json(.ok, #"{"subscriptionId":"\#(AzureTesterTests.subscription)","displayName":"Prod","state":"Enabled"}"#)
        }
        @Sendable func graphRefusal(_ request: Request) -> Response? {
            request.headers[.authorization] == "Bearer \(graphToken)"
                ? nil : AzureTesterTests.json(.unauthorized, #"{"error":{"code":"InvalidAuthenticationToken"}}"#)
        }
        router.get("/graph/v1.0/**") { request, _ -> Response in
            if let refusal = graphRefusal(request) { return refusal }
            guard request.uri.path == "/graph/v1.0/applications(appId='\(client)')" else { return AzureTesterTests.json(.notFound, "{}") }
            directory.record("get-application")
            let passwords = directory.passwords.map {
                #"{"keyId":"\#($0.keyId)","hint":"\#($0.secret.prefix(3))","displayName":null,"endDateTime":"\#($0.endsAt)","secretText":null}"#
            }
            return AzureTesterTests.json(.ok, #"{"id":"\#(objectId)","appId":"\#(client)","passwordCredentials":[\#(passwords.joined(separator: ","))]}"#)
        }
        router.post("/graph/v1.0/applications/:id/addPassword") { request, context -> Response in
            if let refusal = graphRefusal(request) { return refusal }
            guard context.parameters.get("id") == objectId else { return AzureTesterTests.json(.notFound, "{}") }
            let body = try JSONSerialization.jsonObject(with: Data(String(buffer: try await request.body.collect(upTo: 1 << 16)).utf8)) as? [String: Any]
            guard let credential = body?["passwordCredential"] as? [String: Any], let ends = credential["endDateTime"] as? String else {
                return AzureTesterTests.json(.badRequest, "{}")
            }
            let password = Directory.Password(keyId: "k-\(UUID().uuidString.prefix(8))", secret: "Nw8~" + UUID().uuidString, endsAt: ends)
            directory.state.withLock { $0.passwords.append(password); $0.calls.append("add-password") }
            return AzureTesterTests.json(.ok, #"{"keyId":"\#(password.keyId)","secretText":"\#(password.secret)","hint":"Nw8","endDateTime":"\#(ends)"}"#)
        }
        router.post("/graph/v1.0/applications/:id/removePassword") { request, _ -> Response in
            if let refusal = graphRefusal(request) { return refusal }
            let body = try JSONSerialization.jsonObject(with: Data(String(buffer: try await request.body.collect(upTo: 1 << 16)).utf8)) as? [String: Any]
            let keyId = body?["keyId"] as? String ?? ""
            directory.state.withLock { state in
                state.passwords.removeAll { $0.keyId == keyId }
                state.calls.append("remove-password \(keyId)")
            }
            return Response(status: .noContent)
        }
        return router
    }

    static func target(port: Int, thumbprint: String, secret: String = AzureTesterTests.secret) -> AzureTarget {
        let local = URL(string: "https://127.0.0.1:\(port)")!
        return AzureTarget(
            tenantId: tenant, clientId: client, clientSecret: SecretValue(secret), subscriptionId: AzureTesterTests.subscription,
            cloud: "public", authorityHost: local, armEndpoint: local, graphEndpoint: local.appendingPathComponent("graph"),
            tlsPolicy: .pinned(thumbprint: thumbprint))
    }

    @Test func aRotationAddsThenRemovesTheOldPassword() async throws {
        let directory = Directory()
        let port = PortBox()
        try await LocalTLSServer.run(Self.router(directory, port: { port.value })) { server in
            port.value = server.port
            let old = Self.target(port: server.port, thumbprint: server.thumbprint)
            #expect(await AzureSecretRotation.secretEnd(old) == ISO8601DateFormatter().date(from: "2027-01-15T10:00:00Z"))
            let prepared = try await AzureSecretRotation.prepare(old, lifetimeDays: 30)
            #expect(prepared.applicationId == Self.objectId && prepared.oldKeyId == "k-old")
            try await AzureSecretRotation.finish(prepared, target: old)
            // Each test of a secret reads its end as well (get-application); the changes come in this order.
            #expect(directory.calls.filter { $0 != "get-application" } == ["add-password", "remove-password k-old"], "\(directory.calls)")
            #expect(directory.calls.prefix(2) == ["get-application", "get-application"])
            #expect(directory.passwords.map(\.keyId) == [prepared.newKeyId])
            let ends = try #require(prepared.newEndsAt)
            #expect(abs(ends.timeIntervalSinceNow - 30 * 86_400) < 120, "the new secret ends after the maximum age")
            #expect(await AzureTester.test(prepared.target(from: old)).passed)
            #expect(await AzureTester.test(old).failedStage?.failure == .authFailed, "the old secret is refused")
        }
    }

    @Test func aFailureAfterTheAdditionRemovesTheNewPassword() async throws {
        let directory = Directory()
        let port = PortBox()
        struct Injected: Error {}
        try await LocalTLSServer.run(Self.router(directory, port: { port.value })) { server in
            port.value = server.port
            let old = Self.target(port: server.port, thumbprint: server.thumbprint)
            do {
                _ = try await AzureSecretRotation.prepare(old, lifetimeDays: 30, afterCreate: { throw Injected() })
                Issue.record("the injected failure was not reported")
            } catch let error as RotationFailure {
                #expect(error.step == "after-create")
            }
            #expect(directory.passwords.map(\.keyId) == ["k-old"])
            #expect(directory.calls.first == "get-application" && directory.calls.last?.hasPrefix("remove-password k-") == true)
            #expect(directory.calls.last != "remove-password k-old")
            #expect(await AzureTester.test(old).passed)
        }
    }
}
