import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchServer
@testable import HitchServices
import HitchStorage
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Runs `body` against the router of a started runtime on a new database of `backend`.
func withAPI(
    _ backend: TestBackend, environment: [String: String] = TestBackend.environment, clock: TestClock? = nil,
    _ body: @Sendable (any TestClientProtocol, HitchRuntime) async throws -> Void
) async throws {
    try await backend.withRuntime(environment: environment, clock: clock) { runtime, configuration in
        let app = try buildApplication(runtime: runtime, configuration: configuration, logger: TestBackend.logger)
        try await app.test(.router) { client in try await body(client, runtime) }
    }
}

extension TestClientProtocol {
    /// A request with the admin token and a JSON body; returns the status and the decoded JSON.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, token: String? = TestBackend.adminToken,
        headers extra: HTTPFields = [:]
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields, text: String) {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers, text)
        }
    }
}

enum Sample {
    static func vsphere(name: String = "prod-vcenter", password: String = "canary-vsphere-pw") -> [String: Any] {
        [
            "kind": "vsphere", "name": name, "description": "prod vCenter", "tags": ["prod", "migration"],
            "fields": ["vcenter": "vc01.corp.example", "username": "svc-hitch@vsphere.local", "datacenter": "DC1",
                       "cluster": "Prod", "insecure": false],
            "secrets": ["password": password],
        ]
    }
}

extension HitchRuntime {
    /// Records a preflight of the connection's current credential that found every privilege of the recommended
    /// role (capability migration), as a vCenter would answer for a full role: so a test may register migration
    /// jobs on a vSphere connection whose vCenter is not there.
    func recordFullPreflight(of name: String) async throws {
        try await store.write(logger: TestBackend.logger) { session in
            let record = try #require(try await session.connections.find(name: name))
            let checks = PrivilegeRequirement.recommended.map {
                PrivilegeCheck(id: $0.id, need: $0.need, usedFor: $0.usedFor, granted: true)
            }
            let report = PreflightReport(scope: .migration, datacenter: "DC1", username: "svc", privileges: checks, warnings: [])
            try await session.preflights.save(
                PreflightRecord(connectionId: record.id, credentialVersion: record.credentialVersion, checkedAt: Date(), report: report))
        }
    }
}
