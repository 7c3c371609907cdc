import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// The least-privilege preflight of an Azure service principal: its effective permissions on the subscription,
/// from Resource Manager's `GET /subscriptions/{id}/providers/Microsoft.Authorization/permissions`, against the
/// actions of Hitch's documented roles (`CloudPermissions.azure`). An action is granted when one permission entry
/// allows it (wildcards as Azure writes them) and that entry's `notActions` do not take it away.
public enum AzurePreflight {
    static let apiVersion = "2022-04-01"
    static let maximumPages = 20

    public static func check(_ target: AzureTarget, scope: PreflightScope, timeout: TimeAmount = .seconds(15)) async throws(PlatformSessionError) -> PreflightReport {
        try await PlatformSessionError.mapping(otherwise: StageFailure(.authorize, .error, "Resource Manager could not be asked")) {
            let token = try await CloudTokenLease.azure(target, scope: nil, timeout: timeout).accessToken
            let endpoints = AzureTester.clouds[target.cloud] ?? AzureTester.clouds["public"]!
            let arm = try HTTPSLocation(target.armEndpoint ?? URL(string: endpoints.arm)!)
            var warnings: [String] = []
            let entries: [PermissionEntry]
            do {
                entries = try await permissions(of: target, token: token, arm: arm, timeout: timeout)
            } catch let failure as StageFailure where failure.code == .insufficientPrivileges {
                warnings.append("the principal holds no role on subscription \(target.subscriptionId): nothing is granted")
                entries = []
            }
            return PreflightReport.checking(
                CloudPermissions.azure, administrative: CloudPermissions.azureAdministrative,
                isGranted: { action in entries.contains { $0.allows(action) } }, scope: scope,
                location: "subscription \(target.subscriptionId)", username: target.clientId, holder: "the principal", warnings: warnings
            ) { CloudRemedy.azure(scope: scope, subscriptionId: target.subscriptionId, clientId: target.clientId) }
        }
    }

    /// One entry of the permissions answer: what it allows, and what it takes away again.
    struct PermissionEntry {
        let actions: [String]
        let notActions: [String]

        func allows(_ action: String) -> Bool {
            actions.contains { Self.matches($0, action) } && !notActions.contains { Self.matches($0, action) }
        }

        /// Azure's action patterns: `*` stands for any run of characters, and case does not matter.
        static func matches(_ pattern: String, _ action: String) -> Bool {
            let parts = pattern.lowercased().split(separator: "*", omittingEmptySubsequences: false).map(String.init)
            var rest = Substring(action.lowercased())
            guard let first = parts.first, rest.hasPrefix(first) else { return false }
            rest = rest.dropFirst(first.count)
            if parts.count == 1 { return rest.isEmpty }
            for (index, part) in parts.enumerated().dropFirst() {
                if index == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
                guard let found = rest.range(of: part) else { return false }
                rest = rest[found.upperBound...]
            }
            return true
        }
    }

    private static func permissions(
        of target: AzureTarget, token: SecretValue, arm: HTTPSLocation, timeout: TimeAmount
    ) async throws -> [PermissionEntry] {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.exposedValue)")
        headers.add(name: "Accept", value: "application/json")
        var path = arm.path + "/subscriptions/" + FormEncoding.escape(target.subscriptionId)
            + "/providers/Microsoft.Authorization/permissions?api-version=\(apiVersion)"
        var entries: [PermissionEntry] = []
        for _ in 0..<maximumPages {
            let response = try await arm.send(.GET, path: path, headers: headers, body: nil, policy: target.tlsPolicy, timeout: timeout, stage: .authorize)
            switch response.status.code {
            case 200: break
            case 401: throw StageFailure(.authenticate, .authFailed, "Resource Manager refused the principal's access token")
            case 403: throw StageFailure(.authorize, .insufficientPrivileges, "the principal may not read its permissions")
            case 404: throw StageFailure(.objects, .notFound, "subscription \(target.subscriptionId) not found")
            default: throw StageFailure(.authorize, .error, "Resource Manager answered \(response.status.code)")
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
            for entry in object?["value"] as? [[String: Any]] ?? [] {
                entries.append(PermissionEntry(actions: entry["actions"] as? [String] ?? [], notActions: entry["notActions"] as? [String] ?? []))
            }
            // A next page is followed only on the same host: the token goes nowhere else.
            guard let next = (object?["nextLink"] as? String).flatMap(URL.init(string:)), next.host == arm.host,
                (next.port ?? 443) == arm.port
            else { break }
            path = next.path + (next.query.map { "?" + $0 } ?? "")
        }
        return entries
    }
}
