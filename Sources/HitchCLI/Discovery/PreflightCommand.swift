import ArgumentParser
import Foundation
import HitchAPI

struct PreflightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check a vSphere account's privileges on its datacenter against the recommended role.",
        discussion: """
            Every privilege of the recommended role is listed as granted or missing with what it is used for; the
            resulting capability (none, discovery, migration) is saved on the connection. A migration job cannot
            be registered on a connection whose last preflight is below migration.
            Exit status: 0 when the scope's privileges are all granted, 3 when some are missing.
            """)

    @Argument(help: "The vSphere connection's name.") var name: String
    @Option(help: "discovery or migration.") var scope = "migration"
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let scope = Components.Schemas.PreflightScope(rawValue: scope) else {
            throw ValidationError("--scope must be discovery or migration")
        }
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.runPreflight(path: .init(name: name), query: .init(scope: scope)) }) {
        case .ok(let ok):
            let report = try ok.body.json
            if output.output == .json { try Printer.json(report) } else { Self.print(report) }
            if let missing = report.missing, !missing.isEmpty {
                throw CLIError(
                    "\(report.connection) lacks \(missing.count) privilege(s) for \(scope.rawValue)", exitCode: .testFailed)
            }
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }

    static func print(_ report: Components.Schemas.Preflight) {
        Printer.table(
            headers: ["PRIVILEGE", "NEEDED FOR", "RESULT", "USED FOR"],
            rows: report.privileges.map { [$0.id, $0.need.rawValue, $0.granted ? "granted" : "missing", $0.usedFor] })
        Swift.print("capability: \(report.capability.rawValue) (\(report.username) on datacenter \(report.datacenter))")
        for warning in report.warnings { Swift.print("warning: \(warning)") }
        if !report.remedy.isEmpty {
            Swift.print("to create the recommended role and grant it on the datacenter:")
            for command in report.remedy { Swift.print("  \(command)") }
        }
    }
}
