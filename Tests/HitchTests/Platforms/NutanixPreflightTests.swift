import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import Testing

/// The Nutanix preflight against a local server shaped like Prism Central: svc-hitch holds a viewer role that lists
/// clusters and hosts but not VMs; admin-user holds Super Admin. Through the API on both backends too: the report
/// is saved, a scope of another kind is refused, and an api-key has no preflight.
@Suite struct NutanixPreflightTests {
    static let password = "prism-preflight-pw-1"

    static var router: Router<BasicRequestContext> {
        let router = Router()
        @Sendable func user(_ request: Request) -> String? {
            for name in ["svc-hitch", "admin-user"] where request.headers[.authorization] == "Basic " + Data("\(name):\(password)".utf8).base64EncodedString() {
                return name
            }
            return nil
        }
        router.get("/api/nutanix/v3/users/me") { request, _ -> Response in
            guard let name = user(request) else { return NutanixTesterTests.json(.unauthorized, #"{"code":401}"#) }
            let acp = name == "admin-user" ? "00000000-0000-0000-0000-0000000000ad" : "00000000-0000-0000-0000-00000000000f"
            return NutanixTesterTests.json(.ok, #"{"status":{"name":"\#(name)","resources":{"access_control_policy_reference_list":[{"kind":"access_control_policy","uuid":"\#(acp)"}]}}}"#)
        }
        router.get("/api/nutanix/v3/access_control_policies/:uuid") { request, context -> Response in
            guard user(request) != nil else { return NutanixTesterTests.json(.unauthorized, #"{"code":401}"#) }
            let role = context.parameters.get("uuid")?.hasSuffix("ad") == true ? "Super Admin" : "Hitch Viewer"
            return NutanixTesterTests.json(.ok, #"{"spec":{"resources":{"role_reference":{"kind":"role","name":"\#(role)"}}}}"#)
        }
        for kind in ["clusters", "hosts", "vms"] {
            router.post("/api/nutanix/v3/\(kind)/list") { request, _ -> Response in
                guard let name = user(request) else { return NutanixTesterTests.json(.unauthorized, #"{"code":401}"#) }
                if kind == "vms" && name == "svc-hitch" { return NutanixTesterTests.json(.forbidden, #"{"code":403}"#) }
                return NutanixTesterTests.json(.ok, #"{"metadata":{"total_matches":0},"entities":[]}"#)
            }
        }
        return router
    }

    @Test func rolesAndTheListCalls() async throws {
        try await LocalTLSServer.run(Self.router) { server in
            func target(_ user: String) -> NutanixTarget {
                NutanixTarget(
                    endpoint: "127.0.0.1:\(server.port)", username: user, password: SecretValue(Self.password), clusterName: nil,
                    insecure: false, thumbprint: server.thumbprint)
            }
            let viewer = try await NutanixPreflight.check(target("svc-hitch"), scope: .discovery)
            #expect(viewer.missing.map(\.id) == ["POST /api/nutanix/v3/vms/list"] && viewer.capability == .none)
            #expect(viewer.warnings.contains { $0.contains("Hitch Viewer") } && viewer.remedy.first?.contains("View_Virtual_Machine") == true)
            let admin = try await NutanixPreflight.check(target("admin-user"), scope: .discovery)
            #expect(admin.missing.isEmpty && admin.capability == .discovery)
            #expect(admin.warnings.contains { $0.contains("far more than discovery needs (Super Admin)") }, "\(admin.warnings)")
            await #expect(throws: PlatformSessionError.self) { _ = try await NutanixPreflight.check(target("nobody"), scope: .discovery) }
        }
    }

    @Test(arguments: TestBackend.all)
    func throughTheAPI(backend: TestBackend) async throws {
        try await LocalTLSServer.run(Self.router) { server in
            try await withAPI(backend) { client, _ in
                #expect(try await client.call(.post, "/v1/connections", json: [
                    "kind": "nutanix", "name": "pc",
                    "fields": ["endpoint": "127.0.0.1:\(server.port)", "username": "svc-hitch", "thumbprint": server.thumbprint],
                    "secrets": ["password": Self.password],
                ]).status == .created)
                let refused = try await client.call(.post, "/v1/connections/pc/preflight?scope=images")
                #expect(refused.status == .badRequest && refused.text.contains("discovery"), "\(refused.text)")
                let ran = try await client.call(.post, "/v1/connections/pc/preflight")
                #expect(ran.status == .ok && ran.json["scope"] as? String == "discovery", "\(ran.text)")
                #expect(ran.json["missing"] as? [String] == ["POST /api/nutanix/v3/vms/list"])
                let saved = try await client.call(.get, "/v1/connections/pc/preflight")
                #expect(saved.json["missing"] as? [String] == ["POST /api/nutanix/v3/vms/list"] && !saved.text.contains(Self.password))
                let key = try await client.call(.post, "/v1/connections", json: ["kind": "api-key", "name": "agents", "fields": ["tokenType": "connector"]])
                #expect(key.status == .created)
                #expect(try await client.call(.post, "/v1/connections/agents/preflight").status == .badRequest)
            }
        }
    }
}
