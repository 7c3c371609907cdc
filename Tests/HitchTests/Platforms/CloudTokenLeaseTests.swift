import Foundation
import HitchDomain
import HitchPlatforms
import Hummingbird
import Testing
import _CryptoExtras

/// Azure and Google Cloud leases against the local servers that follow Entra ID's and Google's token formats: they
/// check the grant type, the scope and (Google) the signed assertion Hitch sends, and answer an access token.
@Suite struct CloudTokenLeaseTests {
    @Test func azureClientCredentialsForTheScope() async throws {
        let port = PortBox()
        try await LocalTLSServer.run(AzureTesterTests.router(port: { port.value })) { server in
            port.value = server.port
            let local = URL(string: "https://127.0.0.1:\(server.port)")!
            let target = AzureTarget(
                tenantId: AzureTesterTests.tenant, clientId: AzureTesterTests.client,
                clientSecret: SecretValue(AzureTesterTests.secret), subscriptionId: AzureTesterTests.subscription,
                cloud: "public", authorityHost: local, armEndpoint: local, tlsPolicy: .pinned(thumbprint: server.thumbprint))
            let token = try await CloudTokenLease.azure(target, scope: nil)
            #expect(token.accessToken.exposedValue == AzureTesterTests.accessToken && token.scope == "https://127.0.0.1:\(server.port)/.default")
            // The server takes Resource Manager's scope only: another scope is sent as asked, and refused there.
            await #expect(throws: PlatformSessionError.self) {
                _ = try await CloudTokenLease.azure(target, scope: "https://graph.microsoft.com/.default")
            }
        }
    }

    @Test func googleJWTBearerForTheScope() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let port = PortBox()
        try await LocalTLSServer.run(GCPTesterTests.router(publicKey: key.publicKey, port: port)) { server in
            port.value = server.port
            let target = GCPTarget(
                projectId: "proj-local", serviceAccountKey: SecretValue(try GCPTesterTests.keyFile(key, port: server.port)),
                tlsPolicy: .pinned(thumbprint: server.thumbprint))
            let token = try await CloudTokenLease.gcp(target, scope: nil)
            #expect(token.accessToken.exposedValue == GCPTesterTests.accessToken && token.scope.hasSuffix("/cloud-platform"))
            await #expect(throws: PlatformSessionError.self, "the assertion carries the scope asked for") {
                _ = try await CloudTokenLease.gcp(target, scope: "https://www.googleapis.com/auth/devstorage.read_only")
            }
            let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let wrongKey = GCPTarget(
                projectId: "proj-local", serviceAccountKey: SecretValue(try GCPTesterTests.keyFile(other, port: server.port)),
                tlsPolicy: .pinned(thumbprint: server.thumbprint))
            await #expect(throws: PlatformSessionError.self, "an assertion signed by another key is refused") {
                _ = try await CloudTokenLease.gcp(wrongKey, scope: nil)
            }
        }
    }
}
