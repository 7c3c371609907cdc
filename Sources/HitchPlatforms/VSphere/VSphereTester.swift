import Foundation
import HitchDomain
import NIOCore
import NIOSSL

/// What a vSphere test needs from a connection.
public struct VSphereTarget: Sendable {
    public var vcenter: String
    public var username: String
    public var password: SecretValue
    /// Inventory names to find, by field: datacenter, cluster, host, resourcePool, datastore, folder.
    public var objects: [String: String]
    public var insecure: Bool
    public var thumbprint: String?
    /// The certificate this connection first passed with, when it has no pin (see `EndpointProbe.remembered`).
    public var rememberedThumbprint: String?

    public init(
        vcenter: String, username: String, password: SecretValue, objects: [String: String], insecure: Bool,
        thumbprint: String?
    ) {
        self.vcenter = vcenter
        self.username = username
        self.password = password
        self.objects = objects
        self.insecure = insecure
        self.thumbprint = thumbprint
    }
}

/// Tests a vCenter connection in stages on its SOAP API: RetrieveServiceContent, Login, each named object found
/// exactly by its inventory name, Logout. After a failed login nothing is retried, so no account is locked out.
public enum VSphereTester {
    /// Field name, managed object type, and what a user calls it.
    static let objectTypes: [(field: String, type: String, label: String)] = [
        ("datacenter", "Datacenter", "datacenter"), ("cluster", "ClusterComputeResource", "cluster"),
        ("host", "HostSystem", "host"), ("resourcePool", "ResourcePool", "resource pool"),
        ("datastore", "Datastore", "datastore"), ("folder", "Folder", "folder"),
    ]

    public static func test(_ target: VSphereTarget, timeout: TimeAmount = .seconds(15)) async -> TestReport {
        await TestReport.run { report in
            let policy = TLSPolicy.of(insecure: target.insecure, thumbprint: target.thumbprint)
            if policy == .insecure { report.warnings.append("insecure is on: the server's certificate was not verified") }
            let (host, port) = Endpoint.split(target.vcenter, defaultPort: 443)
            let connection = try await EndpointProbe(
                host: host, port: port, policy: policy, timeout: timeout, remembered: target.rememberedThumbprint)
                .open(into: &report.stages)
            let session = VSphereSession(connection: connection)
            defer { session.shutdown() }
            try await stagesAfterTLS(target, session: session, into: &report.stages)
        }
    }

    private static func stagesAfterTLS(
        _ target: VSphereTarget, session: VSphereSession, into stages: inout [StageResult]
    ) async throws {
        let content: VSphereSession.ServiceContent
        do {
            content = try await session.retrieveServiceContent()
            try await session.login(content, username: target.username, password: target.password.exposedValue)
        } catch let fault as VSphereFault where fault.type == "InvalidLogin" {
            throw StageFailure(.authenticate, .authFailed, "vCenter refused the username or password (not retried)")
        } catch let fault as VSphereFault {
            throw StageFailure(.authenticate, .error, "vCenter answered \(fault.type) to the login")
        } catch {
            throw StageFailure(.authenticate, .timeout, "no answer from vCenter's /sdk")
        }
        stages.append(.ok(.authenticate, "logged in as \(target.username) (API \(content.apiVersion))"))
        do {
            try await inventoryStages(target, session: session, content: content, into: &stages)
        } catch {
            await session.logout(content)
            throw error
        }
        await session.logout(content)
    }

    /// Authorize (read the datacenters) and objects (find each named one, in the datacenter when one is named).
    private static func inventoryStages(
        _ target: VSphereTarget, session: VSphereSession, content: VSphereSession.ServiceContent,
        into stages: inout [StageResult]
    ) async throws {

        let datacenters = try await read(.authorize) {
            try await session.names(of: "Datacenter", under: content.rootFolder, content)
        }
        stages.append(.ok(.authorize, "read the inventory: \(datacenters.count) datacenter(s) visible"))

        var scope = content.rootFolder
        var found: [String] = []
        for (field, type, label) in objectTypes {
            guard let wanted = target.objects[field], !wanted.isEmpty else { continue }
            let candidates = field == "datacenter"
                ? datacenters : try await read(.objects) { try await session.names(of: type, under: scope, content) }
            if let match = candidates.first(where: { $0.1 == wanted }) {
                if field == "datacenter" { scope = match.0 }
                found.append("\(label) '\(wanted)'")
                continue
            }
            var message = "\(label) '\(wanted)' not found"
            if let near = candidates.first(where: { $0.1.lowercased() == wanted.lowercased() }) {
                message += "; did you mean '\(near.1)'?"
            }
            throw StageFailure(.objects, .notFound, message)
        }
        stages.append(.ok(.objects, found.isEmpty ? "no inventory objects named" : "found " + found.joined(separator: ", ")))
    }

    /// An inventory read after the login. A refusal is a privilege failure of `stage`, another fault its error, and
    /// no answer (vCenter stopped, or the connection dropped) a timeout, as at the login.
    private static func read<Value>(_ stage: TestStage, _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let fault as VSphereFault where ["NoPermission", "NotAuthenticated"].contains(fault.type) {
            throw StageFailure(stage, .insufficientPrivileges, "the account cannot read the inventory (\(fault.type))")
        } catch let fault as VSphereFault {
            throw StageFailure(stage, .error, "vCenter answered \(fault.type) to an inventory read")
        } catch {
            throw StageFailure(stage, .timeout, "no answer from vCenter's /sdk after the login")
        }
    }
}
