import ArgumentParser
import Foundation
import HitchAPI

struct AssignmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignment", abstract: "Assign connections to images and scripted actions.",
        discussion: """
            A connection with an assignment cannot be deleted. An api-key connection serves neither.
              hitch assignment add azure-im-prod --kind image --ref win11-golden
              hitch assignment list --connection azure-im-prod
              hitch assignment remove ASSIGNMENT_ID
            """,
        subcommands: [AssignmentAdd.self, AssignmentRemove.self, AssignmentList.self])

    static func print(_ assignments: [Components.Schemas.Assignment]) {
        Printer.table(
            headers: ["ID", "CONNECTION", "KIND", "REF", "CREATED", "BY"],
            rows: assignments.map { [$0.id, $0.connection, $0.kind.rawValue, $0.ref, Printer.time($0.createdAt), $0.createdBy] })
    }
}

struct AssignmentAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Assign a connection.")

    @Argument(help: "The connection's name.") var name: String
    @Option(help: "image or scripted-action.") var kind: String
    @Option(help: "The image's or scripted action's reference.") var ref: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let kind = Components.Schemas.AssignmentKind(rawValue: kind) else {
            throw ValidationError("--kind must be image or scripted-action")
        }
        let client = try APIClient.make()
        let body = Operations.AddAssignment.Input.Body.JsonPayload(connection: name, kind: kind, ref: ref)
        switch try await APIClient.call({ try await client.addAssignment(body: .json(body)) }) {
        case .created(let created):
            let assignment = try created.body.json
            if output.output == .json { return try Printer.json(assignment) }
            Swift.print("assigned \(assignment.connection) to \(assignment.kind.rawValue) '\(assignment.ref)' (id \(assignment.id))")
            for warning in assignment.warnings ?? [] { Printer.warn(warning) }
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct AssignmentRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an assignment by its id.")

    @Argument(help: "The assignment's id, from `hitch assignment list`.") var id: String

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.removeAssignment(path: .init(id: id)) }) {
        case .noContent: print("removed assignment \(id)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct AssignmentList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List assignments.")

    @Option(help: "Only this connection's.") var connection: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.listAssignments(query: .init(connection: connection)) }) {
        case .ok(let ok):
            let assignments = try ok.body.json.assignments
            if output.output == .json { return try Printer.json(assignments) }
            AssignmentCommand.print(assignments)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
