import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// The least-privilege preflight of a Google service account: `POST {api}/v1/projects/{id}:testIamPermissions`
/// with every permission of Hitch's documented roles (`CloudPermissions.gcp`); Google answers the subset the
/// caller holds on the project.
public enum GCPPreflight {
    public static func check(_ target: GCPTarget, scope: PreflightScope, timeout: TimeAmount = .seconds(15), now: Date = Date()) async throws(PlatformSessionError) -> PreflightReport {
        try await PlatformSessionError.mapping(otherwise: StageFailure(.authorize, .error, "Resource Manager could not be asked")) {
            let key = try ServiceAccountKey(target.serviceAccountKey)
            let token = try await CloudTokenLease.gcp(target, scope: nil, timeout: timeout, now: now).accessToken
            let asked = CloudPermissions.gcp.map(\.id) + CloudPermissions.gcpAdministrative
            let held = try await testIamPermissions(asked, of: target, token: token, timeout: timeout)
            return PreflightReport.checking(
                CloudPermissions.gcp, administrative: CloudPermissions.gcpAdministrative, isGranted: { held.contains($0) },
                scope: scope, location: "project \(target.projectId)", username: key.clientEmail, holder: "the service account"
            ) { CloudRemedy.gcp(scope: scope, projectId: target.projectId, clientEmail: key.clientEmail) }
        }
    }

    private static func testIamPermissions(
        _ permissions: [String], of target: GCPTarget, token: SecretValue, timeout: TimeAmount
    ) async throws -> Set<String> {
        let api = try HTTPSLocation(target.apiEndpoint ?? GCPTester.defaultAPI)
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.exposedValue)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["permissions": permissions]), as: UTF8.self)
        let response = try await api.send(
            .POST, path: api.path + "/v1/projects/" + FormEncoding.escape(target.projectId) + ":testIamPermissions",
            headers: headers, body: body, policy: target.tlsPolicy, timeout: timeout, stage: .authorize)
        switch response.status.code {
        case 200: break
        case 401: throw StageFailure(.authenticate, .authFailed, "Resource Manager refused the service account's access token")
        // As for a read, Google answers 403 alike for a missing project and one the account may not see.
        case 403, 404:
            throw StageFailure(
                .objects, .notFound,
                "project '\(target.projectId)' not found, or the service account holds nothing on it (Google answers the same)")
        default: throw StageFailure(.authorize, .error, "Resource Manager answered \(response.status.code)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        return Set(object?["permissions"] as? [String] ?? [])
    }
}
