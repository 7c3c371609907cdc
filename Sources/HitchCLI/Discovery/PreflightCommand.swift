import ArgumentParser
import Foundation
import HitchAPI

struct PreflightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check a connection's account against Hitch's documented least-privilege role, on the platform.",
        discussion: """
            vsphere: the recommended role's privileges on the datacenter; the resulting capability (none,
            discovery, migration) is saved on the connection, and a migration job cannot be registered on a
            connection whose last preflight is below migration. azure: the principal's permissions on the
            subscription; gcp: testIamPermissions on the project; aws-*: iam:SimulatePrincipalPolicy for the key's
            user or the role; nutanix: the v3 list calls discovery makes, and the account's Prism roles. Each entry
            is granted, missing or unknown (the platform would not tell), with what it is used for, and the remedy
            (az, gcloud, the IAM policy, govc and PowerCLI) when something is missing.
            Exit status: 0 when the scope's privileges are all granted, 3 when some are missing or unknown.
            """)

    @Argument(help: "The connection's name.") var name: String
    @Option(help: "vsphere: migration (default) or discovery; azure, gcp, aws-*: images (default) or scripted-actions; nutanix: discovery.")
    var scope: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let scope = try scope.map { text in
            guard let scope = Components.Schemas.PreflightScope(rawValue: text) else {
                throw ValidationError("--scope must be discovery, migration, images or scripted-actions")
            }
            return scope
        }
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.runPreflight(path: .init(name: name), query: .init(scope: scope)) }) {
        case .ok(let ok):
            let report = try ok.body.json
            if output.output == .json { try Printer.json(report) } else { Self.print(report) }
            let missing = report.missing ?? []
            let unknown = report.unknown ?? []
            if !missing.isEmpty || !unknown.isEmpty {
                let parts = [missing.isEmpty ? nil : "lacks \(missing.count)", unknown.isEmpty ? nil : "could not be checked for \(unknown.count)"]
                throw CLIError(
                    "\(report.connection) \(parts.compactMap { $0 }.joined(separator: " and ")) privilege(s) for \(report.scope.rawValue)",
                    exitCode: .testFailed)
            }
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }

    static func print(_ report: Components.Schemas.Preflight) {
        Printer.table(
            headers: ["PRIVILEGE", "NEEDED FOR", "RESULT", "USED FOR"],
            rows: report.privileges.map { [$0.id, $0.need.rawValue, result(of: $0), $0.usedFor] })
        Swift.print("capability: \(report.capability.rawValue) (\(report.username) on \(report.datacenter), scope \(report.scope.rawValue))")
        for warning in report.warnings { Swift.print("warning: \(warning)") }
        if !report.remedy.isEmpty {
            Swift.print("to create the role and grant it:")
            for command in report.remedy { Swift.print("  \(command)") }
        }
    }

    static func result(of privilege: Components.Schemas.Preflight.PrivilegesPayloadPayload) -> String {
        guard privilege.checked else { return "unknown" }
        return privilege.granted ? "granted" : "missing"
    }
}
