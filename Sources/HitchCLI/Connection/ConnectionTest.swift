import ArgumentParser
import Foundation
import HitchAPI

struct ConnectionTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Test a saved connection against its platform, stage by stage; exit 3 when a stage fails.",
        discussion: "Stages: resolve, connect, tls, authenticate, authorize, objects. The result is saved on the connection.")

    @Argument(help: "The connection's name.") var name: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let result: Components.Schemas.TestResult
        switch try await APIClient.call({ try await client.testConnection(path: .init(name: name)) }) {
        case .ok(let ok): result = try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        try TestResultPrinter.print(result, name: name, format: output.output)
    }
}

enum TestResultPrinter {
    /// Each stage with ok or its failure; exit 3 when one failed. Before a save whose own output is JSON, the
    /// stages go to stderr so that stdout stays one JSON document.
    static func print(
        _ result: Components.Schemas.TestResult, name: String, format: OutputFormat, beforeSaving: Bool = false,
        toStandardError: Bool = false
    ) throws {
        if format == .json {
            try Printer.json(result)
        } else if toStandardError {
            for stage in result.stages {
                Printer.warn("test \(stage.stage.rawValue): \(stage.ok ? "ok" : stage.code?.rawValue ?? "failed") \(stage.message)")
            }
        } else {
            Printer.table(
                headers: ["STAGE", "RESULT", "DETAIL"],
                rows: result.stages.map { stage in
                    var detail = stage.message
                    if let certificate = stage.certificate, !stage.ok {
                        detail += " (presented SHA-256 \(certificate.thumbprint), \(certificate.subject), expires \(Printer.time(certificate.notAfter)))"
                    }
                    return [stage.stage.rawValue, stage.ok ? "ok" : (stage.code?.rawValue ?? "failed"), detail]
                })
            for warning in result.warnings { Printer.warn(warning) }
        }
        if !result.passed {
            throw CLIError(
                "connection \(name) failed its test" + (beforeSaving ? "; nothing was saved" : ""), exitCode: .testFailed)
        }
    }
}
