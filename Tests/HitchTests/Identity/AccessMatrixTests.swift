import Foundation
import HTTPTypes
import HitchAPIDocument
@testable import HitchHTTP
import HummingbirdTesting
import Testing

/// Every operation of openapi.yaml against the role table (S5): no token, a bad, revoked or expired token, and
/// each role. An operation missing from the table, or a table entry missing from the document, fails here.
@Suite struct AccessMatrixTests {
    struct Operation: CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        let id: String
        var description: String { "\(method) \(path) (\(id))" }
    }

    /// Which roles each operation allows; `nil` is an operation that needs no token. Written out here, apart from
    /// the server's table, so that a change to either shows.
    static let expected: [String: Set<String>?] = {
        let everyone: Set<String> = ["admin", "operator", "auditor", "viewer", "consumer"]
        let lessees: Set<String> = ["admin", "consumer"]
        let changers: Set<String> = ["admin", "operator"]
        let auditors: Set<String> = ["admin", "auditor"]
        let admins: Set<String> = ["admin"]
        return [
            "getHealth": nil, "getReadiness": nil, "login": nil,
            "logout": everyone, "whoami": everyone, "listTokens": everyone, "createToken": everyone,
            "revokeToken": everyone,
            "listConnectionKinds": everyone, "listConnections": everyone, "getConnection": everyone,
            "listConnectionVersions": everyone,
            "createConnection": changers, "updateConnection": changers, "rotateOnPlatform": changers, "deleteConnection": changers,
            "testConnection": changers, "testCandidateConnection": changers, "testConnections": changers,
            "getConnectionReferences": everyone, "listJobs": everyone, "getJob": everyone, "startJob": changers,
            "finishJob": changers, "cancelJob": changers, "startDiscovery": changers, "getInventory": everyone,
            "getPreflight": everyone, "runPreflight": changers, "listAssignments": everyone, "addAssignment": changers, "removeAssignment": changers,
            "listUsers": admins, "getUser": admins, "createUser": admins, "updateUser": admins,
            "listAuditEvents": auditors, "exportAuditEvents": auditors, "verifyAuditLog": auditors,
            "takeBackup": admins, "getKeyStatus": admins, "rotateMasterKey": admins, "retireMasterKey": admins, "rekeyKeyring": admins,
            "createLease": lessees, "verifyAPIKey": lessees, "listLeases": everyone, "getLease": everyone, "revokeLease": everyone,
            "listConnectionTests": everyone, "trustCertificate": changers,
            "listWebhooks": admins, "createWebhook": admins, "deleteWebhook": admins, "listWebhookDeliveries": admins,
        ]
    }()

    /// The operations as openapi.yaml declares them.
    static func documentOperations() throws -> [Operation] {
        var operations: [Operation] = []
        var path: String?
        var method: HTTPRequest.Method?
        for line in try OpenAPIDocument.text().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                method = HTTPRequest.Method(line.trimmingCharacters(in: .whitespaces).dropLast().uppercased())
            } else if line.hasPrefix("components:") {
                break
            } else if let path, let method, line.hasPrefix("      operationId: ") {
                operations.append(Operation(method: method, path: path, id: String(line.dropFirst("      operationId: ".count))))
            }
        }
        return operations
    }

    @Test func everyOperationIsInTheTable() throws {
        let ids = Set(try Self.documentOperations().map(\.id))
        #expect(ids.count > 20)
        #expect(ids == Set(Self.expected.keys), "operations without an expected rule: \(ids.subtracting(Self.expected.keys))")
        #expect(ids == Set(AccessPolicy.rules.keys), "the server's table and the document differ")
    }

    @Test(arguments: TestBackend.all)
    func rolesAndTokens(backend: TestBackend) async throws {
        let operations = try Self.documentOperations()
        try await withAPI(backend) { client, runtime in
            let now = Date()
            let badTokens: [(String, String?)] = [
                ("no token", nil),
                ("a malformed token", "not-a-token"),
                ("a revoked token", try await TestIdentities.token(role: "admin", in: runtime, revoked: true).token),
                ("an expired token", try await TestIdentities.token(role: "admin", in: runtime, expiresAt: now.addingTimeInterval(-1)).token),
            ]
            for operation in operations {
                let uri = operation.path.replacingOccurrences(of: "{name}", with: "nothing-here")
                    .replacingOccurrences(of: "{id}", with: "nothing-here")
                let json: [String: Any]? = [.post, .patch, .put].contains(operation.method) ? [:] : nil
                let allowed = try #require(Self.expected[operation.id], "\(operation)")
                for (label, token) in badTokens {
                    let status = try await client.call(operation.method, uri, json: json, token: token).status
                    if allowed == nil {
                        #expect(status != .unauthorized && status != .forbidden, "\(operation) with \(label): \(status)")
                    } else {
                        #expect(status == .unauthorized, "\(operation) with \(label): \(status)")
                    }
                }
                for role in ["admin", "operator", "auditor", "viewer", "consumer"] {
                    // A fresh token each time: logout revokes the one it is called with.
                    let token = try await TestIdentities.token(role: role, in: runtime).token
                    let status = try await client.call(operation.method, uri, json: json, token: token).status
                    if allowed?.contains(role) ?? true {
                        #expect(status != .unauthorized && status != .forbidden, "\(operation) as \(role): \(status)")
                    } else {
                        #expect(status == .forbidden, "\(operation) as \(role): \(status)")
                    }
                }
            }
        }
    }
}
