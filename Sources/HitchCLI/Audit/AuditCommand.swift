import ArgumentParser
import Foundation
import HitchAPI
import OpenAPIRuntime

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read, export and verify the tamper-evident audit log (auditor, admin).",
        subcommands: [AuditList.self, AuditExport.self, AuditVerify.self])
}

struct AuditList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List audit events, newest first.",
        discussion: "Times are RFC 3339 (2026-11-30T10:00:00Z) or a span before now (24h, 7d).")

    @Option(help: "Events on this connection.") var connection: String?
    @Option(help: "Events by this actor (a username).") var actor: String?
    @Option(help: "An action (connection.update) or a family (connection).") var action: String?
    @Option(help: "Events at or after this time.") var since: TimeArgument?
    @Option(help: "Events before this time.") var until: TimeArgument?
    @Option(help: "At most this many (1 to 1000).") var limit: Int = 100
    @Option(help: "Only events with a lower sequence (to page back).") var before: Int64?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let query = Operations.ListAuditEvents.Input.Query(
            connection: connection, actor: actor, action: action, since: since?.date, until: until?.date,
            before: before, limit: limit)
        switch try await APIClient.call({ try await client.listAuditEvents(query: query) }) {
        case .ok(let ok):
            let page = try ok.body.json
            if output.output == .json { return try Printer.json(page) }
            Printer.table(
                headers: ["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "FIELDS", "CLIENT"],
                rows: page.events.map { event in
                    [String(event.sequence), Printer.time(event.time), event.actor.name, event.action,
                     event.target.map { "\($0.kind)/\($0.name)" } ?? "-",
                     event.outcome.rawValue + (event.failureCode.map { " (\($0))" } ?? ""),
                     event.changedFields.isEmpty ? "-" : event.changedFields.joined(separator: ","),
                     event.clientAddress ?? "-"]
                })
            if let next = page.next { Printer.warn("more events: add --before \(next)") }
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write every event, oldest first, as JSON lines to stdout (streamed).")

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.exportAuditEvents() }) {
        case .ok(let ok):
            let body = try ok.body.applicationJsonl
            for try await chunk in body { FileHandle.standardOutput.write(Data(chunk)) }
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every event's MAC and the head record; exit 0 with the count, or 3 at the first failing sequence.",
        discussion: """
            Each verify prints the head (SEQUENCE:MAC). Keep it somewhere else; a later verify with
            --expect-head SEQUENCE:MAC also fails (exit 3) when the log was cut back to an older state or replaced,
            which a database restored whole from an older backup would otherwise pass.
            """)

    @Option(help: "A head kept from an earlier verify, SEQUENCE:MAC.") var expectHead: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let expectHead, expectHead.split(separator: ":").count != 2 || Int64(expectHead.split(separator: ":")[0]) == nil {
            throw ValidationError("--expect-head must be SEQUENCE:MAC, as a verify printed it")
        }
    }

    func run() async throws {
        let client = try APIClient.make()
        let result: Components.Schemas.AuditVerification
        switch try await APIClient.call({ try await client.verifyAuditLog(query: .init(expectHead: expectHead)) }) {
        case .ok(let ok): result = try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        if output.output == .json {
            try Printer.json(result)
        } else if result.intact {
            print("audit log intact: \(result.verified) events verified")
            if let sequence = result.headSequence, let mac = result.headMac {
                print("head: \(sequence):\(mac)  (keep it elsewhere; check later with --expect-head)")
            }
        }
        if let failure = result.failure {
            throw CLIError(
                "audit log NOT intact at sequence \(failure.sequence): \(failure.reason) (\(result.verified) events verified before it)",
                exitCode: .testFailed)
        }
    }
}
