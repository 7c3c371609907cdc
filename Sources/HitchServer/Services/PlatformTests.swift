import Foundation
import HitchDomain
import HitchPlatforms
import NIOCore

/// Runs the platform's test for a connection's kind, with its fields and opened secrets.
enum PlatformTests {
    static let timeout: TimeAmount = .seconds(15)

    static func run(kind: ConnectionKind, fields: [String: FieldValue], secrets: [String: SecretValue]) async -> TestReport {
        func text(_ name: String) -> String? {
            if case .string(let value)? = fields[name], !value.isEmpty { return value }
            return nil
        }
        func flag(_ name: String) -> Bool {
            if case .boolean(let value)? = fields[name] { return value }
            return false
        }
        switch kind {
        case .vsphere:
            let objects = ["datacenter", "cluster", "host", "resourcePool", "datastore", "folder"]
                .reduce(into: [String: String]()) { $0[$1] = text($1) }
            return await VSphereTester.test(
                VSphereTarget(
                    vcenter: text("vcenter") ?? "", username: text("username") ?? "",
                    password: secrets["password"] ?? SecretValue(""), objects: objects, insecure: flag("insecure"),
                    thumbprint: text("thumbprint")),
                timeout: timeout)
        default:
            return TestReport.notBuilt(kind.rawValue)
        }
    }
}
