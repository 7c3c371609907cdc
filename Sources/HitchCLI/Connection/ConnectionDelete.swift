import ArgumentParser
import HitchAPI

struct ConnectionDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a connection and destroy its secrets.")

    @Argument(help: "The connection's name.") var name: String

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.deleteConnection(path: .init(name: name)) }) {
        case .noContent: print("deleted connection \(name)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct ConnectionHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List a connection's credential versions, or with --tests its last test results.")

    @Argument(help: "The connection's name.") var name: String
    @Flag(help: "The last 50 test results instead (the schedule's included), newest first.") var tests = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        if tests { return try await printTests(client: client) }
        let versions: [Components.Schemas.CredentialVersion]
        switch try await APIClient.call({ try await client.listConnectionVersions(path: .init(name: name)) }) {
        case .ok(let ok): versions = try ok.body.json.versions
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        if output.output == .json { return try Printer.json(versions) }
        Printer.table(
            headers: ["VERSION", "TIME", "ACTOR", "CHANGED"],
            rows: versions.map {
                ["\($0.version)", Printer.time($0.createdAt), $0.actor, $0.changedFields.joined(separator: ",")]
            })
    }

    private func printTests(client: Client) async throws {
        let results: [Components.Schemas.TestHistoryEntry]
        switch try await APIClient.call({ try await client.listConnectionTests(path: .init(name: name)) }) {
        case .ok(let ok): results = try ok.body.json.results
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        if output.output == .json { return try Printer.json(results) }
        Printer.table(
            headers: ["TIME", "STATE", "STAGE", "MS", "BY", "MESSAGE"],
            rows: results.map {
                [Printer.time($0.at), $0.state, $0.stage ?? "", $0.durationMs.map(String.init) ?? "", $0.testedBy, $0.message ?? ""]
            })
    }
}
