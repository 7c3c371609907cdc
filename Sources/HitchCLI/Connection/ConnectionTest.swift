import ArgumentParser
import Foundation
import HitchAPI
import OpenAPIRuntime

struct ConnectionTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Test connections against their platforms, stage by stage; exit 3 when one fails.",
        discussion: """
            Stages: resolve, proxy (through HTTPS_PROXY only), connect, tls, authenticate, authorize, objects. Each
            result is saved on its connection.
            With --all the server runs the tests, --concurrency at a time, and the results are listed by name.
              hitch connection test prod-vcenter
              hitch connection test --all --kind vsphere --tag prod --concurrency 16 --timeout 15
            """)

    @Argument(help: "The connection's name (or --all).") var name: String?
    @Flag(help: "Test every connection (narrowed by --kind and --tag).") var all = false
    @Option(help: "With --all: only this kind.") var kind: Components.Schemas.ConnectionKindName?
    @Option(name: .customLong("tag"), help: "With --all: only connections with this tag (repeatable).") var tags: [String] = []
    @Option(help: "With --all: how many tests the server runs at once (1 to 64).") var concurrency = 16
    @Option(help: "Seconds each test may take (1 to 120).") var timeout = 15
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if all == (name != nil) { throw ValidationError("name one connection, or give --all") }
        if !all, kind != nil || !tags.isEmpty { throw ValidationError("--kind and --tag go with --all") }
        if !(1...64).contains(concurrency) { throw ValidationError("--concurrency must be from 1 to 64") }
        if !(1...120).contains(timeout) { throw ValidationError("--timeout must be from 1 to 120") }
    }

    func run() async throws {
        if let name {
            let client = try APIClient.make()
            return try TestResultPrinter.print(try await Self.test(name, timeout: timeout, client: client), name: name, format: output.output)
        }
        let client = try APIClient.make()
        let request = Components.Schemas.ConnectionTestsRequest(
            kind: kind, tags: tags.isEmpty ? nil : tags, concurrency: concurrency, timeout: timeout)
        let results = try await Self.testAll(request, client: client)
        try TestResultPrinter.printAll(results, format: output.output)
    }

    static func test(_ name: String, timeout: Int, client: Client) async throws -> Components.Schemas.TestResult {
        switch try await APIClient.call({ try await client.testConnection(path: .init(name: name), query: .init(timeout: timeout), body: .json(.init())) }) {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }

    /// The server runs the tests with the request's concurrency and streams one line per connection as it ends;
    /// the results come back sorted by name.
    static func testAll(
        _ request: Components.Schemas.ConnectionTestsRequest, client: Client
    ) async throws -> [(String, Result<Components.Schemas.TestResult, CLIError>)] {
        let body: HTTPBody
        switch try await APIClient.call({ try await client.testConnections(body: .json(request)) }) {
        case .ok(let ok): body = try ok.body.applicationJsonl
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        var results: [(String, Result<Components.Schemas.TestResult, CLIError>)] = []
        let lines = body.asDecodedJSONLines(of: Components.Schemas.ConnectionTestLine.self, decoder: APIClient.decoder)
        for try await line in lines {
            if let result = line.result {
                results.append((line.name, .success(result)))
            } else {
                results.append((line.name, .failure(CLIError(line.error ?? "the test could not run"))))
            }
        }
        return results.sorted { $0.0 < $1.0 }
    }
}

enum TestResultPrinter {
    /// One line per connection: its result, or the stage and code that failed; exit 3 when any failed.
    static func printAll(
        _ results: [(String, Result<Components.Schemas.TestResult, CLIError>)], format: OutputFormat
    ) throws {
        if format == .json {
            var object: [String: Components.Schemas.TestResult] = [:]
            for case let (name, .success(result)) in results { object[name] = result }
            try Printer.json(object)
        } else {
            Printer.table(
                headers: ["NAME", "RESULT", "STAGE", "DETAIL", "MS"],
                rows: results.map { name, result in
                    switch result {
                    case .success(let test):
                        let failed = test.stages.first { !$0.ok }
                        return [name, failed?.code?.rawValue ?? "ok", failed?.stage.rawValue ?? "-",
                                failed?.message ?? test.stages.last?.message ?? "-", String(test.durationMs)]
                    case .failure(let error):
                        return [name, "error", "-", error.message, "-"]
                    }
                })
        }
        let failed = results.filter { if case .success(let test) = $0.1 { return !test.passed } else { return true } }.count
        if failed > 0 { throw CLIError("\(failed) of \(results.count) connections failed their test", exitCode: .testFailed) }
    }

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
