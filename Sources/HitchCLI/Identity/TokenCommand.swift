import ArgumentParser
import Foundation
import HitchAPI

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage bearer tokens: your own, or (admin) anyone's.",
        subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self])
}

struct TokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a token; its value is printed this once and never again.")

    @Option(help: "Whose token (admin only); yourself by default.") var user: String?
    @Option(help: "When it expires: 30m, 12h, 30d. The server's default (30 days) when absent, at most its maximum (365 days), and never after the token you use, unless an admin makes it for a service identity.") var expires: DurationArgument?
    @Option(help: "A name to recognize it by.") var name: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let body = Components.Schemas.TokenCreate(name: name, user: user, expiresInSeconds: expires?.seconds)
        switch try await APIClient.call({ try await client.createToken(body: .json(body)) }) {
        case .created(let created):
            let issued = try created.body.json
            if output.output == .json { return try Printer.json(issued) }
            print(issued.secret)
            Printer.warn("token \(issued.token.id) (\(issued.token.name)) for \(issued.token.user): this is the only time it is shown")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their values).")

    @Option(help: "Another user's tokens (admin).") var user: String?
    @Flag(help: "Every identity's tokens (admin).") var all = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let query = Operations.ListTokens.Input.Query(user: user, all: all ? true : nil)
        switch try await APIClient.call({ try await client.listTokens(query: query) }) {
        case .ok(let ok):
            let tokens = try ok.body.json.tokens
            if output.output == .json { return try Printer.json(tokens) }
            Printer.table(
                headers: ["ID", "NAME", "USER", "CREATED", "EXPIRES", "LAST USED", "REVOKED"],
                rows: tokens.map {
                    [$0.id, $0.name, $0.user, Printer.time($0.createdAt), Printer.time($0.expiresAt),
                     Printer.time($0.lastUsedAt), Printer.time($0.revokedAt)]
                })
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id; it stops working at once.")

    @Argument(help: "The token's id, from `hitch token list`.") var id: String

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.revokeToken(path: .init(id: id)) }) {
        case .noContent: print("revoked token \(id)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
