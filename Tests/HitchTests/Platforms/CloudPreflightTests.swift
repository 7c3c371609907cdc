import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import Testing
import _CryptoExtras

/// The cloud kinds' least-privilege preflights against local servers shaped like each platform's API: Azure's
/// permissions answer (with wildcards and notActions), Google's testIamPermissions, IAM's SimulatePrincipalPolicy
/// (and, against moto with signature checking on, an identity that may not simulate), and Prism Central's roles.
@Suite struct CloudPreflightTests {
    @Test func azureWildcardsAndNotActions() {
        let entry = AzurePreflight.PermissionEntry(
            actions: ["Microsoft.Compute/*", "*/read"], notActions: ["Microsoft.Compute/virtualMachines/runCommand/*"])
        #expect(entry.allows("Microsoft.Compute/images/write") && entry.allows("microsoft.compute/Disks/WRITE"), "case does not matter")
        #expect(entry.allows("Microsoft.Network/virtualNetworks/read"))
        #expect(!entry.allows("Microsoft.Network/networkInterfaces/write"))
        #expect(!entry.allows("Microsoft.Compute/virtualMachines/runCommand/action"), "notActions take it away")
        #expect(AzurePreflight.PermissionEntry.matches("*", "anything/at/all"))
        #expect(!AzurePreflight.PermissionEntry.matches("a*a", "a") && AzurePreflight.PermissionEntry.matches("a*b*c", "aXbYc"))
    }

    /// The token endpoint of AzureTesterTests, and the permissions of the subscription: Compute and Network
    /// wholesale, without runCommand; the "owner" subscription answers `*`.
    static func azureRouter(port: PortBox) -> Router<BasicRequestContext> {
        let router = AzureTesterTests.router(port: { port.value })
        router.get("/subscriptions/:id/providers/Microsoft.Authorization/permissions") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(AzureTesterTests.accessToken)",
                request.uri.queryParameters["api-version"] == "2022-04-01"
            else { return AzureTesterTests.json(.unauthorized, #"{"error":{"code":"InvalidAuthenticationToken"}}"#) }
            if context.parameters.get("id") == AzureTesterTests.forbiddenSubscription {
                return AzureTesterTests.json(.ok, #"{"value":[{"actions":["*"],"notActions":[],"dataActions":[],"notDataActions":[]}]}"#)
            }
            return AzureTesterTests.json(.ok, """
                {"value":[
                  {"actions":["Microsoft.Compute/*","Microsoft.Network/*","Microsoft.Resources/subscriptions/resourceGroups/read"],
                   "notActions":["Microsoft.Compute/virtualMachines/runCommand/action"],"dataActions":[],"notDataActions":[]}]}
                """)
        }
        return router
    }

    @Test func azurePermissionsOnTheSubscription() async throws {
        let port = PortBox()
        try await LocalTLSServer.run(Self.azureRouter(port: port)) { server in
            port.value = server.port
            let local = URL(string: "https://127.0.0.1:\(server.port)")!
            func target(_ subscription: String = AzureTesterTests.subscription) -> AzureTarget {
                AzureTarget(
                    tenantId: AzureTesterTests.tenant, clientId: AzureTesterTests.client, clientSecret: SecretValue(AzureTesterTests.secret),
                    subscriptionId: subscription, cloud: "public", authorityHost: local, armEndpoint: local,
                    tlsPolicy: .pinned(thumbprint: server.thumbprint))
            }
            let images = try await AzurePreflight.check(target(), scope: .images)
            #expect(images.missing.isEmpty && images.remedy.isEmpty, "\(images.missing.map(\.id))")
            #expect(images.datacenter == "subscription \(AzureTesterTests.subscription)" && images.username == AzureTesterTests.client)
            let scripts = try await AzurePreflight.check(target(), scope: .scriptedActions)
            #expect(scripts.missing.map(\.id) == ["Microsoft.Compute/virtualMachines/runCommand/action"])
            #expect(scripts.remedy.first?.hasPrefix("az role definition create") == true && scripts.remedy.last?.contains("--assignee \(AzureTesterTests.client)") == true)
            #expect(scripts.warnings.isEmpty)
            let owner = try await AzurePreflight.check(target(AzureTesterTests.forbiddenSubscription), scope: .images)
            #expect(owner.missing.isEmpty && owner.warnings.contains { $0.contains("looks like an administrator") }, "\(owner.warnings)")
            await #expect(throws: PlatformSessionError.self) {
                var wrong = target()
                wrong.clientSecret = SecretValue("not-the-secret")
                _ = try await AzurePreflight.check(wrong, scope: .images)
            }
            #expect(!"\(scripts)".contains(AzureTesterTests.accessToken))
        }
    }

    /// GCPTesterTests' token endpoint, and testIamPermissions that holds the discovery and image permissions.
    static func gcpRouter(publicKey: _RSA.Signing.PublicKey, port: PortBox) -> Router<BasicRequestContext> {
        let router = GCPTesterTests.router(publicKey: publicKey, port: port)
        router.post("/v1/projects/:id") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(GCPTesterTests.accessToken)" else {
                return GCPTesterTests.json(.unauthorized, #"{"error":{"code":401}}"#)
            }
            guard context.parameters.get("id") == "proj-local:testIamPermissions" else {
                return GCPTesterTests.json(.forbidden, #"{"error":{"code":403,"status":"PERMISSION_DENIED"}}"#)
            }
            let body = try await request.body.collect(upTo: 1 << 16)
            let asked = (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["permissions"] as? [String] ?? []
            let held = asked.filter { $0.hasPrefix("compute.images.") || $0.hasPrefix("compute.zones.") || $0 == "compute.instances.list"
                || $0 == "compute.instances.create" || $0 == "compute.instances.delete" || $0 == "compute.disks.create"
                || $0 == "compute.subnetworks.use" }
            let data = try JSONSerialization.data(withJSONObject: ["permissions": held])
            return GCPTesterTests.json(.ok, String(decoding: data, as: UTF8.self))
        }
        return router
    }

    @Test func gcpTestIamPermissionsOnTheProject() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let port = PortBox()
        try await LocalTLSServer.run(Self.gcpRouter(publicKey: key.publicKey, port: port)) { server in
            port.value = server.port
            func target(_ project: String = "proj-local") throws -> GCPTarget {
                GCPTarget(
                    projectId: project, serviceAccountKey: SecretValue(try GCPTesterTests.keyFile(key, port: server.port)),
                    apiEndpoint: URL(string: "https://127.0.0.1:\(server.port)")!, tlsPolicy: .pinned(thumbprint: server.thumbprint))
            }
            let images = try await GCPPreflight.check(try target(), scope: .images)
            #expect(images.missing.isEmpty && images.username == GCPTesterTests.email, "\(images.missing.map(\.id))")
            let scripts = try await GCPPreflight.check(try target(), scope: .scriptedActions)
            #expect(Set(scripts.missing.map(\.id)) == ["compute.instances.get", "compute.instances.setMetadata"])
            #expect(scripts.remedy.first?.hasPrefix("gcloud iam roles create hitchScriptedActions --project=proj-local") == true)
            #expect(scripts.remedy.last?.contains("serviceAccount:\(GCPTesterTests.email)") == true)
            await #expect(throws: PlatformSessionError.self, "a project it may not see") {
                _ = try await GCPPreflight.check(try target("proj-secret"), scope: .images)
            }
        }
    }
}
