import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// The least-privilege preflight of a Prism Central account: the roles Prism grants it (`GET /users/me`, then each
/// access control policy's role), and, for discovery, whether it may make the v3 list calls that discovery makes
/// (answered 200, or 403 when the role lacks them). A role named like Prism's administrators is reported as far
/// more than discovery needs.
public enum NutanixPreflight {
    public static var requirements: [PrivilegeRequirement] { CloudPermissions.nutanix }
    static let administrativeRoles = ["Super Admin", "Prism Admin", "Cluster Admin"]

    public static func check(_ target: NutanixTarget, scope: PreflightScope, timeout: TimeAmount = .seconds(15)) async throws(PlatformSessionError) -> PreflightReport {
        let (host, port) = Endpoint.split(target.endpoint, defaultPort: NutanixTester.defaultPort)
        let connection = try await open(host: host, port: port, target: target, timeout: timeout)
        defer { connection.close() }
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Basic " + Data("\(target.username):\(target.password.exposedValue)".utf8).base64EncodedString())
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        do {
            let roles = try await roleNames(connection: connection, headers: headers)
            var checks: [PrivilegeCheck] = []
            for requirement in requirements {
                let kind = requirement.id.split(separator: "/").dropLast().last.map { String($0.dropLast()) } ?? ""
                let response = try await connection.send(
                    .POST, path: String(requirement.id.dropFirst("POST ".count)), headers: headers,
                    body: ByteBuffer(string: #"{"kind":"\#(kind)","length":1}"#))
                if response.status.code == 401 { throw StageFailure(.authenticate, .authFailed, "Prism refused the username or password") }
                checks.append(PrivilegeCheck(id: requirement.id, need: requirement.need, usedFor: requirement.usedFor, granted: response.status.code == 200))
            }
            var warnings: [String] = []
            if !roles.isEmpty { warnings.append("Prism grants the account the role(s) \(roles.joined(separator: ", "))") }
            let administrative = roles.filter { administrativeRoles.contains($0) }
            if !administrative.isEmpty {
                warnings.append(
                    "the account holds far more than discovery needs (\(administrative.joined(separator: ", "))): "
                        + "use a dedicated account with a role of the View permissions above")
            }
            if target.insecure { warnings.append("insecure is on: Prism Central's certificate is not verified") }
            var report = PreflightReport(
                scope: scope, datacenter: "Prism Central \(host)", username: target.username, privileges: checks, warnings: warnings)
            if !report.missing.isEmpty {
                report.remedy = [
                    "in Prism Central, create a role with View_Cluster, View_Host and View_Virtual_Machine, "
                        + "and assign it to \(target.username) (Administration > Roles > Create Role, then Manage Assignment)"
                ]
            }
            return report
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(StageFailure(.authorize, .timeout, "no answer from Prism's v3 API"))
        }
    }

    private static func open(host: String, port: Int, target: NutanixTarget, timeout: TimeAmount) async throws(PlatformSessionError) -> PolicyHTTPSConnection {
        do {
            return try await PolicyHTTPSConnection.connect(
                host: host, port: port, policy: TLSPolicy.of(insecure: target.insecure, thumbprint: target.thumbprint), timeout: timeout,
                remembered: target.rememberedThumbprint, stage: .connect)
        } catch let failure {
            throw PlatformSessionError(failure)
        }
    }

    /// The names of the roles Prism's access control policies grant the account.
    private static func roleNames(connection: PolicyHTTPSConnection, headers: HTTPHeaders) async throws -> [String] {
        let me = try await connection.send(.GET, path: "/api/nutanix/v3/users/me", headers: headers, body: nil)
        switch me.status.code {
        case 200: break
        case 401: throw StageFailure(.authenticate, .authFailed, "Prism refused the username or password")
        default: throw StageFailure(.authenticate, .error, "Prism answered \(me.status.code) for the account itself")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(me.body.readableBytesView))) as? [String: Any]
        let resources = (object?["status"] as? [String: Any])?["resources"] as? [String: Any]
        let policies = resources?["access_control_policy_reference_list"] as? [[String: Any]] ?? []
        var roles: [String] = []
        for policy in policies.prefix(50) {
            guard let uuid = policy["uuid"] as? String, uuid.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { continue }
            let answer = try await connection.send(.GET, path: "/api/nutanix/v3/access_control_policies/\(uuid)", headers: headers, body: nil)
            guard answer.status.code == 200,
                let acp = (try? JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView))) as? [String: Any],
                let role = (((acp["spec"] as? [String: Any])?["resources"] as? [String: Any])?["role_reference"] as? [String: Any])?["name"] as? String
            else { continue }
            if !roles.contains(role) { roles.append(role) }
        }
        return roles
    }
}
