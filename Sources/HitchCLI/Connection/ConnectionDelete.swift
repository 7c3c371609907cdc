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
        commandName: "history", abstract: "List a connection's credential versions.")

    @Argument(help: "The connection's name.") var name: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
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
}
